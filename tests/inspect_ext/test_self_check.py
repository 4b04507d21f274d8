"""Inspect's own sandbox conformance suite (``inspect_ai.util._sandbox.self_check``) against
``proctor_bwrap`` and ``proctor_docker``.

The suite's functions are imported into this module; ``sandbox_env`` is the function-scoped
fixture its docstring asks for, over one sandbox per provider made through Inspect's lifecycle
(``task_init``, ``sample_init``; ``sample_cleanup`` and ``task_cleanup`` at the end). Checks a
provider cannot pass by design are strict xfails with the reason (``EXPECTED_FAILURES``, also
listed in docs/inspect.md).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

pytest.importorskip("inspect_ai")

from inspect_ai.util import SandboxEnvironment  # noqa: E402
from inspect_ai.util._sandbox.self_check import *  # noqa: E402, F403

from proctor.inspect_ext import ProctorBwrapSandbox, ProctorDockerSandbox  # noqa: E402

pytestmark = pytest.mark.anyio

_NEVER_ROOT = ("Proctor never runs a command as root or as another user: every command runs as the "
               "sandbox's own unprivileged uid (no adduser, no user='root')")
_FRESH_TMP = ("bubblewrap gives every command a fresh private /tmp and a read-only root: only /work "
              "outlives a command, so writes elsewhere are refused")

EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    "proctor_bwrap": {
        "test_exec_as_user": _NEVER_ROOT,
        "test_read_and_write_file_including_directory_absolute": _FRESH_TMP,
        "test_write_text_file_is_directory": _FRESH_TMP,
        "test_write_binary_file_is_directory": _FRESH_TMP,
        "test_cwd_absolute": _FRESH_TMP,
    },
    "proctor_docker": {
        "test_exec_as_user": _NEVER_ROOT,
    },
}


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module", params=[
    pytest.param(ProctorBwrapSandbox, marks=pytest.mark.bwrap, id="proctor_bwrap"),
    pytest.param(ProctorDockerSandbox, marks=pytest.mark.docker, id="proctor_docker"),
])
async def provider_env(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[SandboxEnvironment]:
    cls = request.param
    if cls is ProctorDockerSandbox:
        from proctor.sandboxes import SandboxSettings, build_image

        build_image(SandboxSettings())  # skipped when the image exists
    await cls.task_init("self_check", None)
    envs = await cls.sample_init("self_check", None, {})
    try:
        yield envs["default"]
    finally:
        await cls.sample_cleanup("self_check", None, envs, False)
        await cls.task_cleanup("self_check", None, True)


@pytest.fixture
def sandbox_env(request: pytest.FixtureRequest, provider_env: SandboxEnvironment) -> SandboxEnvironment:
    name = "proctor_bwrap" if isinstance(provider_env, ProctorBwrapSandbox) else "proctor_docker"
    reason = EXPECTED_FAILURES[name].get(request.node.originalname)
    if reason:
        request.applymarker(pytest.mark.xfail(reason=reason, strict=True))
    return provider_env
