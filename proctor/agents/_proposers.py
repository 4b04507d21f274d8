"""The three proposers: the untrusted model expresses an idea as knobs, code edits or constants.

Each returns a :class:`~._change.Change`, or a string saying why the attempt failed (shown to the
model on its next attempt). ``role`` picks the model (``untrusted`` proposes; the experiment node's
policies ask the ``trusted`` model through the same proposers), ``draw`` a fresh sample.
"""

from __future__ import annotations

import json
from typing import Any

from proctor.agents._change import (
    Change,
    agent_constants,
    agent_knobs,
    describe_knob,
    edit_anchors,
    knob_model,
)
from proctor.agents._code_edits import (
    EditError,
    apply_edits,
    constant_edits,
    constants_schema,
    edit_schema,
)
from proctor.agents._context import RunContext
from proctor.llm import get_model
from proctor.prompts import render


async def _propose_knobs(ctx: RunContext, template: Any, idea: dict[str, Any], baseline: str,
                         last_error: str, attempt: int, history: list[str],
                         *, role: str = "untrusted", draw: int = 0) -> Change | str:
    wf = ctx.settings.workflow
    prompt = render("agents/experiment_config.j2", idea=idea, task_description=template.prompt.task_description,
                    knobs=[describe_knob(k) for k in agent_knobs(template.knobs)], baseline=baseline,
                    last_error=last_error, history=history)
    proposal = await get_model(role, ctx.settings).structured(
        [{"role": "user", "content": prompt}], knob_model(template.knobs), max_tokens=300,
        seed=wf.seed + attempt + 7919 * draw)
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
    wf = ctx.settings.workflow
    source = (template.root / "experiment.py").read_text()
    constants = agent_constants(template)  # non-empty: experiment_mode checked
    described = [f"{c.name}: {type(c.value).__name__}, current {c.value!r}" + (f" - {c.comment}" if c.comment else "")
                 for c in constants]
    prompt = render("agents/experiment_config.j2", idea=idea, task_description=template.prompt.task_description,
                    knobs=described, baseline=baseline, last_error=last_error, history=history)
    proposal = await get_model(role, ctx.settings).structured(
        [{"role": "user", "content": prompt}], constants_schema(constants), max_tokens=300,
        seed=wf.seed + attempt + 7919 * draw)
    values = proposal.model_dump()
    rationale = values.pop("rationale")
    edits = constant_edits(constants, values)
    if not edits:
        return "the values equal the current ones, so nothing would change; pick values that test the idea"
    return _code_change(source, edits, rationale)




PROPOSERS = {"knobs": _propose_knobs, "code": _propose_code, "constants": _propose_constants}
"""Experiment mode to its proposer."""
