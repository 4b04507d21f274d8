"""Ideas from a structured search over a template's parameters: one concrete change each.

The embedded base model (Gemma 3 270M) can fill a schema but cannot be relied on to write an idea: left
to itself it restates the direction or copies a seed idea. So its ideas come from here: the template's
typed knobs (``knobs.json``) or the parameters inferred from ``experiment.py`` (:mod:`._params`) give
candidate changes (``AdamW.lr 0.001 -> 0.01``: floats x10 and /10, or toward 1 and halved for values
in [0.5, 1); ints doubled, halved and quadrupled; other choices; a flipped bool), one per parameter before a second
for any. The model picks one of the untried candidates under an enum (nothing else to write), and the
idea's title and experiment are written from that change, which the idea carries as
``Planned_change`` so the experiment node writes exactly it.

Left out of the search: the harness's settings (seeds, devices, output), knobs the template marks
``"evaluation": true``, and unmarked knobs and parameters whose names speak of evaluation (test or
validation splits, metrics, evaluation batches; see :mod:`._integrity`) or name the datasets: changing
what or how results are measured is not an idea about the research question.
"""

from __future__ import annotations

import re
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, Field, create_model

from proctor.agents._change import agent_knobs, agent_parameters
from proctor.agents._integrity import speaks_of_evaluation
from proctor.agents._params import numeric_bounds

_DATA_WORDS = frozenset({"dataset", "datasets", "data"})


class Dimension(NamedTuple):
    """One knob or inferred parameter the search may change."""

    key: str
    name: str
    type: str
    value: Any
    lo: float | None
    hi: float | None
    choices: tuple[Any, ...]
    where: str
    kind: Literal["knob", "parameter"]
    evaluation: bool | None = None


class Candidate(NamedTuple):
    """One change: a dimension and its new value."""

    dim: Dimension
    value: Any

    @property
    def label(self) -> str:
        return f"{self.dim.name} {_show(self.dim.value)} -> {_show(self.value)}"


