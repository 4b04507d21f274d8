"""Who owns a machine-wide sandbox resource (a live mount, a cgroup), and whether it is still alive.

An owner is a process identified by its pid and its start time (``/proc/PID/stat`` field 22), so a
reused pid is never mistaken for the harness that created the resource. Resources whose owner is
gone are stale: the next sandbox created on the machine (or ``proctor sandbox check``) removes them.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path


def start_time(pid: int) -> int | None:
    """The start time of ``pid`` in clock ticks since boot, or ``None`` when there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after the last ')'
    fields = raw[raw.rfind(b")") + 2:].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


@functools.cache
def _own(pid: int) -> str:
    return f"{pid}-{start_time(pid) or 0}"


def owner_tag() -> str:
    """``PID-START`` of this process (safe in file and cgroup names)."""
    return _own(os.getpid())


def alive(tag: str) -> bool:
    """Whether the process named by an :func:`owner_tag` still runs (a malformed tag counts as alive)."""
    try:
        pid_s, start_s = tag.split("-", 1)
        pid, start = int(pid_s), int(start_s)
    except ValueError:
        return True
    now = start_time(pid)
    return now is not None and (start == 0 or now == start)
