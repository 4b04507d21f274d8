"""Parsing a run's ``final_info.json`` (the AI Scientist's results shape) and template errors.

A work directory's ``final_info.json`` is written by untrusted code, and the error about it goes
back into the next proposal prompt: such errors use a fixed vocabulary (:data:`PROBLEMS`) and
never quote a key, a value or file content. Errors about a template's own (trusted) files name
the pydantic location (:func:`_errors`).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel, ValidationError, field_validator, model_validator

from proctor.sandboxes import PathOutsideWorkdir, SandboxError, WorkDir

_NOT_NUMBER = "a metric value is not a number (it must be a number)"
_NOT_FINITE = "a value is not a finite number"
_EMPTY_MEANS = "a dataset's 'means' is not a non-empty object of metric name to number"
_NO_DATASETS = "no datasets"
_SHAPE = "not shaped {dataset: {means: {metric: number}}}"
MAX_DATASETS = MAX_METRICS = 64
MAX_NAME = 100
_TOO_MANY = f"too many datasets or metrics (at most {MAX_DATASETS} datasets of {MAX_METRICS} metrics)"
_LONG_NAME = f"a dataset or metric name is longer than {MAX_NAME} characters"
PROBLEMS = (_NOT_NUMBER, _NOT_FINITE, _EMPTY_MEANS, _NO_DATASETS, _TOO_MANY, _LONG_NAME, _SHAPE)
"""Every phrase a ``final_info.json`` validation error may use, in the order they are listed."""
_EXPECTED = "expected {dataset: {'means': {metric: number}}}"


class TemplateError(ValueError):
    """A template directory, knob config or ``final_info.json`` that does not fit the format."""


class DatasetResult(BaseModel):
    """One dataset's entry of ``final_info.json``; other keys (``stderrs``, ...) are kept."""

    model_config = ConfigDict(extra="allow")

    means: dict[str, float]

    @field_validator("means", mode="before")
    @classmethod
    def _finite_numbers(cls, means: Any) -> Any:
        # Fixed messages: the metric names and values are untrusted (see PROBLEMS).
        if not isinstance(means, dict) or not means:
            raise ValueError(_EMPTY_MEANS)
        if len(means) > MAX_METRICS:  # bounded before anything walks it: the harness renders every one
            raise ValueError(_TOO_MANY)
        if any(len(str(name)) > MAX_NAME for name in means):
            raise ValueError(_LONG_NAME)
        for value in means.values():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(_NOT_NUMBER)
            if not math.isfinite(value):
                raise ValueError(_NOT_FINITE)
        return means


class FinalInfo(RootModel[dict[str, DatasetResult]]):
    """A parsed ``final_info.json``: ``{dataset: {"means": {metric: float}, ...}}``.

    Bounded (at most :data:`MAX_DATASETS` datasets of :data:`MAX_METRICS` metrics, names of at most
    :data:`MAX_NAME` characters), so what untrusted code writes cannot make the harness's tables,
    prompts or TeX build grow without limit.
    """

    @model_validator(mode="before")
    @classmethod
    def _bounded(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if len(data) > MAX_DATASETS:
                raise ValueError(_TOO_MANY)
            if any(len(str(name)) > MAX_NAME for name in data):
                raise ValueError(_LONG_NAME)
        return data

    @field_validator("root")
    @classmethod
    def _non_empty(cls, root: dict[str, DatasetResult]) -> dict[str, DatasetResult]:
        if not root:
            raise ValueError(_NO_DATASETS)
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

    The error names ``rel`` (a path the harness chose, reduced to safe characters) and one phrase
    of a fixed vocabulary; it never quotes the file's keys, values or content.

    Raises:
        TemplateError: when the file is missing, not a regular file, over the read cap, not JSON,
            or not shaped ``{dataset: {"means": {metric: finite number}}}``.
    """
    name = _safe(rel)
    try:
        raw = work.read_bytes(rel)
    except FileNotFoundError as exc:
        raise TemplateError(f"{name}: not found; did experiment.py finish?") from exc
    except PathOutsideWorkdir as exc:
        raise TemplateError(f"{name}: outside the work directory") from exc
    except (OSError, SandboxError) as exc:
        problem = "over the size cap" if "cap" in str(exc) else "not a regular file"
        raise TemplateError(f"{name}: {problem}") from exc
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise TemplateError(f"{name}: not valid JSON") from exc
    return validate_final_info(data, name)


def validate_final_info(data: Any, name: str) -> FinalInfo:
    """Validate parsed ``final_info`` data; ``name`` (reduced to safe characters) is used in the error.

    Raises:
        TemplateError: when it is not shaped ``{dataset: {"means": {metric: finite number}}}``; the
            message counts the problems and names each kind from :data:`PROBLEMS`, never a key or
            a value of ``data``.
    """
    try:
        return FinalInfo.model_validate(data)
    except ValidationError as exc:
        raise TemplateError(f"{_safe(name)}: {_problems(exc)}; {_EXPECTED}") from exc


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._/+-]", "?", name)[:200]


def _problems(exc: ValidationError) -> str:
    """The validation problems in :data:`PROBLEMS`' words: no location, input or pydantic message."""
    found = set()
    for err in exc.errors():
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        found.add(msg if err.get("type") == "value_error" and msg in PROBLEMS else _SHAPE)
    count = len(exc.errors())
    kinds = "; ".join(p for p in PROBLEMS if p in found)
    return f"{count} problem{'s' if count != 1 else ''}: {kinds}"


def _errors(exc: ValidationError) -> str:
    """Pydantic's errors with their locations, for a template's own (trusted) files only."""
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    more = len(exc.errors()) - 5
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")
