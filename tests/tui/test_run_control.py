"""Resume commands, the detached launcher, request files and the ``proctor tui`` command."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from proctor.cli._tui import tui_cmd
from proctor.tui import detached_launcher, request_path, resume_argv, write_request
from tests.tui.tui_helpers import make_run


def test_default_resume_command_uses_this_python(tmp_path: Path) -> None:
    argv = resume_argv(tmp_path, config="proctor.toml")
    assert argv[0] == sys.executable and argv[-4:] == ["resume", str(tmp_path), "--config", "proctor.toml"]


def test_resume_command_template(tmp_path: Path) -> None:
    run = tmp_path / "my run"
    assert resume_argv(run, "sbatch --wrap 'proctor resume {run}'") == ["sbatch", "--wrap", f"proctor resume {run}"]


def test_detached_launcher_starts_the_command_and_logs(root: Path) -> None:
    run = make_run(root)
    pid = detached_launcher("sh -c 'echo resumed {run} && touch {run}/done'")(run.path)
    assert isinstance(pid, int)
    deadline = time.monotonic() + 30
    while not (run.path / "done").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert f"resumed {run.path}" in (run.path / "control" / "resume.log").read_text()


def test_requests_are_not_written_into_a_deleted_run(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="deleted"):
        write_request(tmp_path / "gone", "pause", by="alice")
    assert not request_path(tmp_path / "gone", "pause").parent.exists()


def test_tui_command_help() -> None:
    result = CliRunner().invoke(tui_cmd, ["--help"])
    assert result.exit_code == 0
    for option in ("--runs-dir", "--reviewer", "--refresh", "--resume-cmd", "--theme", "--set"):
        assert option in result.output
