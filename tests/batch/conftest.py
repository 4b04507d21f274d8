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


def ideas_and_calls(run: Any) -> tuple[list[str], int]:
    """A mock run's idea names (``ideas/ideas.json``) and how many model calls its events record."""
    import json

    from proctor.log import ModelCallEvent

    ideas = json.loads((run.path / "ideas/ideas.json").read_text())
    return [i["Name"] for i in ideas], sum(isinstance(e, ModelCallEvent) for e in run.events.read())


def serve_due_job(db: Any, job_id: str, timeout: float = 120) -> None:
    """Make ``job_id`` due now (as if the scheduler had been down at its time), serve ``db`` until it launches.

    The job's spec must be broken (``name: x`` only): the launched batch fails at once, writing
    "invalid batch spec" to its log under ``$PROCTOR_STATE_DIR/logs``, which is what this waits for.
    """
    import threading
    import time
    from datetime import UTC, datetime

    from proctor.batch import serve
    from proctor.batch._scheduler import open_store
    from proctor.paths import state_dir

    store = open_store(db)
    job = store.lookup_job(job_id)
    job._modify(next_run_time=datetime.now(UTC))
    store.update_job(job)
    store.shutdown()
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(db,), kwargs={"wake_s": 0.5, "stop": stop}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not any("invalid batch spec" in p.read_text() for p in (state_dir() / "logs").glob("*.log")):
            assert time.monotonic() < deadline, "the scheduled batch never ran"
            time.sleep(0.5)
    finally:
        stop.set()
        thread.join(10)
