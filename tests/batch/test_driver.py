"""The batch loop with an in-process fake executor: caps, budget clamping, GPUs, wall time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import pytest

from proctor.batch import (
    BatchDir,
    Executor,
    JobResult,
    RunJob,
    create_batch,
    drive_batch,
    parse_spec,
)
from proctor.locks import LockHeld, writer_lock
from proctor.log import ModelCallEvent, RunDir
from proctor.settings import load_settings


class FakeExecutor(Executor):
    """Each run makes one model call costing ``usd`` and ``tokens``, after ``seconds``."""

    name = "fake"

    def __init__(self, usd: float = 1.0, tokens: int = 100, seconds: float = 0.0) -> None:
        self.usd, self.tokens, self.seconds = usd, tokens, seconds
        self.jobs: list[RunJob] = []
        self.peak = self._now = 0

    async def run(self, job: RunJob, on_start: Callable[[int | None], None]) -> JobResult:
        self.jobs.append(job)
        on_start(None)
        self._now += 1
        self.peak = max(self.peak, self._now)
        run = RunDir(Path(job.run_dir))
        run.set_status("running")
        run.events.append(ModelCallEvent(role="untrusted", model="mock/u", prompt_tokens=self.tokens,
                                         cost_usd=self.usd))
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self._now -= 1
        run.set_status("succeeded")
        return JobResult(0)


def _batch(tmp_path: Path, **spec: Any) -> BatchDir:
    data = {"name": "fake", "directions": ["a", "b", "c"], **spec}
    return create_batch(parse_spec(data), load_settings(None, [f"runs_dir={tmp_path}"]))


def test_runs_are_recorded_with_batch_id(tmp_path: Path) -> None:
    batch = _batch(tmp_path, concurrency=2)
    ex = FakeExecutor(seconds=0.05)
    record = anyio.run(lambda: drive_batch(batch, executor=ex))
    assert record.status == "finished" and [e.status for e in record.runs] == ["succeeded"] * 3
    assert ex.peak == 2 and {j.mode for j in ex.jobs} == {"start"}
    assert all(batch.run_of(e).header().batch_id == record.id for e in record.runs)
    assert batch.run_of(record.runs[0]).path.parent == batch.runs_root
    assert record.spend_usd == pytest.approx(3.0) and record.spend_tokens == 300


def test_dollar_cap_stops_launching_and_clamps_budgets(tmp_path: Path) -> None:
    batch = _batch(tmp_path, concurrency=1, budgets={"batch": {"usd": 2.0}, "run": {"usd": 5.0}})
    ex = FakeExecutor(usd=1.0)
    record = anyio.run(lambda: drive_batch(batch, executor=ex))
    assert record.status == "stopped" and "dollar cap" in record.status_detail
    assert [e.status for e in record.runs] == ["succeeded", "succeeded", "created"]
    assert "llm.budget.max_usd=2.0" in ex.jobs[0].overrides  # min(run cap 5, batch left 2)
    assert "llm.budget.max_usd=1.0" in ex.jobs[1].overrides
    # resuming with the cap still reached launches nothing
    again = FakeExecutor()
    assert anyio.run(lambda: drive_batch(batch, executor=again)).status == "stopped" and not again.jobs


def test_gpus_are_handed_out_without_overlap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import proctor.sandboxes

    monkeypatch.setattr(proctor.sandboxes, "detect_gpus", lambda: [3, 5, 7])
    batch = _batch(tmp_path, concurrency=3, gpus={"ids": [3, 5], "per_run": 1})
    ex = FakeExecutor(seconds=0.1)
    anyio.run(lambda: drive_batch(batch, executor=ex))
    assert ex.peak == 2  # two GPUs bound three slots
    assert sorted(j.gpus[0] for j in ex.jobs[:2]) == [3, 5]
    assert all(f"sandbox.gpu_ids=[{j.gpus[0]}]" in j.overrides for j in ex.jobs)


def test_run_wall_time_kills_and_marks_resumable(tmp_path: Path) -> None:
    batch = _batch(tmp_path, directions=["a"], budgets={"run": {"wall_time": 0.3}})
    record = anyio.run(lambda: drive_batch(batch, executor=FakeExecutor(seconds=30)))
    [entry] = record.runs
    assert entry.status == "failed" and "wall-time cap" in entry.detail and "batch resume" in entry.detail
    again = FakeExecutor()
    assert anyio.run(lambda: drive_batch(batch, executor=again)).runs[0].status == "succeeded"
    assert again.jobs[0].mode == "resume"


def test_batch_wall_time_stops_runs_in_flight(tmp_path: Path) -> None:
    batch = _batch(tmp_path, concurrency=1, budgets={"batch": {"wall_time": 0.5}},
                   executor={"poll_s": 0.05})
    record = anyio.run(lambda: drive_batch(batch, executor=FakeExecutor(seconds=30)))
    assert record.status == "stopped" and "wall-time" in record.status_detail
    assert [e.status for e in record.runs] == ["failed", "created", "created"]


def test_second_driver_is_refused(tmp_path: Path) -> None:
    batch = _batch(tmp_path)
    with writer_lock(batch.lock_path), pytest.raises(LockHeld):
        anyio.run(lambda: drive_batch(batch, executor=FakeExecutor()))


def test_raising_the_batch_cap_gives_runs_their_own_budget_back(tmp_path: Path) -> None:
    batch = _batch(tmp_path, directions=["a", "b"], concurrency=1,
                   budgets={"batch": {"usd": 1.5}, "run": {"usd": 5.0}})
    ex = FakeExecutor(usd=1.0)
    anyio.run(lambda: drive_batch(batch, executor=ex))
    assert "llm.budget.max_usd=0.5" in ex.jobs[1].overrides  # 1.5 - 1.0 left for the second run
    record = batch.load()
    record.spec["budgets"]["batch"]["usd"] = 100.0
    batch.run_of(record.runs[1]).set_status("budget_exhausted", "clamped")
    batch.save(record)
    again = FakeExecutor(usd=1.0)
    anyio.run(lambda: drive_batch(batch, executor=again))
    assert again.jobs[0].mode == "resume" and "llm.budget.max_usd=5.0" in again.jobs[0].overrides


def test_batch_wall_time_applies_to_runs_launched_later(tmp_path: Path) -> None:
    class SlowSecond(FakeExecutor):
        async def run(self, job: RunJob, on_start: Callable[[int | None], None]) -> JobResult:
            self.seconds = 0.0 if not self.jobs else 30.0
            return await super().run(job, on_start)

    batch = _batch(tmp_path, directions=["a", "b"], concurrency=1, budgets={"batch": {"wall_time": 1.0}},
                   executor={"poll_s": 0.05})
    record = anyio.run(lambda: drive_batch(batch, executor=SlowSecond()))
    assert [e.status for e in record.runs] == ["succeeded", "failed"] and record.status == "stopped"


def test_the_shipped_spec_with_relative_paths_and_no_gpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a user runs it: `runs_dir` relative (the default), examples/nightly.yaml, a machine with no GPU."""
    import proctor.sandboxes
    from proctor.batch import load_spec

    spec_path = Path(__file__).resolve().parents[2] / "examples" / "nightly.yaml"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(proctor.sandboxes, "detect_gpus", lambda: [])
    spec = load_spec(spec_path)
    assert spec.gpus.ids and spec.gpus.per_run  # the example asks for GPUs
    batch = create_batch(spec, load_settings(None, ["runs_dir=runs"]), spec_path=spec_path)
    ex = FakeExecutor(seconds=0.2)
    record = anyio.run(lambda: drive_batch(batch, executor=ex))
    assert record.status == "finished", record.status_detail
    assert all(e.status == "succeeded" for e in record.runs) and len(record.runs) == 4
    assert all(j.gpus == [] and j.num_gpus == 0 and "sandbox.gpus=0" in j.overrides for j in ex.jobs)
    assert record.gpu_hours == 0.0 and "not present on this machine" in record.status_detail
    report = batch.path / "report" / "report.md"
    assert report.is_file() and "nightly" in report.read_text()  # the morning report, without asking


def test_gpu_hours_charge_what_runs_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import proctor.sandboxes

    monkeypatch.setattr(proctor.sandboxes, "detect_gpus", lambda: [0])
    batch = _batch(tmp_path, concurrency=2, gpus={"ids": [0, 1], "per_run": 1})
    record = anyio.run(lambda: drive_batch(batch, executor=FakeExecutor(seconds=0.3)))
    held = sum(e.seconds for e in record.runs if e.gpus)
    assert all(e.gpus == [0] for e in record.runs)  # GPU 1 does not exist: never handed out
    assert record.gpu_hours == pytest.approx(held / 3600)
    assert "[1]" in record.status_detail
