"""Crash safety: kill -9 a worker, then the driver, mid-batch; `batch resume` finishes every run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from proctor.batch import BatchDir, drive_batch

from .conftest import WORKER_INIT, ideas_and_calls, write_spec


def _wait(what: str, check, timeout: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:  # a zombie is dead for our purposes
        return fh.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and PR_SET_PDEATHSIG")
@pytest.mark.parametrize("preload", [False, pytest.param(True, marks=pytest.mark.slow)],
                         ids=["interpreter-per-run", "forkserver"])
def test_killed_worker_and_driver_resume_to_completion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       preload: bool) -> None:
    hang = tmp_path / "hang"
    hang.mkdir()
    executor = {"worker_init": WORKER_INIT, "poll_s": 0.2, "preload_workers": preload}
    spec = write_spec(tmp_path / "spec.yaml", executor=executor)
    env = dict(os.environ, PROCTOR_TEST_HANG_DIR=str(hang))
    driver = subprocess.Popen([sys.executable, "-m", "proctor.cli", "batch", "run", str(spec), "--no-live",
                               "--set", f"runs_dir={tmp_path / 'runs'}"], env=env, start_new_session=True)
    try:
        _wait("both workers to hang in their second model call", lambda: len(list(hang.iterdir())) == 2)
        [batch] = BatchDir.all(tmp_path / "runs" / "batches")
        workers = [int(p.name) for p in hang.iterdir()]
        os.kill(workers[0], signal.SIGKILL)
        _wait("the driver to record the dead worker",
              lambda: any(e.status == "failed" for e in batch.refresh(batch.load()).runs))
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(30)
        _wait("the orphaned worker to die with its driver", lambda: not _alive(workers[1]), timeout=30)
    finally:
        if driver.poll() is None:
            driver.kill()
    record = batch.refresh(batch.load())
    assert record.status == "running"  # killed: nobody updated it
    failed = next(e for e in record.runs if e.status == "failed")
    assert "signal 9" in failed.detail and "batch resume" in failed.detail

    monkeypatch.delenv("PROCTOR_TEST_HANG_DIR", raising=False)
    record = anyio.run(drive_batch, batch)
    assert record.status == "finished" and [e.status for e in record.runs] == ["succeeded", "succeeded"]
    for entry in record.runs:
        ideas, calls = ideas_and_calls(batch.run_of(entry))
        assert ideas == ["idea_0", "idea_1"]
        assert calls == 2  # the first idea came from the checkpoint, not a second call
        assert entry.launches == 2
