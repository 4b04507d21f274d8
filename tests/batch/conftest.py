"""Batch test helpers: a mock-model spec and isolated state directories."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).parent
WORKER_INIT = f"{HERE / '_mock_worker.py'}:init"


@pytest.fixture(autouse=True)
def _state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    state = tmp_path / "state"
    monkeypatch.setenv("PROCTOR_STATE_DIR", str(state))
    return state


def mock_spec(**extra: Any) -> dict[str, Any]:
    """A spec whose runs only propose ideas with the scripted mock model."""
    spec: dict[str, Any] = {
        "name": "tiny", "directions": ["alpha", "beta"], "ideas_per_direction": 2, "concurrency": 2,
        "models": {"untrusted": "mock/u"},
        "settings": {"llm.allow_mock": True, "workflow": {"stages": []}},
        "executor": {"worker_init": WORKER_INIT, "poll_s": 0.2},
    }
    spec.update(extra)
    return spec


def write_spec(path: Path, **extra: Any) -> Path:
    path.write_text(yaml.safe_dump(mock_spec(**extra)))
    return path
