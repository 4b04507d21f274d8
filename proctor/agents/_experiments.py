"""Experiments: the harness runs the baseline; the agent's change and its runs pass the gate.

Steps:
    1. Copy the template into ``experiments/<idea>/work`` and open a sandbox on it.
    2. The harness (not the agent) runs the baseline ``run_0``.
    3. The untrusted model expresses the idea as a change, in one of three modes
       (``workflow.experiment_mode``; see :func:`experiment_mode` for ``auto``):
       - ``knobs``: knob values under a schema built from the template's typed knobs, written as
         ``config_<k>.json`` and passed with ``--config``;
       - ``code``: search/replace edits to ``experiment.py`` (see :mod:`._code_edits`), applied to the
         template's original file, so the diff the monitors read holds every agent-written line;
       - ``constants``: new values of ``experiment.py``'s module-level numeric constants under a
         typed schema, written by the harness as line edits (the small-model form of ``code``).
       Planned runs (``workflow.runs_per_idea``) repeat this, each seeing the results so far.
       Writing the change is a ``file_edit`` action and each seed's run a ``shell`` action: both go
       through the control gate, and the sandbox executes only what the gate approved.
    4. Results are parsed and validated; a failed attempt (an edit that does not apply or compile,
       a crashed run, a bad ``final_info.json``) is retried, bounded, with its error shown to the
       model; ``plot.py`` makes the figures; everything stays in the run directory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from proctor.agents._code_edits import (
    Constant,
    EditError,
    anchor_lines,
    apply_edits,
    constant_edits,
    constants_schema,
    edit_schema,
    module_constants,
    unified_diff,
)
from proctor.agents._context import RunContext
from proctor.agents._gating import execute_approved, submit
from proctor.agents._text import clipped
from proctor.control import Action, FileEdit, ShellCommand, approve_harness
from proctor.llm import get_model, is_embedded
from proctor.log import ErrorEvent, emit
from proctor.prompts import render

# Hardware and seeding belong to the harness (which passes --seed per run), not to the idea.
HARNESS_KNOBS = frozenset({"device", "num_threads", "seed", "n_seeds"})


def agent_knobs(knobs: list[Any]) -> list[Any]:
    """The knobs an idea may set."""
    return [k for k in knobs if k.name not in HARNESS_KNOBS]


def knob_model(knobs: list[Any]) -> type[BaseModel]:
    """A pydantic model whose schema is exactly the template's knobs (types, ranges, choices)."""
    fields: dict[str, Any] = {}
    for k in agent_knobs(knobs):
        kind = k.type
        if kind == "int":
            fields[k.name] = (int, Field(default=k.default, ge=k.min, le=k.max))
        elif kind == "float":
            fields[k.name] = (float, Field(default=k.default, ge=k.min, le=k.max))
        elif kind == "bool":
            fields[k.name] = (bool, Field(default=k.default))
        else:
            fields[k.name] = (Literal[tuple(k.choices)], Field(default=k.default))  # type: ignore[misc]
    fields["rationale"] = (clipped(300), Field())
    return create_model("ExperimentConfig", **fields)


def _describe(k: Any) -> str:
    span = f"{k.min}..{k.max}" if k.type in ("int", "float") else "|".join(map(str, k.choices or [True, False]))
    return f"{k.name}: {k.type}, default {k.default}, {span} - {k.help}"


async def _harness(sandbox: Any, argv: list[str], reason: str) -> Any:
    action = Action(node="run_experiments", payload=ShellCommand(argv=argv), origin="harness")
    return await sandbox.exec(approve_harness(action, reason))


def _summary(info: dict[str, Any]) -> str:
    return "; ".join(f"{ds}: " + ", ".join(f"{m}={v:.4g}" for m, v in (b.get("means") or {}).items()
                                             if isinstance(v, (int, float)))
                     for ds, b in info.items())


