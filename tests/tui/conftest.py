"""Fixtures for the TUI tests: anyio on asyncio, a runs directory, a recording launcher."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.tui import Store
from tests.tui.tui_helpers import Launcher


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "runs"
    path.mkdir()
    return path


@pytest.fixture
def store(root: Path) -> Store:
    return Store(root)


@pytest.fixture
def launcher() -> Launcher:
    return Launcher()
