"""``proctor runs list|show|export``."""

from __future__ import annotations

import json
from collections import Counter

import click
from rich.table import Table

from proctor.cli._common import clean_errors, console
from proctor.cli._inspect import export_cmd
from proctor.log import ModelCallEvent, RunDir, StageEvent


@click.group("runs")
def runs_group() -> None:
    """List and inspect run directories."""


runs_group.add_command(export_cmd)


def _root(config: str | None) -> object:
    from proctor.settings import load_settings

    return load_settings(config).runs_dir


@runs_group.command("list")
@click.option("--config", default=None, help="Settings file.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@clean_errors
def list_cmd(config: str | None, as_json: bool) -> None:
    """Every run, oldest first, with status, tokens and cost."""
    rows: list[dict[str, object]] = []
    for run in RunDir.all(_root(config)):  # type: ignore[arg-type]
        try:
            header = run.header()
        except (OSError, ValueError) as exc:
            rows.append({"dir": run.path.name, "status": f"unreadable run.json: {exc}"})
            continue
        calls = [e for e in run.events.iter() if isinstance(e, ModelCallEvent)]
        rows.append({
            "dir": run.path.name, "id": header.id, "status": header.status,
            "direction": header.direction, "created": header.created.isoformat(),
            "tokens": sum(c.prompt_tokens + c.completion_tokens for c in calls),
            "cost_usd": round(sum(c.cost_usd for c in calls), 6),
        })
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table("id", "status", "created (UTC)", "direction", "tokens", "cost $")
    for r in rows:
        table.add_row(str(r.get("id", "?")), str(r["status"]), str(r.get("created", ""))[:19],
                      str(r.get("direction", ""))[:40], str(r.get("tokens", "")), str(r.get("cost_usd", "")))
    console.print(table if rows else "no runs yet: `proctor run` starts one")


@runs_group.command("show")
@click.argument("run_name")
@click.option("--config", default=None, help="Settings file.")
@clean_errors
def show_cmd(run_name: str, config: str | None) -> None:
    """Header, stage timeline, cost ledger by role and artifacts of RUN."""
    run = RunDir.open(_root(config), run_name)  # type: ignore[arg-type]
    header = run.header()
    console.print(f"[bold]{run.path.name}[/]  status: {header.status} {header.status_detail}")
    console.print(f"direction: {header.direction}   settings digest: {header.settings_digest}")
    events = run.events.read()
    timeline = Table("seq", "time (UTC)", "stage", "status", "seconds", "tokens", title="stages")
    for e in events:
        if isinstance(e, StageEvent):
            timeline.add_row(str(e.seq), e.ts.strftime("%H:%M:%S"), e.stage, e.status,
                             f"{e.seconds:.1f}" if e.seconds is not None else "", str(e.tokens or ""))
    console.print(timeline)
    ledger = Table("role", "model", "calls", "failed", "prompt tok", "completion tok", "cost $", "latency s",
                   title="cost ledger")
    groups: dict[tuple[str, str], list[ModelCallEvent]] = {}
    for e in events:
        if isinstance(e, ModelCallEvent):
            groups.setdefault((e.role, e.model), []).append(e)
    for (role, model), calls in sorted(groups.items()):
        ledger.add_row(role, model, str(len(calls)), str(sum(not c.ok for c in calls)),
                       str(sum(c.prompt_tokens for c in calls)), str(sum(c.completion_tokens for c in calls)),
                       f"{sum(c.cost_usd for c in calls):.4f}", f"{sum(c.latency_s for c in calls):.1f}")
    console.print(ledger)
    kinds = Counter(e.event for e in events)
    console.print("events: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    files = sorted(p.relative_to(run.path) for p in run.path.rglob("*") if p.is_file())
    console.print("files: " + ", ".join(str(f) for f in files))