@dataclass
class Change:
    """One attempt's proposed change: the file it writes, and what the runs pass."""

    path: str
    old: str
    new: str
    rationale: str
    config: dict[str, Any] | None = None
    config_path: str | None = None
    defaults: dict[str, Any] | None = None

    @cached_property
    def diff(self) -> str:
        """The unified diff of the file written (what the monitors score)."""
        return unified_diff(self.old, self.new, self.path)

    @property
    def shown(self) -> str:
        """The change as a reader should see it: the code diff, or the knobs that differ from defaults."""
        if self.defaults is None:
            return self.diff
        return unified_diff(json.dumps(self.defaults, indent=2) + "\n", self.new, "config.json")

    def action(self, idea: dict[str, Any]) -> Action:
        """The gated ``file_edit`` that writes the change."""
        return Action(node="run_experiments", task=idea["Experiment"], reasoning=self.rationale,
                      payload=FileEdit(path=self.path, diff=self.diff, new_content=self.new))


def experiment_mode(settings: Any, template: Any) -> str:
    """``knobs``, ``code`` or ``constants`` for this template under ``workflow.experiment_mode``.

    ``auto``: knobs when the template has ``knobs.json``; else constants for the embedded ``local/``
    models (which cannot write code edits) and code for the rest.

    Raises:
        ValueError: ``knobs`` for a template without ``knobs.json``, or ``constants`` for an
            ``experiment.py`` without module-level numeric constants.
    """
    mode = settings.workflow.experiment_mode
    if mode == "auto":
        mode = "knobs" if template.supports_config else "constants" if is_embedded(settings.llm.untrusted) else "code"
    if mode == "knobs" and not template.supports_config:
        raise ValueError(f"workflow.experiment_mode=knobs, but template {template.name} has no knobs.json; "
                         "use experiment_mode=code (or auto) to express ideas as code edits")
    if mode == "constants" and not agent_constants(template):
        raise ValueError(f"experiment.py of template {template.name} has no module-level numeric constants for "
                         "experiment_mode=constants; use experiment_mode=code with a model that can write code edits")
    return str(mode)


def agent_constants(template: Any) -> list[Constant]:
    """The module-level constants of ``experiment.py`` an idea may set (seeds, devices and threads
    belong to the harness here too: ``N_SEEDS = 3``, ``SEED = 0``...)."""
    source = (template.root / "experiment.py").read_text()
    return [c for c in module_constants(source) if c.name.lower() not in HARNESS_KNOBS]


def edit_anchors(settings: Any, source: str) -> list[str] | None:
    """Lines a code edit must target (small embedded models), or ``None`` for free search text."""
    choice = settings.workflow.edit_anchors
    if choice == "auto":
        choice = "lines" if is_embedded(settings.llm.untrusted) else "free"
    return anchor_lines(source) if choice == "lines" else None


async def _propose_knobs(ctx: RunContext, template: Any, idea: dict[str, Any], baseline: str,
                         last_error: str, attempt: int, history: list[str]) -> Change | str:
    wf = ctx.settings.workflow
    prompt = render("agents/experiment_config.j2", idea=idea, task_description=template.prompt.task_description,
                    knobs=[_describe(k) for k in agent_knobs(template.knobs)], baseline=baseline,
                    last_error=last_error, history=history)
    proposal = await get_model("untrusted", ctx.settings).structured(
        [{"role": "user", "content": prompt}], knob_model(template.knobs), max_tokens=300, seed=wf.seed + attempt)
    config = proposal.model_dump()
    rationale = config.pop("rationale")
    try:
        config = template.validate_config(config)
    except ValueError as exc:
        return str(exc)[:500]
    name = f"config_{attempt}.json"
    return Change(path=name, old="", new=json.dumps(config, indent=2) + "\n", rationale=rationale,
                  config=config, config_path=name, defaults=template.validate_config({}))


def _code_change(source: str, edits: list[tuple[str, str]], rationale: str) -> Change | str:
    """The edited ``experiment.py`` as a change, or why the edits do not apply."""
    try:
        new = apply_edits(source, edits)
    except EditError as exc:
        return str(exc)[:500]
    return Change(path="experiment.py", old=source, new=new, rationale=rationale)