def _show(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def measures(dim: Dimension) -> bool:
    """Whether a dimension sets what or how results are measured: as the template marks its knob
    (``"evaluation"``), else by its name (a split, a metric, evaluation, the datasets)."""
    if dim.evaluation is not None:
        return dim.evaluation
    own = re.split(r"[^a-z0-9]+", dim.name.rsplit(".", 1)[-1].lower())  # 'n' of get_dataset.n, not the call
    return speaks_of_evaluation(dim.name) or speaks_of_evaluation(dim.key) or bool(set(own) & _DATA_WORDS)


def dimensions(template: Any) -> list[Dimension]:
    """The knobs (with ``knobs.json``) or inferred parameters the search may change.

    Raises:
        ValueError: when a knob-less template's ``experiment.py`` cannot be read or parsed.
    """
    dims: list[Dimension]
    if template.supports_config:
        dims = [Dimension(k.name, k.name, k.type, k.default, k.min, k.max, tuple(k.choices or ()), k.help, "knob",
                          getattr(k, "evaluation", None)) for k in agent_knobs(template.knobs)]
    else:
        dims = []
        for p in agent_parameters(template):
            lo, hi = (None, None) if p.type in ("bool", "choice") else p.bounds
            where = f"line {p.lineno} of experiment.py: {p.line.strip()[:100]}"
            dims.append(Dimension(p.key, p.name, p.type, p.value, lo, hi, tuple(p.choices or ()), where, "parameter"))
    return [d for d in dims if not measures(d)]


def _moves(dim: Dimension) -> list[Any]:
    v = dim.value
    if dim.type == "bool":
        return [not v]
    if dim.type == "choice":
        return [c for c in dim.choices if c != v]
    fallback = numeric_bounds(dim.type, v)
    lo = dim.lo if dim.lo is not None else fallback[0]
    hi = dim.hi if dim.hi is not None else fallback[1]
    if dim.type == "int":
        raw: list[Any] = [1, 5] if v == 0 else [v * 2, v // 2, v * 4]
    elif v == 0:
        raw = [0.1, 0.9]
    elif v == 1:  # a factor (decay, scale, temperature)
        raw = [0.5, 2.0]
    elif 0.5 <= v < 1:
        raw = [1 - (1 - v) / 10, v / 2]
    else:
        raw = [v * 10, v / 10]
    if dim.type == "float":
        raw = [float(f"{x:.6g}") for x in raw]
    out: list[Any] = []
    for x in raw:
        if lo <= x <= hi and x != v and x not in out:
            out.append(x)
    return out


_FIRST = {"float": 0, "choice": 1, "bool": 2, "int": 3}


def candidates(dims: list[Dimension]) -> list[Candidate]:
    """Every candidate change, the first move of each dimension before any second one; within a round
    floats (rates, coefficients) lead, then choices, flags and integers (sizes, counts, initial values)."""
    ordered = sorted(dims, key=lambda d: _FIRST.get(d.type, 4))
    moves = [[Candidate(d, x) for x in _moves(d)] for d in ordered]
    width = max((len(m) for m in moves), default=0)
    return [m[r] for r in range(width) for m in moves if r < len(m)]


def taken_labels(ideas: list[dict[str, Any]]) -> set[str]:
    """The changes earlier ideas (this run's, the batch's) already test."""
    return {str(i["Planned_change"].get("label")) for i in ideas if isinstance(i.get("Planned_change"), dict)}


def choice_schema(options: list[str]) -> type[BaseModel]:
    """The model's whole answer: which untried change to test."""
    kind: Any = Literal[tuple(options)]
    return create_model("ParameterChoice", change=(kind, Field(description="The one change to test, from the list.")))


def choice_prompt(direction: str, task: str, options: list[str]) -> str:
    listed = "\n".join(f"- {o}" for o in options)
    return (f"Research direction: {direction}\nCode base: {task}\n\n"
            f"Each line is one concrete change to this code base (parameter, current value -> new value):\n{listed}\n\n"
            f"The change whose effect says the most about \"{direction}\", as JSON:")


def idea_from(candidate: Candidate, considered: int) -> dict[str, Any]:
    """The idea that tests one change, titled and described from it."""
    dim, new = candidate.dim, candidate.value
    if dim.type in ("int", "float"):
        verb = "Raising" if new > dim.value else "Lowering"
        ratio = new / dim.value if dim.value else None
        factor = f" (x{ratio:.3g})" if ratio else ""
        title = f"{verb} {dim.name} from {_show(dim.value)} to {_show(new)}{factor}"
    else:
        title = f"Setting {dim.name} to {_show(new)} instead of {_show(dim.value)}"
    where = f"the knob {dim.name} ({dim.where})" if dim.kind == "knob" and dim.where else (
        f"{dim.name} ({dim.where})" if dim.where else dim.name)
    experiment = (f"Change {where} from {_show(dim.value)} to {_show(new)}, keep everything else as in the "
                  "baseline, and compare every metric with the baseline run on the same datasets.")
    name = re.sub(r"[^a-z0-9]+", "_", f"{dim.key}_{_show(new)}".lower()).strip("_")[:40]
    return {
        "Name": name if name[:1].isalpha() else f"idea_{name}"[:40], "Title": title[:120], "Experiment": experiment[:500],
        "Interestingness": 5, "Feasibility": 9, "Novelty": 3,
        "Thought": f"One change from a search over the template's parameters, chosen among {considered} untried "
                   "changes; the experiment isolates its effect against the baseline.",
        "Planned_change": {"parameter": dim.key, "name": dim.name, "current": dim.value, "value": new,
                           "kind": dim.kind, "label": candidate.label},
    }


def planned_change(idea: dict[str, Any], current: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The idea's planned change when it still applies to the template (same kind, the parameter still
    there with the value it had when the idea was made); ``None`` for a free-form idea."""
    plan = idea.get("Planned_change")
    if not isinstance(plan, dict) or plan.get("kind") != kind:
        return None
    key = plan.get("parameter")
    if key not in current or current[key] != plan.get("current") or "value" not in plan:
        return None
    return plan
