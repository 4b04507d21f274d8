"""Sandbox test fixtures: settings per provider, and the docker image built on demand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from proctor.sandboxes import SandboxSettings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> SandboxSettings:
    """Small limits; state under the test's temp dir, work dirs in the system temp dir.

    (Work dirs must be reachable by the unprivileged sandbox uid, and pytest's tmp_path is not.)
    """
    return SandboxSettings(
        state_dir=tmp_path / "state", timeout_s=30, memory_mb=512,
        pids=128, cpus=1, output_limit_bytes=10_000, disk_quota_mb=64,
    )


@pytest.fixture(scope="session")
def docker_image() -> Iterator[SandboxSettings]:
    """Settings whose image exists in the engine (built once, with the real build function).

    The rootfs cache lives in the default state dir so repeated runs reuse it.
    """
    from proctor.sandboxes import build_image

    base = SandboxSettings()
    build_image(base)
    yield base


@pytest.fixture
def docker_settings(docker_image: SandboxSettings, settings: SandboxSettings) -> SandboxSettings:
    return settings.model_copy(update={"image": docker_image.image, "state_dir": docker_image.state_dir})


@pytest.fixture
def bwrap_settings(settings: SandboxSettings) -> SandboxSettings:
    """bubblewrap on the built rootfs when present (it has numpy), else on the host's dirs."""
    default = SandboxSettings()
    return settings.model_copy(update={"image": default.image, "state_dir": default.state_dir})