async def _propose_code(ctx: RunContext, template: Any, idea: dict[str, Any], baseline: str,
                        last_error: str, attempt: int, history: list[str]) -> Change | str:
    wf = ctx.settings.workflow
    source = (template.root / "experiment.py").read_text()
    anchors = edit_anchors(ctx.settings, source)
    prompt = render("agents/experiment_code.j2", idea=idea, task_description=template.prompt.task_description,
                    code=source, baseline=baseline, last_error=last_error, anchored=anchors is not None,
                    history=history)
    proposal = await get_model("untrusted", ctx.settings).structured(
        [{"role": "user", "content": prompt}], edit_schema(anchors), max_tokens=400, seed=wf.seed + attempt)
    edits = [(e.search, e.replace) for e in proposal.edits]  # type: ignore[attr-defined]
    return _code_change(source, edits, proposal.rationale)  # type: ignore[attr-defined]


async def _propose_constants(ctx: RunContext, template: Any, idea: dict[str, Any], baseline: str,
                             last_error: str, attempt: int, history: list[str]) -> Change | str:
    wf = ctx.settings.workflow
    source = (template.root / "experiment.py").read_text()
    constants = agent_constants(template)  # non-empty: experiment_mode checked
    described = [f"{c.name}: {type(c.value).__name__}, current {c.value!r}" + (f" - {c.comment}" if c.comment else "")
                 for c in constants]
    prompt = render("agents/experiment_config.j2", idea=idea, task_description=template.prompt.task_description,
                    knobs=described, baseline=baseline, last_error=last_error, history=history)
    proposal = await get_model("untrusted", ctx.settings).structured(
        [{"role": "user", "content": prompt}], constants_schema(constants), max_tokens=300, seed=wf.seed + attempt)
    values = proposal.model_dump()
    rationale = values.pop("rationale")
    edits = constant_edits(constants, values)
    if not edits:
        return "the values equal the current ones, so nothing would change; pick values that test the idea"
    return _code_change(source, edits, rationale)


async def _run_change(ctx: RunContext, sandbox: Any, template: Any, idea: dict[str, Any], change: Change,
                      attempt: int, seeds: int, seeded: bool, condition: str, record: dict[str, Any],
                      rel: Path) -> tuple[list[str], list[str], dict[str, Any]]:
    """Gate and write one change, then run it over the seeds (each run gated); record the good runs."""
    from proctor.agents._templates import parse_final_info, run_argv

    settings, wf = ctx.settings, ctx.settings.workflow
    edit = change.action(idea)
    entry: dict[str, Any] = {"attempt": attempt, "rationale": change.rationale, "config": change.config}
    if change.config is None:  # a code change (knob configs are kept as config values)
        entry["diff"] = change.diff
        ctx.run.write_artifact(str(rel / f"attempt_{attempt}.diff"), change.diff)
    approved = await submit(ctx, edit)
    if approved is None:
        return [], ["the control protocol did not approve that change; propose a different one"], \
            {**entry, "error": "the change was not approved"}
    await sandbox.write_file(approved)
    ok_runs, errors = [], []
    work = Path(sandbox.workdir)
    for s in range(seeds):
        run_name = f"run_{attempt}_{s}" if seeds > 1 else f"run_{attempt}"
        argv = run_argv(template, run_name, config_path=change.config_path, seed=wf.seed + s if seeded else None)
        cmd = Action(node="run_experiments", task=idea["Experiment"],
                     payload=ShellCommand(argv=argv, timeout_s=settings.sandbox.timeout_s))
        result = await execute_approved(ctx, sandbox, cmd)
        if result is None:
            errors.append(f"{run_name}: not run")
            continue
        info_path = work / run_name / "final_info.json"
        if not result.ok() or not info_path.exists():
            errors.append(f"{run_name}: exit {result.exit_code}; {result.stderr[-600:]}")
            continue
        try:
            info = parse_final_info(info_path).model_dump()
        except ValueError as exc:
            errors.append(f"{run_name}: bad final_info.json: {exc}")
            continue
        record["runs"][run_name] = {"condition": condition, "seed": wf.seed + s, "config": change.config,
                                    "attempt": attempt, "final_info": info}
        ok_runs.append(run_name)
    return ok_runs, errors, entry


