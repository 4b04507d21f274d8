"""Scheduled batches: APScheduler 3 with a persistent SQLAlchemy job store (SQLite, or PostgreSQL).

``proctor schedule add`` writes a job into ``<state>/schedule.sqlite`` (or the database
``batch.schedule_url`` names, e.g. ``postgresql://user@db/proctor``, shared by hosts: any of them can
add, list or serve the schedules); ``proctor scheduler`` serves that store, so schedules survive restarts (a start missed while it was down runs once, within the
grace period). A fired job only *launches* ``python -m proctor.cli batch run SPEC`` in its own session
and returns, so killing the scheduler never kills a batch. A spec whose batch still runs is
skipped: ``batch run`` holds a per-spec lock (:func:`spec_lock`) that dies with its process.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from proctor.batch._cron import batch_command, cron_trigger
from proctor.locks import Lock, writer_lock
from proctor.paths import state_dir

log = logging.getLogger(__name__)

_JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


class ScheduleNotFound(LookupError):
    """No scheduled batch has the given id."""


Store = Path | str  # a SQLite file, or an SQLAlchemy URL


def default_db() -> Store:
    """The schedule database: ``batch.schedule_url`` when set (file or ``PROCTOR_BATCH__SCHEDULE_URL``), else
    ``$PROCTOR_STATE_DIR/schedule.sqlite``."""
    from proctor.settings import batch_settings_of, load_settings

    return batch_settings_of(load_settings()).schedule_url or state_dir() / "schedule.sqlite"


def store_url(db: Store) -> str:
    """The SQLAlchemy URL of ``db``: a URL as given (``postgresql://`` through psycopg 3), a path as SQLite."""
    text = str(db)
    if "://" in text:
        for plain in ("postgresql://", "postgres://"):
            if text.startswith(plain):
                return "postgresql+psycopg://" + text.removeprefix(plain)
        return text
    Path(db).parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{db}"


def spec_lock(spec: str | Path) -> Lock:
    """The lock ``batch run`` holds for the spec at ``spec`` (by absolute path)."""
    resolved = Path(spec).resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:12]
    return writer_lock(state_dir() / "locks" / f"{resolved.stem}-{digest}.lock")


@dataclass(frozen=True)
class ScheduledBatch:
    """One schedule entry."""

    id: str
    cron: str
    spec: str
    next_run: datetime | None


def _scheduler(db: Store, cls: type[BaseScheduler] = BackgroundScheduler) -> BaseScheduler:
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    return cls(jobstores={"default": SQLAlchemyJobStore(url=store_url(db)), "memory": MemoryJobStore()},
               job_defaults=_JOB_DEFAULTS, timezone="UTC")


def _entry(job: Any) -> ScheduledBatch:
    return ScheduledBatch(id=job.id, cron=job.kwargs.get("cron", ""), spec=job.kwargs["spec"],
                          next_run=job.next_run_time)


def open_store(db: Store) -> Any:
    """The schedule's job store, opened without starting a scheduler.

    Management commands must not start one: a started scheduler processes due jobs, so a
    ``schedule list`` at 02:00 could advance (and lose) the nightly start.
    """
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    store = SQLAlchemyJobStore(url=store_url(db))
    store.start(BackgroundScheduler(timezone="UTC"), "default")
    return store


def add_schedule(db: Store, cron: str, spec: str | Path, *, workdir: Path | None = None,
                 config: str | None = None, overrides: tuple[str, ...] = ()) -> ScheduledBatch:
    """Schedule ``spec`` at ``cron`` (UTC).

    Raises:
        CronError: for a malformed expression.
        FileNotFoundError: when the spec does not exist.
    """
    from apscheduler.job import Job

    trigger = cron_trigger(cron)
    spec_path = Path(spec).resolve()
    if not spec_path.is_file():
        raise FileNotFoundError(f"batch spec {spec_path} does not exist")
    kwargs = {"spec": str(spec_path), "cron": cron, "workdir": str((workdir or Path.cwd()).resolve()),
              "config": str(Path(config).resolve()) if config else None, "overrides": list(overrides)}
    store = open_store(db)
    try:
        job = Job(store._scheduler, id=f"{spec_path.stem}-{os.urandom(3).hex()}",
                  func="proctor.batch._scheduler:launch_batch", trigger=trigger, executor="default",
                  args=(), kwargs=kwargs, name=spec_path.stem,
                  next_run_time=trigger.get_next_fire_time(None, datetime.now(UTC)), **_JOB_DEFAULTS)
        store.add_job(job)
        return _entry(job)
    finally:
        store.shutdown()


def list_schedules(db: Store) -> list[ScheduledBatch]:
    """Every scheduled batch, soonest first."""
    if "://" not in str(db) and not Path(db).exists():
        return []
    store = open_store(db)
    try:
        return [_entry(j) for j in store.get_all_jobs()]
    finally:
        store.shutdown()


def remove_schedule(db: Store, job_id: str) -> None:
    """Delete a schedule.

    Raises:
        ScheduleNotFound: when no schedule has that id.
    """
    store = open_store(db)
    try:
        store.remove_job(job_id)
    except JobLookupError as exc:
        raise ScheduleNotFound(f"no schedule {job_id!r}; `proctor schedule list` shows them") from exc
    finally:
        store.shutdown()


def launch_batch(spec: str, workdir: str, config: str | None = None, overrides: list[str] | None = None,
                 cron: str = "") -> int | None:
    """Start ``batch run SPEC`` detached (own session, output to ``<state>/logs``); returns its pid.

    Returns None, starting nothing, while the spec's previous batch still holds its lock.
    """
    lock = spec_lock(spec)
    if lock.held():
        log.warning("skipping %s: its batch is still running (%s)", spec, lock.holder() or "holder unknown")
        return None
    logs = state_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H-%M-%SZ")
    with (logs / f"{Path(spec).stem}_{stamp}.log").open("ab") as out:
        proc = subprocess.Popen(batch_command(Path(spec), config=config, overrides=tuple(overrides or ())),
                                cwd=workdir, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    log.info("launched batch %s (pid %d, cron %s)", spec, proc.pid, cron)
    return proc.pid


def _heartbeat() -> None:
    """Wakes the scheduler so jobs added by another process are seen."""


def serve(db: Store | None = None, *, wake_s: float = 30.0, stop: threading.Event | None = None) -> None:
    """Serve the schedule database until interrupted (or ``stop`` is set).

    Args:
        db: Schedule database, a file or a URL (default :func:`default_db`).
        wake_s: How often to re-read the store for jobs added or removed by other processes.
        stop: When given, run in the background and return once it is set (tests).
    """
    path = db or default_db()
    if stop is None:
        blocking = _scheduler(path, BlockingScheduler)
        blocking.add_job(_heartbeat, "interval", seconds=wake_s, jobstore="memory", id="heartbeat")
        blocking.start()
        return
    sched = _scheduler(path)
    sched.add_job(_heartbeat, "interval", seconds=wake_s, jobstore="memory", id="heartbeat")
    sched.start()
    try:
        stop.wait()
    finally:
        sched.shutdown(wait=False)
