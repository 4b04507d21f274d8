"""Expanding a spec into runs: directions x templates, each with its settings overrides."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from proctor.batch._spec import BatchSpec


@dataclass(frozen=True)
class PlannedRun:
    """One run of a batch before it exists: what it studies and how its settings differ."""

    key: str
    direction: str
    template: str | None
    overrides: list[str] = field(default_factory=list)


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}, "c.d": 2}`` -> ``{"a.b": 1, "c.d": 2}`` (dotted keys pass through)."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, dotted + "."))
        else:
            out[dotted] = value
    return out


def spec_overrides(spec: BatchSpec) -> list[str]:
    """``--set`` style overrides every run of ``spec`` shares (models, budgets, ideas, settings)."""
    values: dict[str, Any] = flatten(spec.settings)
    for role, model in spec.models.model_dump().items():
        if model:
            values[f"llm.{role}"] = model
    if spec.ideas_per_direction is not None:
        values["workflow.num_ideas"] = spec.ideas_per_direction
    if spec.budgets.run.usd is not None:
        values["llm.budget.max_usd"] = spec.budgets.run.usd
    if spec.budgets.run.tokens is not None:
        values["llm.budget.max_tokens"] = spec.budgets.run.tokens
    if spec.gpus.per_run:
        values["sandbox.gpus"] = spec.gpus.per_run
    return [f"{k}={json.dumps(v)}" for k, v in values.items()]


def plan_runs(spec: BatchSpec) -> list[PlannedRun]:
    """Every run of the batch, in a stable order (direction-major)."""
    shared = spec_overrides(spec)
    templates: list[str | None] = list(spec.templates) or [None]
    runs = []
    for d, direction in enumerate(spec.directions):
        for t, template in enumerate(templates):
            extra = [f"workflow.template={json.dumps(template)}"] if template else []
            runs.append(PlannedRun(key=f"d{d}-t{t}", direction=direction, template=template,
                                   overrides=[*shared, *extra]))
    return runs


def merge_tree(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` merged into ``base`` recursively (mappings merge, everything else replaces)."""
    out = dict(base)
    for key, value in top.items():
        both = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = merge_tree(out[key], value) if both else value
    return out