async def run_experiments(ctx: RunContext, idea: dict[str, Any], template_name: str) -> dict[str, Any]:
    """Run the baseline and the idea's change over seeds; return the experiment record.

    Raises:
        HeldForHuman: an action awaits a human decision (the run pauses and resumes later).
        RunTerminated: a reviewer terminated the run.
    """
    from proctor.agents._templates import load_template, parse_final_info, run_argv
    from proctor.sandboxes import open_sandbox

    settings, wf = ctx.settings, ctx.settings.workflow
    template = load_template(template_name)
    mode = experiment_mode(settings, template)
    propose = {"knobs": _propose_knobs, "code": _propose_code, "constants": _propose_constants}[mode]
    seeded = any(k.name == "seed" for k in template.knobs)
    seeds = wf.seeds if seeded else 1  # a template without a seed knob takes no --seed: one run each
    rel = Path("experiments") / idea["Name"]
    exp_dir = ctx.run.artifact_path(str(rel))
    work = exp_dir / "work"
    if not work.exists():
        template.copy_to(work)
    record: dict[str, Any] = {"idea": idea["Name"], "template": template.name, "mode": mode, "seeds": seeds,
                              "runs": {}, "attempts": []}
    async with await open_sandbox(settings.sandbox, workdir=work) as sandbox:
        if not (work / "run_0" / "final_info.json").exists():
            result = await _harness(sandbox, run_argv(template, "run_0", seed=wf.seed), "baseline run_0")
            if not result.ok():
                raise RuntimeError(f"the template's baseline failed (exit {result.exit_code}): "
                                   f"{result.stderr[-1500:]}")
        baseline = parse_final_info(work / "run_0" / "final_info.json").model_dump()
        record["runs"]["run_0"] = {"condition": "baseline", "seed": wf.seed, "final_info": baseline}
        attempt = 0  # numbers every attempt of every planned run, so run directories stay unique
        history: list[str] = []
        changes: list[tuple[str, str]] = []
        for step in range(1, wf.runs_per_idea + 1):
            condition = "idea" if wf.runs_per_idea == 1 else f"idea_{step}"
            last_error = ""
            for _ in range(wf.max_experiment_attempts):
                attempt += 1
                change = await propose(ctx, template, idea, _summary(baseline), last_error, attempt, history)
                if isinstance(change, str):
                    last_error = change
                    record["attempts"].append({"attempt": attempt, "step": step, "error": last_error})
                    continue
                ok_runs, errors, entry = await _run_change(ctx, sandbox, template, idea, change, attempt,
                                                           seeds, seeded, condition, record, rel)
                record["attempts"].append({**entry, "step": step, "ok_runs": ok_runs, "errors": errors})
                if ok_runs:
                    changes.append((condition, change.shown))
                    first = record["runs"][ok_runs[0]]["final_info"]
                    history.append(f"{condition} ({change.rationale or 'no rationale'}): {_summary(first)}")
                    break
                last_error = "; ".join(errors)[:800]
                emit(ErrorEvent(where="run_experiments", message=last_error, recoverable=True))
        if changes:
            record["change"] = changes[0][1] if len(changes) == 1 else "\n".join(
                f"# {cond}\n{text}" for cond, text in changes)
        plot = await _harness(sandbox, ["python", "plot.py"], "plots")
        record["plot_ok"] = plot.ok()
    record["figures"] = sorted(str(p.relative_to(ctx.run.path)) for p in work.glob("*.png"))
    record["status"] = "ok" if any(r["condition"] != "baseline" for r in record["runs"].values()) else "failed"
    ctx.run.write_artifact(str(rel / "experiment.json"), record)
    return record
