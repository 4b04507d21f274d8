"""Schedules: persistent add/list/remove, one batch per spec at a time, the service, cron/systemd text."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.batch import (
    CronError,
    ScheduleNotFound,
    add_schedule,
    batch_command,
    crontab_line,
    launch_batch,
    list_schedules,
    on_calendar,
    remove_schedule,
    spec_lock,
    systemd_units,
)
from proctor.paths import state_dir

from .conftest import serve_due_job, write_spec


def test_schedules_persist_across_scheduler_instances(tmp_path: Path) -> None:
    db, spec = tmp_path / "schedule.sqlite", write_spec(tmp_path / "nightly.yaml")
    entry = add_schedule(db, "0 2 * * *", spec, workdir=tmp_path)
    [listed] = list_schedules(db)  # a fresh scheduler reads the same store
    assert listed.id == entry.id and listed.spec == str(spec.resolve()) and listed.cron == "0 2 * * *"
    assert listed.next_run is not None and (listed.next_run.hour, listed.next_run.minute) == (2, 0)
    remove_schedule(db, entry.id)
    assert list_schedules(db) == []
    with pytest.raises(ScheduleNotFound):
        remove_schedule(db, entry.id)
    with pytest.raises(CronError, match="5 fields"):
        add_schedule(db, "0 2 * *", spec)


def test_launch_is_skipped_while_the_specs_batch_runs(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "nightly.yaml")
    with spec_lock(spec):
        assert launch_batch(str(spec), str(tmp_path)) is None
    assert not (state_dir() / "logs").exists()


def test_service_fires_due_jobs_from_the_store(tmp_path: Path) -> None:
    db = tmp_path / "schedule.sqlite"
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: broken\n")  # the launched batch fails fast on it: cheap to observe
    entry = add_schedule(db, "0 2 * * *", bad, workdir=tmp_path)
    serve_due_job(db, entry.id)  # due now, as if the scheduler had been down at 02:00
    [after] = list_schedules(db)
    assert after.next_run is not None and after.next_run.hour == 2  # rescheduled, still persisted


def test_crontab_and_systemd_text(tmp_path: Path) -> None:
    cmd = batch_command(tmp_path / "n.yaml")
    assert cmd[1:5] == ["-m", "proctor.cli", "batch", "run"] and "--no-live" in cmd
    line = crontab_line("0 2 * * *", cmd, tmp_path, tmp_path / "log")
    assert line.startswith("CRON_TZ=UTC\n0 2 * * * cd ") and line.endswith(f">> {tmp_path / 'log'} 2>&1")
    units = systemd_units("nightly", "30 1 * * 1-5", cmd, tmp_path)
    assert "OnCalendar=Mon..Fri *-*-* 01:30:00 UTC" in units["proctor-batch-nightly.timer"]
    assert "Type=oneshot" in units["proctor-batch-nightly.service"]
    assert on_calendar("0 2 * * *") == "*-*-* 02:00:00 UTC"
