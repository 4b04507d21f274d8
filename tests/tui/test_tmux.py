"""End to end in a real terminal: ``python -m proctor.cli tui`` in tmux, approve with keys, see the resume.

Runs on its own tmux socket so it never touches a reviewer's sessions; skipped without tmux.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from proctor.control import AuditQueue
from proctor.tui._store import queue_path
from tests.tui.tui_helpers import hold, make_run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (apt-get install tmux)"),
]


def _wait(what: str, check: Callable[[], bool], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_approve_in_tmux_resumes_the_run(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    run = make_run(root)
    item_id = hold(run)
    socket = f"proctor-tui-test-{os.getpid()}"
    tmux = ["tmux", "-L", socket]
    command = shlex.join([sys.executable, "-m", "proctor.cli", "tui", "--runs-dir", str(root), "--reviewer", "tmux",
                          "--refresh", "0.5", "--resume-cmd", "touch {run}/resumed"])

    def screen() -> str:
        out = subprocess.run([*tmux, "capture-pane", "-p", "-t", "tui"], capture_output=True, text=True)
        return out.stdout

    def keys(*args: str) -> None:
        subprocess.run([*tmux, "send-keys", "-t", "tui", *args], check=True)

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    subprocess.run([*tmux, "new-session", "-d", "-s", "tui", "-x", "100", "-y", "30", "-c", str(tmp_path), command],
                   check=True, env=env)
    try:
        _wait("the queue", lambda: "Audit queue (1)" in screen())
        assert "proposed action" in screen() and "requests.post" in screen()
        keys("a")
        _wait("the rationale prompt", lambda: "Approve:" in screen())
        keys("-l", "approved from tmux")
        keys("Enter")
        _wait("the decision", lambda: AuditQueue(queue_path(run.path)).get(item_id).status == "decided")
        _wait("the resume command", lambda: (run.path / "resumed").exists())
        _wait("the status line", lambda: "resumed the run" in screen())
        decision = AuditQueue(queue_path(run.path)).get(item_id).decision
        assert decision.reviewer == "tmux" and decision.rationale == "approved from tmux"
        keys("q")
        _wait("the app to exit", lambda: subprocess.run([*tmux, "has-session", "-t", "tui"],
                                                        capture_output=True).returncode != 0, timeout=30)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
