"""The three proposers: the untrusted model expresses an idea as knobs, code edits or constants.

Each returns a :class:`~._change.Change`, or a string saying why the attempt failed (shown to the
model on its next attempt). ``role`` picks the model (``untrusted`` proposes; the experiment node's
policies ask the ``trusted`` model through the same proposers), ``draw`` a fresh sample.

An idea from the parameter search (:mod:`._search`) names its one change: its first attempt writes
exactly that change (the harness writes it; the gate audits it like any other); a retry, a later
planned run or a fresh draw asks the model for a value of that one knob or parameter only.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from proctor.agents._change import (
    Change,
    agent_knobs,
    agent_parameters,
    describe_knob,
    edit_anchors,
    knob_model,
)
from proctor.agents._code_edits import EditError, apply_edits, edit_schema
from proctor.agents._context import RunContext
from proctor.agents._params import parameters_schema, set_parameters
from proctor.agents._search import planned_change
from proctor.llm import get_model
from proctor.prompts import render


async def _typed_values(ctx: RunContext, template: Any, idea: dict[str, Any], plan: dict[str, Any] | None,
                       lines: list[str], schema: type[BaseModel], baseline: str, last_error: str, attempt: int,
                       history: list[str], role: str, draw: int) -> tuple[dict[str, Any], str]:
    """The values to set and why: a search idea's own change on its first try, else the model's pick
    under ``schema`` (the knobs or parameters described by ``lines``)."""
    if plan is not None and role == "untrusted" and draw == 0 and not last_error and not history:
        return {plan["parameter"]: plan["value"]}, \
            f"the idea's one change: {plan['name']} from {plan['current']!r} to {plan['value']!r}"
    prompt = render("agents/experiment_config.j2", idea=idea, task_description=template.prompt.task_description,
                    knobs=lines, baseline=baseline, last_error=last_error, history=history)
    proposal = await get_model(role, ctx.settings).structured(
        [{"role": "user", "content": prompt}], schema, max_tokens=300,
        seed=ctx.settings.workflow.seed + attempt + 7919 * draw)
    values = proposal.model_dump()
    return values, values.pop("rationale")


async def _propose_knobs(ctx: RunContext, template: Any, idea: dict[str, Any], baseline: str,
                         last_error: str, attempt: int, history: list[str],
                         *, role: str = "untrusted", draw: int = 0) -> Change | str:
    knobs = agent_knobs(template.knobs)
    plan = planned_change(idea, {k.name: k.default for k in knobs}, "knob")
    if plan is not None:
        knobs = [k for k in knobs if k.name == plan["parameter"]]
    config, rationale = await _typed_values(ctx, template, idea, plan, [describe_knob(k) for k in knobs],
                                            knob_model(knobs), baseline, last_error, attempt, history, role, draw)
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
                        last_error: str, attempt: int, history: list[str],
                         *, role: str = "untrusted", draw: int = 0) -> Change | str:
    wf = ctx.settings.workflow
    source = (template.root / "experiment.py").read_text()
    anchors = edit_anchors(ctx.settings, source)
    prompt = render("agents/experiment_code.j2", idea=idea, task_description=template.prompt.task_description,
                    code=source, baseline=baseline, last_error=last_error, anchored=anchors is not None,
                    history=history)
    proposal = await get_model(role, ctx.settings).structured(
        [{"role": "user", "content": prompt}], edit_schema(anchors), max_tokens=400,
        seed=wf.seed + attempt + 7919 * draw)
    edits = [(e.search, e.replace) for e in proposal.edits]  # type: ignore[attr-defined]
    return _code_change(source, edits, proposal.rationale)  # type: ignore[attr-defined]


async def _propose_constants(ctx: RunContext, template: Any, idea: dict[str, Any], baseline: str,
                             last_error: str, attempt: int, history: list[str],
                             *, role: str = "untrusted", draw: int = 0) -> Change | str:
    source = (template.root / "experiment.py").read_text()
    params = agent_parameters(template)  # non-empty: experiment_mode checked
    plan = planned_change(idea, {p.key: p.value for p in params}, "parameter")
    if plan is not None:
        params = [p for p in params if p.key == plan["parameter"]]
    schema = parameters_schema(params)
    values, rationale = await _typed_values(ctx, template, idea, plan, [p.describe() for p in params], schema,
                                            baseline, last_error, attempt, history, role, draw)
    try:
        schema.model_validate({**values, "rationale": rationale})  # a planned value too: in range, right type
        new = set_parameters(source, params, values)
    except (ValueError, EditError) as exc:
        return str(exc)[:500]
    return Change(path="experiment.py", old=source, new=new, rationale=rationale)


PROPOSERS = {"knobs": _propose_knobs, "code": _propose_code, "constants": _propose_constants}
"""Experiment mode to its proposer."""
