"""``proctor batch run|resume|status|report``, ``proctor schedule add|list|remove`` and ``proctor scheduler``."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from proctor.cli._common import (
    EXIT_BUDGET,
    EXIT_FAILED,
    EXIT_USAGE,
    clean_errors,
    console,
    fail,
    settings_options,
)


def _settings(config: str | None, overrides: tuple[str, ...]) -> Any:
    from proctor.settings import load_settings

    return load_settings(config, overrides)


def _drive(batch: Any, settings: Any, live: bool) -> int:
    from rich.live import Live

    from proctor.batch import SpendMeter, batch_settings_of, batch_table, drive_batch
    from proctor.locks import LockHeld

    meter = SpendMeter()

    def table(record: Any) -> Any:
        spend = {e.key: meter.update(batch.run_of(e).path).usd for e in record.runs}
        return batch_table(batch, record, spend)

    try:
        if live and console.is_terminal:
            with Live(table(batch.load()), console=console, refresh_per_second=4) as view:
                record = asyncio.run(drive_batch(batch, batch_settings_of(settings),
                                                 on_update=lambda r: view.update(table(r))))
                view.update(table(record))
        else:
            record = asyncio.run(drive_batch(batch, batch_settings_of(settings)))
            console.print(table(record))
    except LockHeld as exc:
        fail(f"batch {batch.path.name} is already being driven ({exc})", EXIT_USAGE)
    console.print(f"batch directory: {batch.path}")
    if record.status == "stopped":
        return EXIT_BUDGET
    return 0 if all(e.status == "succeeded" for e in record.runs) else EXIT_FAILED


def _open_batch(settings: Any, name: str) -> Any:
    from proctor.batch import BatchDir, BatchNotFound, batches_root

    try:
        return BatchDir.open(batches_root(settings), name)
    except BatchNotFound as exc:
        fail(str(exc), EXIT_USAGE)


@click.group("batch")
def batch_group() -> None:
    """Batches of runs from a YAML spec: directions x templates, with budgets and concurrency."""


@batch_group.command("run")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option("--live/--no-live", default=True, help="Show a live table (default when on a terminal).")
@settings_options
@clean_errors
def batch_run(spec: str, live: bool, config: str | None, overrides: tuple[str, ...]) -> None:
    """Create a batch from SPEC and run it (refused while SPEC's previous batch still runs)."""
    from proctor.batch import SpecError, create_batch, load_spec, spec_lock
    from proctor.locks import LockHeld

    settings = _settings(config, overrides)
    try:
        parsed = load_spec(spec)
        with spec_lock(spec):
            batch = create_batch(parsed, settings, spec_path=spec, overrides=overrides)
            console.print(f"batch {batch.path.name}: {len(batch.load().runs)} run(s)")
            code = _drive(batch, settings, live)
    except SpecError as exc:
        fail(str(exc), EXIT_USAGE)
    except LockHeld as exc:
        fail(f"a batch from {spec} is still running ({exc}); not starting another", EXIT_USAGE)
    sys.exit(code)


@batch_group.command("resume")
@click.argument("batch")
@click.option("--live/--no-live", default=True, help="Show a live table (default when on a terminal).")
@settings_options
@clean_errors
def batch_resume(batch: str, live: bool, config: str | None, overrides: tuple[str, ...]) -> None:
    """Finish BATCH: start runs never started, resume the others from their checkpoints."""
    settings = _settings(config, overrides)
    sys.exit(_drive(_open_batch(settings, batch), settings, live))


@batch_group.command("status")
@click.argument("batch", required=False)
@settings_options
@clean_errors
def batch_status(batch: str | None, config: str | None, overrides: tuple[str, ...]) -> None:
    """Show BATCH's runs, or list every batch when BATCH is omitted."""
    from rich.table import Table

    from proctor.batch import BatchDir, batch_state, batch_table, batches_root

    settings = _settings(config, overrides)
    if batch:
        found = _open_batch(settings, batch)
        console.print(batch_table(found, found.refresh(found.load())))
        return
    table = Table(title=f"batches under {batches_root(settings)}")
    for col in ("batch", "status", "runs", "succeeded", "USD"):
        table.add_column(col)
    for b in BatchDir.all(batches_root(settings)):
        rec = b.refresh(b.load())
        table.add_row(b.path.name, batch_state(b, rec), str(len(rec.runs)),
                      str(sum(e.status == "succeeded" for e in rec.runs)), f"{rec.spend_usd:.4f}")
    console.print(table)


@batch_group.command("report")
@click.argument("batch")
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Directory (default: BATCH/report).")
@settings_options
@clean_errors
def batch_report(batch: str, out: str | None, config: str | None, overrides: tuple[str, ...]) -> None:
    """Write BATCH's morning report (Markdown, HTML and plots)."""
    from proctor.batch import write_report

    found = _open_batch(_settings(config, overrides), batch)
    paths = write_report(found, Path(out) if out else None)
    for path in paths:
        console.print(f"wrote {path}")


@click.group("schedule")
def schedule_group() -> None:
    """Scheduled batches (served by `proctor scheduler`, or by cron/systemd with --print-*)."""


_DB = click.option("--db", type=str, default=None,
                   help="Schedule database: a SQLite file or a postgresql:// URL (default: batch.schedule_url, "
                        "else $PROCTOR_STATE_DIR/schedule.sqlite).")


def _schedule_db(db: str | None) -> Path | str:
    """``--db`` as the batch package takes it: a URL as written (``Path`` would fold its ``//``), a file as a path."""
    from proctor.batch import default_db

    if not db:
        return default_db()
    return db if "://" in db else Path(db)


@schedule_group.command("add")
@click.argument("spec", type=click.Path(exists=True, dir_okay=False))
@click.option("--cron", "cron", required=True, help='Five-field cron expression in UTC, e.g. "0 2 * * *".')
@click.option("--print-systemd", is_flag=True, help="Print a systemd service + timer instead of scheduling.")
@click.option("--print-crontab", is_flag=True, help="Print a crontab line instead of scheduling.")
@_DB
@settings_options
@clean_errors
def schedule_add(spec: str, cron: str, print_systemd: bool, print_crontab: bool, db: str | None,
                 config: str | None, overrides: tuple[str, ...]) -> None:
    """Run SPEC's batch on a cron schedule."""
    from proctor.batch import (
        CronError,
        add_schedule,
        batch_command,
        crontab_line,
        load_spec,
        systemd_units,
    )
    from proctor.paths import state_dir

    try:
        name = load_spec(spec).name
        command = batch_command(Path(spec), config=config, overrides=overrides)
        if print_crontab:
            click.echo(crontab_line(cron, command, Path.cwd(), state_dir() / "logs" / f"{name}.log"))
            return
        if print_systemd:
            for filename, text in systemd_units(name, cron, command, Path.cwd()).items():
                click.echo(f"# {filename} (put in ~/.config/systemd/user/, then "
                           f"`systemctl --user enable --now proctor-batch-{name}.timer`)\n{text}")
            return
        entry = add_schedule(_schedule_db(db), cron, spec, config=config, overrides=overrides)
    except (CronError, ValueError, FileNotFoundError) as exc:
        fail(str(exc), EXIT_USAGE)
    console.print(f"scheduled {entry.id}: {entry.spec} at '{entry.cron}' UTC, next {entry.next_run}; "
                  "serve it with `proctor scheduler`")


@schedule_group.command("list")
@_DB
def schedule_list(db: str | None) -> None:
    """List scheduled batches."""
    from rich.table import Table

    from proctor.batch import list_schedules

    table = Table(title="scheduled batches (UTC)")
    for col in ("id", "cron", "spec", "next run"):
        table.add_column(col)
    for e in list_schedules(_schedule_db(db)):
        table.add_row(e.id, e.cron, e.spec, str(e.next_run or "paused"))
    console.print(table)


@schedule_group.command("remove")
@click.argument("schedule_id")
@_DB
def schedule_remove(schedule_id: str, db: str | None) -> None:
    """Remove a scheduled batch."""
    from proctor.batch import ScheduleNotFound, remove_schedule

    try:
        remove_schedule(_schedule_db(db), schedule_id)
    except ScheduleNotFound as exc:
        fail(str(exc), EXIT_USAGE)
    console.print(f"removed {schedule_id}")


@click.command("scheduler")
@_DB
@click.option("--wake", type=float, default=30.0, show_default=True,
              help="Seconds between re-reads of the schedule database.")
def scheduler_cmd(db: str | None, wake: float) -> None:
    """Serve scheduled batches until interrupted (schedules persist across restarts)."""
    import logging

    from rich.logging import RichHandler

    from proctor.batch import serve

    logging.basicConfig(level=logging.INFO, handlers=[RichHandler(console=console)], format="%(message)s")
    path = _schedule_db(db)
    console.print(f"serving {path}; Ctrl-C stops (running batches continue)")
    try:
        serve(path, wake_s=wake)
    except (KeyboardInterrupt, SystemExit):
        pass
