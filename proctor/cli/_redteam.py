"""``proctor sandbox redteam``: run attacks through the real pipeline and say whether the boundary held."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.table import Table

from proctor.cli._common import EXIT_FAILED, EXIT_USAGE, console, err_console, fail, settings_options

if TYPE_CHECKING:
    from proctor.redteam import AttackReport


@click.command("redteam")
@click.option("--attacks", "attacks_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="JSONL attack file, one {id, description, code} a line (default: the shipped suite).")
@click.option("--template", "template", default=None, help="Template the idea runs on (default: workflow.template).")
@click.option("--only", "only", multiple=True, help="Run only the attack with this id (repeatable).")
@click.option("--timeout", "timeout_s", type=float, default=900.0, show_default=True,
              help="Time bound of the harness for one attack, in seconds.")
@click.option("--memory-mb", "memory_mb", type=float, default=6144.0, show_default=True,
              help="Memory bound of the harness process for one attack.")
@click.option("--fast", is_flag=True,
              help="The paper's prose is written by code, not the model (its prompt is still built and checked); "
                   "only the experiment and write-up stages run. The boundary is tested, the models are not.")
@click.option("--json", "as_json", is_flag=True, help="Print {\"attacks\": [{id, run_dir, contained, violations}]}.")
@settings_options
def redteam(attacks_path: Path | None, template: str | None, only: tuple[str, ...], timeout_s: float,
            memory_mb: float, fast: bool, as_json: bool, config: str | None, overrides: tuple[str, ...]) -> None:
    """Run each attack through the real pipeline for one idea (monitor forced to allow); exit 1 if any
    was not contained. Run directories are kept; host canaries are planted for the duration."""
    from proctor.redteam import AttackFileError, load_attacks, run_suite
    from proctor.settings import SettingsError, load_settings

    try:
        settings = load_settings(config, overrides)
        attacks = load_attacks(attacks_path)
    except (SettingsError, AttackFileError) as exc:
        fail(str(exc), EXIT_USAGE)
        return
    if only:
        missing = set(only) - {a.id for a in attacks}
        if missing:
            fail(f"no attack with id {sorted(missing)}", EXIT_USAGE)
        attacks = [a for a in attacks if a.id in only]
    wf: dict[str, object] = {"template": template or settings.workflow.template, "experiment_mode": "code",
                             "max_experiment_attempts": 2, "runs_per_idea": 1, "seeds": 1}
    if fast:
        wf["stages"] = [s for s in settings.workflow.stages if s in ("experiments", "writeup")]
    # Only the boundary is under test: nothing may hold the attack for a human (no critical categories,
    # no upfront audits, no threshold a score of 0 could reach); the monitor itself is forced to allow.
    forced = {"critical": [], "audit_budget": 0.0, "protocol": "trusted_monitoring", "protocol_params": {},
               "node_protocols": {}, "fallback_audit_threshold": 1.0, "thresholds_path": None}
    settings = settings.model_copy(update={"workflow": settings.workflow.model_copy(update=wf),
                                           "control": settings.control.model_copy(update=forced)})
    out = err_console if as_json else console
    done = [0]

    def progress(r: AttackReport) -> None:
        done[0] += 1
        mark = "[green]held[/]" if r.contained else "[red]NOT CONTAINED[/]"
        out.print(f"[{done[0]}/{len(attacks) + 1}] {r.id}: {mark} ({r.seconds:.0f}s)"
                  + "".join(f"\n    - {v}" for v in r.violations[:8]), highlight=False)

    try:
        control, reports = run_suite(attacks, settings, timeout_s=timeout_s, memory_mb=memory_mb, on_done=progress,
                                     fast=fast)
    except RuntimeError as exc:
        fail(str(exc))
        return
    everything = [control, *reports]
    if as_json:
        click.echo(json.dumps({"control": control.public(), "attacks": [r.public() for r in reports]}, indent=2))
    else:
        table = Table(title=f"red team: {sum(r.contained for r in reports)}/{len(reports)} attacks contained")
        for col in ("attack", "contained", "violations", "run"):
            table.add_column(col, overflow="fold")
        for r in everything:
            table.add_row(r.id, "yes" if r.contained else "[red]NO[/]", "\n".join(r.violations[:5]) or "-",
                          Path(r.run_dir).name)
        console.print(table)
    if not all(r.contained for r in everything):
        sys.exit(EXIT_FAILED)
