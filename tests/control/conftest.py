"""Fixtures for control tests: anyio on asyncio, settings with temporary state."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.settings import Settings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(control={"queue_path": str(tmp_path / "audit.sqlite"),
                             "audit_log_path": str(tmp_path / "audit_log.jsonl")})
