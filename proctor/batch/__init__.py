"""Batches: many runs from one YAML spec, scheduled nightly, driven under budgets, reported each morning.

A :class:`BatchSpec` crosses research directions with experiment templates; :func:`create_batch`
creates a batch directory (``batch.json``) and every run directory up front, and
:func:`drive_batch` runs them through an :class:`Executor` (a process per run locally, or Ray
tasks) within the batch's concurrency, GPU and budget caps. Killing anything mid-batch loses at
most the graph node in flight: driving the batch again resumes every unfinished run from its
checkpoint. :func:`serve` runs specs on cron schedules kept in a persistent APScheduler store, and
:func:`write_report` writes the morning report (Markdown, HTML, plots).
"""

from proctor.agents import checkpointer_url, open_checkpointer_for, thread_id_for
from proctor.batch._create import create_batch, run_settings
from proctor.batch._cron import (
    CronError,
    batch_command,
    cron_trigger,
    crontab_line,
    on_calendar,
    systemd_units,
)
from proctor.batch._driver import drive_batch, unfinished_runs
from proctor.batch._executor import Executor, JobResult, LocalExecutor, executor_for
from proctor.batch._live import batch_state, batch_table
from proctor.batch._plan import PlannedRun, plan_runs, spec_overrides
from proctor.batch._record import BatchDir, BatchEntry, BatchNotFound, BatchRecord, BatchStatus
from proctor.batch._report import BatchReport, Incident, PaperRow, RunRow, collect_report
from proctor.batch._report_render import render_html, render_markdown, write_report
from proctor.batch._scheduler import (
    ScheduledBatch,
    ScheduleNotFound,
    add_schedule,
    default_db,
    launch_batch,
    list_schedules,
    remove_schedule,
    serve,
    spec_lock,
)
from proctor.batch._spec import BatchSpec, Budget, Budgets, GPUs, Models, SpecError, load_spec, parse_spec
from proctor.batch._spend import Spend, SpendMeter
from proctor.batch._worker import RunJob, run_job
from proctor.settings import BatchSettings, ExecutorKind, batch_settings_of, batches_root

__all__ = [
    "BatchDir",
    "BatchEntry",
    "BatchNotFound",
    "BatchRecord",
    "BatchReport",
    "BatchSettings",
    "BatchSpec",
    "BatchStatus",
    "Budget",
    "Budgets",
    "CronError",
    "Executor",
    "ExecutorKind",
    "GPUs",
    "Incident",
    "JobResult",
    "LocalExecutor",
    "Models",
    "PaperRow",
    "PlannedRun",
    "RunJob",
    "RunRow",
    "ScheduleNotFound",
    "ScheduledBatch",
    "SpecError",
    "Spend",
    "SpendMeter",
    "add_schedule",
    "batch_command",
    "batch_settings_of",
    "batch_state",
    "batch_table",
    "batches_root",
    "checkpointer_url",
    "collect_report",
    "create_batch",
    "cron_trigger",
    "crontab_line",
    "default_db",
    "drive_batch",
    "executor_for",
    "launch_batch",
    "list_schedules",
    "load_spec",
    "on_calendar",
    "open_checkpointer_for",
    "parse_spec",
    "plan_runs",
    "remove_schedule",
    "render_html",
    "render_markdown",
    "run_job",
    "run_settings",
    "serve",
    "spec_lock",
    "spec_overrides",
    "systemd_units",
    "thread_id_for",
    "unfinished_runs",
    "write_report",
]
