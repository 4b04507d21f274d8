"""Run one host process with a deadline, bounded output capture and resource accounting.

Shared by the bubblewrap and host providers. The process starts in a new session (its own
process group); on timeout the caller's ``kill`` callback ends it by process group and cgroup,
never by name. CPU time and peak memory come from ``wait4``'s rusage, which covers the process
and every descendant it reaped.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from proctor.sandboxes._result import OutputBuffer


@dataclass
class ProcessOutcome:
    """What :func:`run_process` observed."""

    exit_code: int
    stdout: OutputBuffer
    stderr: OutputBuffer
    wall_s: float
    cpu_s: float
    maxrss_bytes: int
    timed_out: bool


def kill_group(pgid: int) -> None:
    """SIGKILL a process group, ignoring one that is already gone."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _exit_code(status: int) -> int:
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def run_process(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: str | None,
    stdin: bytes | None,
    timeout_s: float,
    output_limit: int,
    preexec: Callable[[], None] | None = None,
    kill: Callable[[int], None] = kill_group,
    pass_fds: tuple[int, ...] = (),
) -> ProcessOutcome:
    """Run ``argv`` to completion or until ``timeout_s``, whichever comes first (blocking).

    Args:
        argv: the command.
        env: its complete environment.
        cwd: its working directory.
        stdin: bytes fed to it, or ``None`` for an empty stdin.
        timeout_s: wall-clock limit; on expiry ``kill(pid)`` is called and the result is flagged.
        output_limit: bytes kept of stdout and of stderr.
        preexec: run in the child before exec (limits, cgroup, dropping privileges).
        kill: ends the process and everything it started; gets the child's pid (= its pgid).
        pass_fds: descriptors the child inherits (bwrap's ``--args`` and ``--seccomp``).
    """
    start = time.monotonic()
    proc = subprocess.Popen(  # noqa: S603 - argv comes from an approved action
        argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd,
        start_new_session=True, preexec_fn=preexec, close_fds=True, pass_fds=pass_fds,
    )
    if stdin is not None and proc.stdin is not None:
        pipe = proc.stdin

        def feed() -> None:
            try:
                pipe.write(stdin)
            except OSError:
                pass
            finally:
                try:
                    pipe.close()
                except OSError:
                    pass

        threading.Thread(target=feed, daemon=True).start()
    assert proc.stdout is not None and proc.stderr is not None
    out, err = OutputBuffer(output_limit), OutputBuffer(output_limit)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, out)
    sel.register(proc.stderr, selectors.EVENT_READ, err)
    deadline = start + timeout_s
    status: tuple[int, int, Any] | None = None
    timed_out = False
    drain_until = 0.0
    poll = 0.001
    try:
        while True:
            now = time.monotonic()
            if status is None:
                pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    status = (pid, st, ru)
                    drain_until = now + 0.2
                elif now >= deadline:
                    timed_out = True
                    kill(proc.pid)
                    status = os.wait4(proc.pid, 0)
                    drain_until = time.monotonic() + 0.2
            if status is not None and (not sel.get_map() or time.monotonic() >= drain_until):
                break
            if sel.get_map():
                wait = min(0.05, max(deadline - now, 0.0)) if status is None else 0.05
                for key, _ in sel.select(timeout=wait):
                    data = os.read(key.fd, 1 << 16)
                    if data:
                        key.data.feed(data)
                    else:
                        sel.unregister(key.fileobj)
            else:
                time.sleep(poll)
                poll = min(poll * 2, 0.05)
    finally:
        sel.close()
        proc.stdout.close()
        proc.stderr.close()
        if status is None:
            kill(proc.pid)
            status = os.wait4(proc.pid, 0)
        proc.returncode = _exit_code(status[1])
    ru = status[2]
    return ProcessOutcome(
        exit_code=_exit_code(status[1]), stdout=out, stderr=err, wall_s=time.monotonic() - start,
        cpu_s=ru.ru_utime + ru.ru_stime, maxrss_bytes=ru.ru_maxrss * 1024,  # type: ignore[attr-defined]
        timed_out=timed_out,
    )
