"""The batch, schedule and scheduler commands (CliRunner; real batches run in test_kill_resume)."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner

from proctor.batch import spec_lock
from proctor.cli._batch import batch_group, schedule_group, scheduler_cmd

from .conftest import write_spec
from .test_report import _batch


def _cli() -> click.Group:
    group = click.Group("proctor")
    for cmd in (batch_group, schedule_group, scheduler_cmd):
        group.add_command(cmd)
    return group


def test_bad_spec_exits_2_naming_the_field(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: x\ndirections: [a]\nbudgets: {run: {usd: -1}}\n")
    result = CliRunner().invoke(_cli(), ["batch", "run", str(spec), "--no-live", "--set", f"runs_dir={tmp_path}"])
    assert result.exit_code == 2 and "budgets.run.usd" in result.output


def test_second_run_of_a_spec_is_refused(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "n.yaml")
    with spec_lock(spec):
        result = CliRunner().invoke(_cli(), ["batch", "run", str(spec), "--no-live", "--set", f"runs_dir={tmp_path}"])
    assert result.exit_code == 2 and "not starting another" in result.output


def test_status_and_report(tmp_path: Path) -> None:
    batch = _batch(tmp_path / "batches")
    opts = ["--set", f"runs_dir={tmp_path}"]
    listing = CliRunner().invoke(_cli(), ["batch", "status", *opts], terminal_width=200)
    assert listing.exit_code == 0 and batch.path.name in listing.output
    one = CliRunner().invoke(_cli(), ["batch", "status", batch.load().id, *opts], terminal_width=200)
    assert one.exit_code == 0 and "d1-t0" in one.output and "paused" in one.output
    report = CliRunner().invoke(_cli(), ["batch", "report", batch.path.name, *opts], terminal_width=200)
    assert report.exit_code == 0 and (batch.path / "report" / "report.html").exists()
    missing = CliRunner().invoke(_cli(), ["batch", "status", "nope", *opts])
    assert missing.exit_code == 2 and "no batch 'nope'" in missing.output


def test_schedule_commands(tmp_path: Path) -> None:
    spec, db = write_spec(tmp_path / "n.yaml"), str(tmp_path / "s.sqlite")
    cron = CliRunner().invoke(_cli(), ["schedule", "add", "--cron", "0 2 * * *", str(spec), "--print-crontab"])
    assert cron.exit_code == 0 and "0 2 * * * cd " in cron.output and "proctor.cli batch run" in cron.output
    unit = CliRunner().invoke(_cli(), ["schedule", "add", "--cron", "0 2 * * *", str(spec), "--print-systemd"])
    assert "OnCalendar=*-*-* 02:00:00 UTC" in unit.output and "proctor-batch-tiny.timer" in unit.output
    added = CliRunner().invoke(_cli(), ["schedule", "add", "--cron", "0 2 * * *", str(spec), "--db", db])
    assert added.exit_code == 0, added.output
    job_id = added.output.split()[1].rstrip(":")
    listed = CliRunner().invoke(_cli(), ["schedule", "list", "--db", db], terminal_width=200)
    assert job_id in listed.output
    assert CliRunner().invoke(_cli(), ["schedule", "remove", job_id, "--db", db]).exit_code == 0
    assert CliRunner().invoke(_cli(), ["schedule", "remove", job_id, "--db", db]).exit_code == 2
    bad = CliRunner().invoke(_cli(), ["schedule", "add", "--cron", "61 2 * * *", str(spec), "--db", db])
    assert bad.exit_code == 2 and "invalid cron" in bad.output


def test_schedule_db_keeps_a_url_whole() -> None:
    from pathlib import Path

    from proctor.cli._batch import _schedule_db

    assert _schedule_db("postgresql://proctor@db.example:5432/proctor") == "postgresql://proctor@db.example:5432/proctor"
    assert _schedule_db("state/schedule.sqlite") == Path("state/schedule.sqlite")
