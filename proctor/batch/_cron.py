"""The system scheduler's way: a crontab line or a systemd service + timer for a batch spec."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger

_DOW = {"0": "Sun", "1": "Mon", "2": "Tue", "3": "Wed", "4": "Thu", "5": "Fri", "6": "Sat", "7": "Sun"}


class CronError(ValueError):
    """The cron expression is not five valid fields."""


def cron_trigger(expr: str) -> CronTrigger:
    """APScheduler trigger for a five-field crontab expression, in UTC.

    Raises:
        CronError: when the expression is malformed.
    """
    if len(expr.split()) != 5:
        raise CronError(f"cron expression needs 5 fields (minute hour day month weekday), got {expr!r}")
    try:
        return CronTrigger.from_crontab(expr, timezone="UTC")
    except ValueError as exc:
        raise CronError(f"invalid cron expression {expr!r}: {exc}") from exc


def _field(value: str, dow: bool = False) -> str:
    parts = []
    for part in value.split(","):
        base, _, step = part.partition("/")
        if base == "*" and step:
            base = "0" if not dow else "Sun"
        elif dow:
            base = "..".join(_DOW.get(x, x) for x in base.split("-")) if base != "*" else "*"
        else:
            base = base.replace("-", "..")
        parts.append(f"{base}/{step}" if step else base)
    return ",".join(parts)


def on_calendar(expr: str) -> str:
    """systemd ``OnCalendar=`` for a cron expression (``0 2 * * 1-5`` -> ``Mon..Fri *-*-* 02:00:00``).

    Example:
        >>> on_calendar("0 2 * * *")
        '*-*-* 02:00:00 UTC'
        >>> on_calendar("*/15 6-8 1 * 1-5")
        'Mon..Fri *-*-01 6..8:0/15:00 UTC'

    Raises:
        CronError: when the expression is malformed.
    """
    cron_trigger(expr)
    minute, hour, dom, month, dow = expr.split()

    def pad(v: str) -> str:
        return v if not v.isdigit() else f"{int(v):02d}"

    date = f"*-{pad(_field(month))}-{pad(_field(dom))}"
    time = f"{pad(_field(hour))}:{pad(_field(minute))}:00"
    weekday = "" if dow == "*" else _field(dow, dow=True) + " "
    return f"{weekday}{date} {time} UTC"


def batch_command(spec: Path, *, config: str | None = None, overrides: tuple[str, ...] = ()) -> list[str]:
    """The command that runs a batch non-interactively (``python -m proctor.cli batch run SPEC``)."""
    cmd = [sys.executable, "-m", "proctor.cli", "batch", "run", str(Path(spec).resolve()), "--no-live"]
    if config:
        cmd += ["--config", str(Path(config).resolve())]
    for pair in overrides:
        cmd += ["--set", pair]
    return cmd


def crontab_line(expr: str, command: list[str], workdir: Path, log: Path) -> str:
    """Crontab lines (``CRON_TZ=UTC`` first, as the schedule is UTC).

    A second start while the batch still runs exits at once: ``batch run`` holds a per-spec lock.
    """
    cron_trigger(expr)
    cmd = " ".join(shlex.quote(c) for c in command)
    return f"CRON_TZ=UTC\n{expr} cd {shlex.quote(str(workdir))} && {cmd} >> {shlex.quote(str(log))} 2>&1"


def systemd_units(name: str, expr: str, command: list[str], workdir: Path) -> dict[str, str]:
    """``proctor-batch-<name>.service`` and ``.timer`` (a oneshot service never overlaps itself)."""
    unit = f"proctor-batch-{name}"
    service = (
        "[Unit]\n"
        f"Description=Proctor batch {name}\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"WorkingDirectory={workdir}\n"
        f"ExecStart={' '.join(shlex.quote(c) for c in command)}\n"
        "KillMode=mixed\n"
    )
    timer = (
        "[Unit]\n"
        f"Description=Run Proctor batch {name} on schedule ({expr})\n\n"
        "[Timer]\n"
        f"OnCalendar={on_calendar(expr)}\n"
        "Persistent=true\n\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )
    return {f"{unit}.service": service, f"{unit}.timer": timer}
