"""Driving a batch: launch its unfinished runs under the concurrency, GPU and budget caps.

1. Take the batch lock (a second driver on the same batch fails with :class:`~proctor.locks.LockHeld`).
2. For each run not ``succeeded``/``terminated``, in order: wait for a slot (and GPUs), check the
   batch's caps (dollars, tokens, GPU-hours, wall time), then start it (``created``) or resume it
   from its checkpoint (anything else), its model budget clamped to what the batch has left.
3. As workers end, copy each run's status into ``batch.json``; a worker that died without saying
   (signal, OOM) leaves its run marked ``failed`` with the cause, resumable.
4. When a cap is reached, stop launching; the wall-time cap also kills the runs in flight. A shared
   service (PostgreSQL, the chroma server) that does not answer before a launch, or after a run
   failed, stops the launches too, named in the batch record (:mod:`._services`).
5. When the driver ends (finished or stopped), the morning report is written into the batch
   directory (``report.md`` / ``report.html``); a report that cannot be written is noted in the record.

GPUs: the local executor hands out only ``gpus.ids`` that exist here (``nvidia-smi``); on Ray the ids
are the cluster's business and become ``num_gpus`` resources. GPU-hours charge what each run held.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proctor.batch._executor import Executor, executor_for
from proctor.batch._record import FINAL_RUN_STATUSES, BatchDir, BatchEntry, BatchRecord
from proctor.batch._services import outage, shared_services
from proctor.batch._spec import BatchSpec
from proctor.batch._spend import SpendMeter
from proctor.batch._worker import RunJob
from proctor.locks import writer_lock
from proctor.log import utcnow
from proctor.settings import BatchSettings

OnUpdate = Callable[[BatchRecord], None]


@dataclass
class _Caps:
    spec: BatchSpec
    started: float

    def exceeded(self, record: BatchRecord) -> str | None:
        cap = self.spec.budgets.batch
        if cap.usd is not None and record.spend_usd >= cap.usd:
            return f"batch dollar cap reached ({record.spend_usd:.2f} of {cap.usd:.2f} USD)"
        if cap.tokens is not None and record.spend_tokens >= cap.tokens:
            return f"batch token cap reached ({record.spend_tokens} of {cap.tokens})"
        if cap.gpu_hours is not None and record.gpu_hours >= cap.gpu_hours:
            return f"batch GPU-hour cap reached ({record.gpu_hours:.2f} of {cap.gpu_hours})"
        if cap.wall_time is not None and time.monotonic() - self.started >= cap.wall_time:
            return f"batch wall-time cap reached ({cap.wall_time:.0f} s)"
        return None

    def run_seconds(self) -> float | None:
        run = self.spec.budgets.run
        limits = [run.wall_time] if run.wall_time else []
        if run.gpu_hours and self.spec.gpus.per_run:
            limits.append(run.gpu_hours * 3600 / self.spec.gpus.per_run)
        return min(limits) if limits else None


def _clamp(spec: BatchSpec, budget: dict[str, Any], run_spent: tuple[float, int],
           record: BatchRecord) -> list[str]:
    """Overrides capping one run's budget (``budget``: its own, unclamped) at its spend plus the batch's rest."""
    out: list[str] = []
    cap = spec.budgets.batch
    if cap.usd is not None:
        allowed = run_spent[0] + max(cap.usd - record.spend_usd, 0.0)
        current = budget.get("max_usd")
        out.append(f"llm.budget.max_usd={json.dumps(allowed if current is None else min(current, allowed))}")
    if cap.tokens is not None:
        allowed_t = run_spent[1] + max(cap.tokens - record.spend_tokens, 0)
        current_t = budget.get("max_tokens")
        out.append(f"llm.budget.max_tokens={allowed_t if current_t is None else min(current_t, allowed_t)}")
    return out


async def drive_batch(batch: BatchDir, base: BatchSettings | None = None, *, executor: Executor | None = None,
                      on_update: OnUpdate | None = None) -> BatchRecord:
    """Run (or resume) every unfinished run of ``batch``; returns the final record.

    Raises:
        LockHeld: when another process is driving this batch.
    """
    with writer_lock(batch.lock_path):
        record = batch.refresh(batch.load())
        spec = BatchSpec.model_validate(record.spec)
        settings = spec.batch_settings(base or BatchSettings())
        own_executor = executor is None
        executor = executor or executor_for(settings)
        batch.mark_driver(record, "running", f"executor {executor.name}")
        try:
            return await _drive(batch, record, spec, settings, executor, on_update)
        finally:
            if own_executor:
                await executor.aclose()


async def _drive(batch: BatchDir, record: BatchRecord, spec: BatchSpec, settings: BatchSettings,
                 executor: Executor, on_update: OnUpdate | None) -> BatchRecord:
    caps = _Caps(spec, time.monotonic())
    meter = SpendMeter()
    usable, gpu_note = _usable_gpus(spec, executor)
    if gpu_note:
        record.status_detail = gpu_note
    free_gpus = list(usable)
    slots = asyncio.Semaphore(spec.concurrency or settings.max_concurrency)
    gpu_freed = asyncio.Condition()
    in_flight: dict[str, tuple[float, int]] = {}  # run key -> (started, GPUs held)
    todo = [e for e in record.runs if e.status not in FINAL_RUN_STATUSES]
    stop_reason: str | None = None
    services = shared_services(settings)
    down: list[str] = []  # the outage a failed run revealed

    async def service_outage() -> str | None:
        return await asyncio.to_thread(outage, services) if services else None

    def publish() -> None:
        batch.refresh(record)
        spent = meter.total([batch.run_of(e).path for e in record.runs])
        record.spend_usd, record.spend_tokens = spent.usd, spent.tokens
        now = time.monotonic()
        held = sum(n * (now - t) for t, n in in_flight.values())
        record.gpu_hours = (sum(len(e.gpus) * e.seconds for e in record.runs) + held) / 3600
        batch.save(record)
        if on_update:
            on_update(record)

    async def one(entry: BatchEntry, gpus: list[int]) -> None:
        run = batch.run_of(entry)
        header = run.header()
        spent = meter.update(run.path)
        own = header.extra.get("batch_budget") or header.settings.get("llm", {}).get("budget", {})
        overrides = _clamp(spec, own, (spent.usd, spent.tokens), record)
        if gpus:
            overrides.append(f"sandbox.gpu_ids={json.dumps(gpus)}")
        elif spec.gpus.per_run:  # none exist here: the run must not ask its sandbox for one
            overrides.append("sandbox.gpus=0")
        job = RunJob(run_dir=str(run.path.resolve()), mode="start" if entry.status == "created" else "resume",
                     overrides=overrides, gpus=gpus, num_gpus=len(gpus) if usable else 0,
                     worker_init=settings.worker_init, artifacts=settings.artifacts,
                     worker_runs_dir=str(settings.worker_runs_dir) if settings.worker_runs_dir else None)
        entry.started, entry.finished, entry.gpus = utcnow(), None, gpus
        in_flight[entry.key] = (time.monotonic(), len(gpus))

        def started(pid: int | None, node: str | None = None) -> None:
            entry.launches += 1  # once per worker start: an executor's retry on another node counts too
            entry.worker_pid, entry.node = pid, node or socket.gethostname()
            entry.nodes.append(entry.node)
            publish()

        note = ""
        try:
            result = await asyncio.wait_for(executor.run(job, started), caps.run_seconds())
            entry.worker_note = result.note
            if result.worker_seconds is not None:
                entry.run_seconds = (entry.run_seconds or 0.0) + result.worker_seconds
            note = result.note or (f"worker exited with code {result.exit_code}" if result.exit_code else "")
        except TimeoutError:
            note = f"run wall-time cap reached ({caps.run_seconds():.0f} s)"
        except asyncio.CancelledError:
            note = "batch stopped while the run was in flight"
            raise
        finally:
            entry.seconds += time.monotonic() - in_flight.pop(entry.key)[0]
            entry.finished, entry.worker_pid = utcnow(), None
            if run.header().status in ("running", "created") and note:
                run.set_status("failed", f"{note}; `proctor batch resume` continues it")
            if run.header().status == "failed" and not down and (found := await service_outage()):
                down.append(found)
                record.status_detail = found
            batch.refresh(record)
            publish()
            for g in gpus:
                free_gpus.append(g)
            async with gpu_freed:
                gpu_freed.notify_all()
            slots.release()

    async def watch_wall_time(tasks: set[asyncio.Task[None]]) -> None:
        while True:  # cancelled once the batch is over
            reason = caps.exceeded(record)
            if reason and "wall-time" in reason:
                for t in tasks:
                    t.cancel()
                return
            publish()
            await asyncio.sleep(settings.poll_s)

    tasks: set[asyncio.Task[None]] = set()
    watcher: asyncio.Task[None] | None = None
    try:
        for entry in todo:
            await slots.acquire()
            async with gpu_freed:
                await gpu_freed.wait_for(lambda: len(free_gpus) >= min(spec.gpus.per_run, len(usable)))
            publish()
            stop_reason = caps.exceeded(record) or (down[0] if down else await service_outage())
            if stop_reason:
                slots.release()
                break
            take = min(spec.gpus.per_run, len(usable))
            gpus, free_gpus[:] = free_gpus[:take], free_gpus[take:]
            tasks.add(asyncio.create_task(one(entry, gpus)))
            if watcher is None:
                watcher = asyncio.create_task(watch_wall_time(tasks))
        results = await asyncio.gather(*tasks, return_exceptions=True)
        if any(isinstance(r, asyncio.CancelledError) for r in results):
            stop_reason = stop_reason or caps.exceeded(record) or "stopped"
    except BaseException:
        for t in tasks:
            t.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*tasks, return_exceptions=True)
        batch.mark_driver(batch.refresh(record), "stopped", "interrupted; `proctor batch resume` continues it")
        raise
    finally:
        if watcher is not None:
            watcher.cancel()
    batch.refresh(record)
    publish()
    stop_reason = stop_reason or (down[0] if down else None)
    unfinished = [e for e in record.runs if e.status not in FINAL_RUN_STATUSES]
    note = f"; {gpu_note}" if gpu_note else ""
    if stop_reason:
        batch.mark_driver(record, "stopped", f"{stop_reason}; {len(unfinished)} run(s) unfinished{note}")
    else:
        failed = [e.key for e in record.runs if e.status != "succeeded"]
        batch.mark_driver(record, "finished", (f"{len(failed)} of {len(record.runs)} run(s) did not succeed"
                          if failed else f"all {len(record.runs)} run(s) succeeded") + note)
    _morning_report(batch, record)
    return record


def _usable_gpus(spec: BatchSpec, executor: Executor) -> tuple[list[int], str]:
    """The spec's GPU ids this executor can hand out, and a note when some or all are missing."""
    if not spec.gpus.per_run or not spec.gpus.ids or executor.name == "ray":
        return list(spec.gpus.ids), ""
    from proctor.sandboxes import detect_gpus

    present = set(detect_gpus())
    usable = [g for g in spec.gpus.ids if g in present]
    missing = [g for g in spec.gpus.ids if g not in present]
    if not missing:
        return usable, ""
    return usable, (f"GPU ids {missing} of the spec are not present on this machine "
                    f"({'none are' if not present else f'present: {sorted(present)}'}); "
                    + ("runs get none and no GPU-hours are charged" if not usable else f"runs share {usable}"))


def _morning_report(batch: BatchDir, record: BatchRecord) -> None:
    """Write the batch's report now that the driver is done; a failure is noted, never raised."""
    from proctor.batch._report_render import write_report

    try:
        write_report(batch)
    except Exception as exc:  # the batch's results are intact: say why there is no report
        record.status_detail = f"{record.status_detail}; report not written: {type(exc).__name__}: {exc}"[:2000]
        batch.save(record)


def unfinished_runs(batch: BatchDir) -> list[Path]:
    """Run directories of the batch that a resume would start or continue."""
    record = batch.refresh(batch.load())
    return [batch.run_of(e).path for e in record.runs if e.status not in FINAL_RUN_STATUSES]
