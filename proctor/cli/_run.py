"""``proctor run`` and ``proctor resume``."""

from __future__ import annotations

import asyncio

import click

from proctor.cli._common import (
    EXIT_BUDGET,
    EXIT_FAILED,
    EXIT_PAUSED,
    clean_errors,
    console,
    fail,
    settings_options,
)
from proctor.cli._progress import run_progress
from proctor.log import RunDir


def _report(run: RunDir) -> None:
    header = run.header()
    colour = {"succeeded": "green", "paused": "yellow"}.get(header.status, "red")
    console.print(f"run [bold]{header.id}[/] [{colour}]{header.status}[/] {header.status_detail}")
    console.print(f"  directory: {run.path}")
    summary = run.path / "summary.json"
    if summary.exists():
        import json

        for o in json.loads(summary.read_text()).get("outcomes", []):
            review = o.get("review") or {}
            verdict = (f"review {review.get('overall')}/10 {review.get('decision')}" if review.get("status") == "ok"
                       else f"review {review.get('status')}")
            novelty = o.get("novelty") or {}
            console.print(f"  idea [bold]{o['idea']}[/]: novelty {novelty.get('status')} "
                          f"(novel={novelty.get('novel')}), experiment {o.get('experiment')}, "
                          f"paper {o.get('paper') or '-'}, {verdict}")
            for err in o.get("errors", []):
                console.print(f"    [red]{err[:300]}[/]", highlight=False)
    if header.status == "paused":
        raise SystemExit(EXIT_PAUSED)
    if header.status == "failed":  # e.g. no idea produced a result: the status line says why
        raise SystemExit(EXIT_FAILED)


def _drive(coro_factory: object, run_hint: str | None) -> None:
    from proctor.llm import BudgetExceeded, ModelError

    try:
        with run_progress():
            run = asyncio.run(coro_factory())  # type: ignore[operator]
    except BudgetExceeded as exc:
        fail(f"{exc}{run_hint or ''}", EXIT_BUDGET)
    except ModelError as exc:
        fail(f"{exc}{run_hint or ''}", EXIT_FAILED)
    _report(run)


@click.command("run")
@click.argument("direction", required=False, default="small-scale training dynamics of neural networks")
@click.option("--template", default=None, help="Experiment template name.")
@settings_options
@clean_errors
def run_cmd(direction: str, template: str | None, config: str | None, overrides: tuple[str, ...]) -> None:
    """Start a research run on DIRECTION and write it to runs/<utc>_<slug>_<id>/."""
    from proctor.agents import start_run
    from proctor.llm import get_model
    from proctor.settings import load_settings

    settings = load_settings(config, overrides)
    for role in ("untrusted", "trusted", "reviewer"):
        get_model(role, settings)  # refuse bad model strings before creating anything
    if "experiments" in settings.workflow.stages:
        from proctor.agents import TemplateError, experiment_mode, load_template
        from proctor.registry import UnknownComponent

        try:  # a template, or a mode it cannot take, is refused before any run directory exists
            experiment_mode(settings, load_template(template or settings.workflow.template))
        except (TemplateError, UnknownComponent, ValueError) as exc:
            fail(f"{exc}", 2)
    _drive(lambda: start_run(settings, direction, template),
           "\nthe run directory is intact; `proctor runs list` shows it and `proctor resume RUN` continues it")


@click.command("resume")
@click.argument("run_name")
@settings_options
@clean_errors
def resume_cmd(run_name: str, config: str | None, overrides: tuple[str, ...]) -> None:
    """Continue RUN (directory, name or id) from its last checkpoint; --set changes e.g. its budget."""
    from proctor.agents import resume_run
    from proctor.settings import load_settings

    root = load_settings(config).runs_dir
    run = RunDir.open(root, run_name)
    status = run.header().status
    if status == "succeeded":
        console.print(f"run {run.path.name} already succeeded; nothing to resume")
        return
    if status == "terminated":
        fail(f"run {run.path.name} was terminated by a reviewer; it cannot be resumed", EXIT_FAILED)
    _drive(lambda: resume_run(run, overrides), f"\nresume again with `proctor resume {run.path.name}`")
