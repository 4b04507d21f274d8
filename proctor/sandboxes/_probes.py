"""Helpers the conformance checks share: harness-approved commands and host-side process probes."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from proctor.control import Action, ApprovedAction, ShellCommand, approve_harness
from proctor.sandboxes._provider import SandboxProvider
from proctor.sandboxes._result import ExecResult

NODE = "sandbox_conformance"
Outcome = tuple[bool | None, str]
"""A check's verdict (``None``: not applicable here) and its detail line."""


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check on one provider; ``passed`` is ``None`` when skipped."""

    check: str
    provider: str
    passed: bool | None
    detail: str


@dataclass(frozen=True)
class ConformanceCheck:
    """A named check; ``isolation`` checks only apply to isolated providers, ``providers`` (if set)
    names the only ones it applies to, and ``harness`` gives its sandbox a harness directory."""

    name: str
    run: Callable[[SandboxProvider], Awaitable[Outcome]]
    isolation: bool = True
    harness: bool = False
    providers: tuple[str, ...] | None = None
    why_not: str = ""


def shell(argv: list[str], *, timeout_s: float | None = None, stdin: str | None = None,
          env: dict[str, str] | None = None) -> ApprovedAction:
    """A harness-approved shell command."""
    payload = ShellCommand(argv=argv, timeout_s=timeout_s, stdin=stdin, env=env or {})
    return approve_harness(Action(node=NODE, payload=payload, origin="harness"), reason="conformance check")


def py(code: str, *args: str, **kw: object) -> ApprovedAction:
    """A harness-approved ``python3 -c code args...``."""
    return shell(["python3", "-c", code, *args], **kw)  # type: ignore[arg-type]


def brief(r: ExecResult) -> str:
    """One line about a result, for a failed check's detail."""
    return (f"exit={r.exit_code} timed_out={r.timed_out} oom={r.oom_killed} wall={r.wall_s:.2f}s "
            f"stderr={r.stderr[-160:]!r}")


def processes_with(marker: str) -> list[int]:
    """Pids on this machine whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def host_ids(pid: int) -> tuple[list[int], list[int]] | None:
    """A process's real/effective/saved/fs uids and gids as the host sees them."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return None
    ids = {k: [int(v) for v in rest.split()] for k, _, rest in (ln.partition(":") for ln in lines) if k in ("Uid", "Gid")}
    return (ids["Uid"], ids["Gid"]) if "Uid" in ids and "Gid" in ids else None


def _wait_gone(marker: str, within_s: float) -> list[int]:
    deadline = time.monotonic() + within_s
    while (left := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


async def gone(marker: str, within_s: float = 5.0) -> list[int]:
    """Pids still carrying ``marker`` after waiting up to ``within_s`` for them to end."""
    return await asyncio.to_thread(_wait_gone, marker, within_s)


def remove_leaked(paths: list[str]) -> list[str]:
    """Delete and return those of ``paths`` that exist (probe files that reached the host)."""
    leaked = [p for p in paths if os.path.exists(p)]
    for p in leaked:
        Path(p).unlink(missing_ok=True)
    return leaked


def no_live_mount(sb: SandboxProvider) -> Outcome:
    """The verdict of a quota or mirror check on a sandbox without a live mount."""
    if sb.settings.quota == "off":
        return None, "sandbox.quota=off: no live quota mount by choice"
    note = next((n for n in sb.notes if n.startswith("quota not enforced")), "no live mount")
    return False, note
