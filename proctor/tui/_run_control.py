"""Asking a run to pause, cancel or resume, from outside the run's process.

Requests are files the runner polls, so they also reach a run on another machine that shares the
runs directory:

* ``<run>/control/pause``: finish the node in flight, then stop with status ``paused``.
* ``<run>/control/cancel``: stop as soon as possible; the run is not to be resumed.

Each holds JSON ``{"request", "by", "at", "reason"}``. A cancel also sends ``SIGTERM`` to the run's
process when ``run.json`` records its pid (``extra.pid``) and that pid is still a Proctor process.
Resuming starts ``proctor resume <run>`` detached, so the UI never waits for the run.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from proctor.log import RunDir, atomic_write, utcnow

RequestKind = Literal["pause", "cancel"]
ResumeLauncher = Callable[[Path], int | None]
"""Starts the resume of a run directory; returns the new process's pid when there is one."""


def request_path(run: Path, kind: RequestKind) -> Path:
    """``<run>/control/<kind>``."""
    return Path(run) / "control" / kind


def write_request(run: Path, kind: RequestKind, *, by: str, reason: str = "") -> Path:
    """Write a pause or cancel request file for the runner to honour.

    Raises:
        FileNotFoundError: when the run directory no longer exists (nothing is recreated).
    """
    if not (Path(run) / "run.json").exists():
        raise FileNotFoundError(f"run {Path(run).name} was deleted")
    path = request_path(run, kind)
    body = {"request": kind, "by": by, "at": utcnow().isoformat(), "reason": reason}
    atomic_write(path, (json.dumps(body, indent=2) + "\n").encode())
    return path


def withdraw_request(run: Path, kind: RequestKind) -> bool:
    """Remove a request file; returns whether there was one."""
    path = request_path(run, kind)
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def recorded_pid(run: Path) -> int | None:
    """The pid ``run.json`` records in ``extra.pid`` when it is a live Proctor process, else None."""
    try:
        pid = RunDir(run).header().extra.get("pid")
    except (OSError, ValueError):
        return None
    if not isinstance(pid, int) or pid <= 1:
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    # A stale pid may belong to an unrelated process by now; only signal something running Proctor.
    return pid if b"proctor" in cmdline else None


def cancel_run(run: Path, *, by: str) -> str:
    """Cancel a run: ``SIGTERM`` to its recorded process, and a ``cancel`` request file.

    Returns:
        What was done, for the status line.

    Raises:
        FileNotFoundError: when the run directory no longer exists.
    """
    write_request(run, "cancel", by=by, reason="cancelled from proctor tui")
    pid = recorded_pid(run)
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
            return f"sent SIGTERM to pid {pid} and wrote control/cancel"
        except OSError as exc:
            return f"could not signal pid {pid} ({exc}); wrote control/cancel for the runner"
    return "no live process recorded for this run: wrote control/cancel; the runner stops at its next check"


def resume_argv(run: Path, template: str | None = None, config: str | None = None) -> list[str]:
    """The command that resumes ``run``.

    Args:
        run: the run directory.
        template: a command line with ``{run}`` for the directory (e.g. ``"sbatch resume.sh {run}"``);
            default ``proctor resume {run}`` with this Python.
        config: a settings file to pass on with ``--config`` (default command only).
    """
    if template:
        return [part.replace("{run}", str(run)) for part in shlex.split(template)]
    argv = [sys.executable, "-c", "from proctor.cli.main import main; main()", "resume", str(run)]
    return argv + (["--config", config] if config else [])


def detached_launcher(template: str | None = None, config: str | None = None) -> ResumeLauncher:
    """A launcher that starts the resume command in its own session, output to ``control/resume.log``."""

    def launch(run: Path) -> int | None:
        log_path = Path(run) / "control" / "resume.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            proc = subprocess.Popen(resume_argv(run, template, config), stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
        return proc.pid

    return launch


def _resume_mark(run: Path) -> Path:
    return Path(run) / "control" / "resume_requested"


def start_resume(run: Path, launcher: ResumeLauncher, *, by: str, within_s: float = 120.0) -> str:
    """Launch the resume of ``run`` unless a console asked for one in the last ``within_s`` seconds.

    Two reviewers' consoles may both see the same run paused with nothing held; the mark
    ``control/resume_requested`` keeps them from starting two resumes of one run.

    Returns:
        What happened, for the status line.

    Raises:
        OSError: when the resume command cannot be started.
    """
    mark = _resume_mark(run)
    try:
        age = time.time() - mark.stat().st_mtime
    except OSError:
        age = None
    if age is not None and age < within_s:
        return f"a resume was already requested {age:.0f}s ago (control/resume_requested)"
    withdraw_request(run, "pause")
    pid = launcher(run)
    body = {"by": by, "at": utcnow().isoformat(), "pid": pid}
    atomic_write(mark, (json.dumps(body) + "\n").encode())
    return "resumed the run" + (f" (pid {pid}, log control/resume.log)" if pid else "")
