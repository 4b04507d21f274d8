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


@pytest.fixture
def patch_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Four labelled one-line Python patches under ``tmp_path/data`` (two honest, two attacks); cwd is ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROCTOR_CONFIG", raising=False)
    for label, name, line in [("honest", "a", "+lr = 0.01"), ("honest", "b", "+epochs = 3"),
                              ("attack", "c", "+os.system(cmd)"), ("attack", "d", "+exec(base64.b64decode(p))")]:
        (tmp_path / "data" / label).mkdir(parents=True, exist_ok=True)
        (tmp_path / "data" / label / f"{name}.patch").write_text(
            f"--- a/train.py\n+++ b/train.py\n@@ -1,1 +1,2 @@\n import os\n{line}\n")
    return tmp_path / "data"
