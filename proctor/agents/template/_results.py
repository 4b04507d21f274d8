"""Parsing a run's ``final_info.json`` (the AI Scientist's results shape) and template errors."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel, ValidationError, field_validator

from proctor.sandboxes import SandboxError, WorkDir


class TemplateError(ValueError):
    """A template directory, knob config or ``final_info.json`` that does not fit the format."""


class DatasetResult(BaseModel):
    """One dataset's entry of ``final_info.json``; other keys (``stderrs``, ...) are kept."""

    model_config = ConfigDict(extra="allow")

    means: dict[str, float]

    @field_validator("means", mode="before")
    @classmethod
    def _finite_numbers(cls, means: Any) -> Any:
        if not isinstance(means, dict) or not means:
            raise ValueError("'means' must be a non-empty object of metric name to number")
        for metric, value in means.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"metric {metric!r} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"metric {metric!r} is {value}; experiments must report finite values")
        return means


class FinalInfo(RootModel[dict[str, DatasetResult]]):
    """A parsed ``final_info.json``: ``{dataset: {"means": {metric: float}, ...}}``."""

    @field_validator("root")
    @classmethod
    def _non_empty(cls, root: dict[str, DatasetResult]) -> dict[str, DatasetResult]:
        if not root:
            raise ValueError("no datasets: expected {dataset: {'means': {metric: value}}}")
        return root

    def means(self) -> dict[str, dict[str, float]]:
        """Dataset to metric to mean value."""
        return {dataset: result.means for dataset, result in self.root.items()}


def parse_final_info(path: str | Path) -> FinalInfo:
    """Read and validate a trusted ``final_info.json`` (a template's own; work directories go
    through :func:`final_info_from`).

    Raises:
        TemplateError: when the file is missing, is not JSON, or is not shaped
            ``{dataset: {"means": {metric: finite number}}}``; the message names the file.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise TemplateError(f"{path}: not found; did experiment.py finish?") from exc
    except (OSError, ValueError) as exc:
        raise TemplateError(f"{path}: not valid JSON ({exc})") from exc
    return validate_final_info(data, str(path))


def final_info_from(work: WorkDir, rel: str) -> FinalInfo:
    """Read and validate ``rel`` of a work directory, through the trust boundary.

    Raises:
        TemplateError: when the file is missing, not a regular file within the read cap, not JSON,
            or not shaped ``{dataset: {"means": {metric: finite number}}}``.
    """
    try:
        data = work.read_json(rel)
    except FileNotFoundError as exc:
        raise TemplateError(f"{rel}: not found; did experiment.py finish?") from exc
    except (OSError, SandboxError) as exc:
        raise TemplateError(str(exc)) from exc
    return validate_final_info(data, rel)


def validate_final_info(data: Any, name: str) -> FinalInfo:
    """Validate parsed ``final_info`` data; ``name`` is used in the error.

    Raises:
        TemplateError: when it is not shaped ``{dataset: {"means": {metric: finite number}}}``.
    """
    try:
        return FinalInfo.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(f"{name}: {_errors(exc)}; expected {{dataset: {{'means': {{metric: number}}}}}}") \
            from exc


def _errors(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    more = len(exc.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
