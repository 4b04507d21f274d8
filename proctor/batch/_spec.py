"""The batch spec: a YAML file naming directions x templates, models, budgets, GPUs and settings.

Example (``examples/nightly.yaml``)::

    name: nightly
    directions: ["sparse attention for tiny transformers", "label noise in tabular data"]
    templates: [tabular_classification]
    ideas_per_direction: 2
    models: {untrusted: openai/gpt-4o-mini, reviewer: openai/gpt-4o}
    budgets:
      run: {usd: 2, tokens: 400000, wall_time: 2h}
      batch: {usd: 20, gpu_hours: 8, wall_time: 6h}
    concurrency: 2
    gpus: {ids: [0, 1], per_run: 1}
    settings: {control.protocol: defer_to_trusted}
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from proctor.settings import BatchSettings

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNIT_S = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class SpecError(ValueError):
    """The batch spec is invalid; the message names each bad field by its path."""


def parse_duration(value: Any) -> float | None:
    """Seconds from a number (seconds) or a string such as ``90s``, ``30m``, ``2h``, ``1.5d``.

    Raises:
        ValueError: for anything else.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"not a duration: {value!r} (use seconds or e.g. 30m, 2h, 1d)")
        seconds = float(match.group(1)) * _UNIT_S[match.group(2) or "s"]
    if seconds <= 0:
        raise ValueError("a duration must be positive")
    return seconds


class Budget(BaseModel):
    """Caps; ``None`` means no cap."""

    model_config = ConfigDict(extra="forbid")

    usd: float | None = Field(default=None, gt=0, description="Dollars of model calls.")
    tokens: int | None = Field(default=None, gt=0, description="Tokens of model calls (prompt + completion).")
    gpu_hours: float | None = Field(default=None, gt=0, description="Wall-clock hours x GPUs held.")
    wall_time: float | None = Field(default=None, description="Wall time in seconds (or '30m', '2h').")

    @field_validator("wall_time", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float | None:
        return parse_duration(value)


class Budgets(BaseModel):
    """Per-run caps (each run's own ledger and the batch's clock) and caps on the whole batch."""

    model_config = ConfigDict(extra="forbid")

    run: Budget = Field(default_factory=Budget, description="Caps on each run.")
    batch: Budget = Field(default_factory=Budget, description="Caps on the batch: no run is launched past them.")


class Models(BaseModel):
    """Model string per role (litellm names, ``local/...`` or ``mock/...``); unset roles keep the settings."""

    model_config = ConfigDict(extra="forbid")

    untrusted: str | None = Field(default=None, description="Researcher agents.")
    trusted: str | None = Field(default=None, description="Monitor, paraphraser, trusted editor.")
    reviewer: str | None = Field(default=None, description="Paper reviewer.")


class GPUs(BaseModel):
    """GPUs this batch may hand out, and how many each run holds."""

    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(default_factory=list, description="GPU indices runs are given (local executor).")
    per_run: int = Field(default=0, ge=0, description="GPUs each run holds (a Ray resource with executor=ray).")


class BatchSpec(BaseModel):
    """One batch: every direction crossed with every template, each a run proposing N ideas."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60, description="Batch name (in its directory name).")
    directions: list[str] = Field(min_length=1, description="Research directions, one run per template each.")
    templates: list[str] = Field(default_factory=list, description="Experiment templates (empty: the setting's).")
    ideas_per_direction: int | None = Field(default=None, ge=1, le=50, description="workflow.num_ideas of each run.")
    models: Models = Field(default_factory=Models, description="Model per role.")
    budgets: Budgets = Field(default_factory=Budgets, description="Per-run and per-batch caps.")
    concurrency: int | None = Field(default=None, ge=1, le=256, description="Runs at once (default: the setting).")
    gpus: GPUs = Field(default_factory=GPUs, description="GPU assignment.")
    settings: dict[str, Any] = Field(
        default_factory=dict,
        description="Settings overrides for every run: dotted keys or nested mappings "
        "(e.g. control.protocol: defer_to_trusted).",
    )
    executor: dict[str, Any] = Field(
        default_factory=dict, description="Overrides of the batch settings (executor, ray_address...).",
    )

    @field_validator("directions", "templates")
    @classmethod
    def _no_blank(cls, values: list[str]) -> list[str]:
        if any(not v.strip() for v in values):
            raise ValueError("entries must be non-empty strings")
        return values

    @field_validator("executor")
    @classmethod
    def _executor(cls, value: dict[str, Any]) -> dict[str, Any]:
        BatchSettings.model_validate(value)
        return value

    def batch_settings(self, base: BatchSettings) -> BatchSettings:
        """``base`` with this spec's ``executor`` overrides applied."""
        return BatchSettings.model_validate({**base.model_dump(), **self.executor})


def _describe(exc: ValidationError, source: str) -> str:
    lines = [f"invalid batch spec {source}:"]
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        lines.append(f"  {loc}: {err['msg']}")
    lines.append("see docs/batch.md for every field, or examples/nightly.yaml")
    return "\n".join(lines)


def parse_spec(data: Any, source: str = "<data>") -> BatchSpec:
    """Validate already-parsed spec data.

    Raises:
        SpecError: naming each invalid field by its dotted path.
    """
    if not isinstance(data, dict):
        raise SpecError(f"invalid batch spec {source}: the top level must be a mapping, got {type(data).__name__}")
    try:
        return BatchSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(_describe(exc, source)) from exc


def load_spec(path: str | Path) -> BatchSpec:
    """Read and validate a YAML batch spec.

    Raises:
        SpecError: when the file is missing, not YAML, or invalid.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecError(f"cannot read batch spec {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise SpecError(f"batch spec {path} is not valid YAML: {exc}") from exc
    return parse_spec(data, str(path))
