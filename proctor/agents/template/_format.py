"""Experiment templates in the AI Scientist's format, plus typed knobs.

A template is a directory holding ``experiment.py`` (run as ``python experiment.py
--out_dir=run_i``, writing ``run_i/final_info.json``), ``plot.py``, ``prompt.json`` (``system``,
``task_description``), ``seed_ideas.json`` and optionally ``latex/template.tex``. An optional
``knobs.json`` lists typed knobs; a template that has one also accepts ``--config=PATH`` (a JSON
object of knob values) and ``--seed=N``, so a small model can express an idea as a configuration
change instead of a code edit.

Shipped templates live in ``proctor/templates/<name>/`` (package data) and are registered in
:data:`TEMPLATES` as their directory :class:`~pathlib.Path`; third parties may add more with
``TEMPLATES.add(name, path)``. Nothing here runs a template: the workflow does that through the
control gate, using :func:`run_argv`.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from proctor.agents.template._results import TemplateError, _errors
from proctor.registry import Registry, UnknownComponent

TEMPLATES: Registry[Path] = Registry("template")
"""Shipped and third-party templates by name (each a template directory)."""

KnobType = Literal["int", "float", "choice", "bool"]
REQUIRED_FILES = ("experiment.py", "plot.py", "prompt.json", "seed_ideas.json")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
# Left behind by earlier runs in a user's template directory; the harness re-runs the baseline.
_COPY_IGNORE = shutil.ignore_patterns("run_*", "__pycache__", "*.pyc", ".*")


class Knob(BaseModel):
    """One typed, bounded setting of a template's experiment (an entry of ``knobs.json``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Identifier used as the key in a --config JSON.", pattern=r"^[A-Za-z_]\w*$")
    type: KnobType = Field(description="Value type.")
    default: int | float | str | bool = Field(description="Value used when a config omits the knob.")
    min: float | None = Field(default=None, description="Inclusive lower bound (int/float only).")
    max: float | None = Field(default=None, description="Inclusive upper bound (int/float only).")
    choices: list[str | int | float] | None = Field(default=None, description="Allowed values (choice only).")
    help: str = Field(default="", description="What the knob does, for the model choosing values.")
    evaluation: bool | None = Field(
        default=None, description="True: an evaluation setting (a test or validation split, a metric's definition, "
        "the evaluation data) that ideas may not change; false: declared not to be one; unset: judged from its "
        "name, and an idea that changes it is flagged and compared with a baseline measured the same way.")

    @model_validator(mode="after")
    def _consistent(self) -> Knob:
        if self.type in ("bool", "choice") and (self.min is not None or self.max is not None):
            raise ValueError(f"knob {self.name!r}: min/max apply only to int and float knobs")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"knob {self.name!r}: a choice knob needs a non-empty 'choices' list")
        if self.type != "choice" and self.choices is not None:
            raise ValueError(f"knob {self.name!r}: 'choices' applies only to choice knobs")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"knob {self.name!r}: min {self.min} is above max {self.max}")
        problem = self.check(self.default)
        if problem:
            raise ValueError(f"knob {self.name!r}: default is invalid: {problem}")
        return self

    def check(self, value: Any) -> str | None:
        """Return why ``value`` is not valid for this knob, or ``None`` when it is."""
        if self.type == "bool":
            return None if isinstance(value, bool) else f"{self.name} must be true or false, got {value!r}"
        if self.type == "choice":
            assert self.choices is not None
            ok = value in self.choices and not isinstance(value, bool)
            return None if ok else f"{self.name} must be one of {self.choices}, got {value!r}"
        wrong_int = self.type == "int" and isinstance(value, float)
        if isinstance(value, bool) or not isinstance(value, int | float) or wrong_int:
            return f"{self.name} must be {'an integer' if self.type == 'int' else 'a number'}, got {value!r}"
        number = float(value)
        if not math.isfinite(number):
            return f"{self.name} must be finite, got {value!r}"
        if self.min is not None and number < self.min:
            return f"{self.name}={value} is below the minimum {self.min:g}"
        if self.max is not None and number > self.max:
            return f"{self.name}={value} is above the maximum {self.max:g}"
        return None


class SeedIdea(BaseModel):
    """An entry of ``seed_ideas.json``: the AI Scientist's idea keys, without length limits.

    Users' templates have longer seed ideas than the grammar-bounded :class:`Idea` allows.
    """

    Name: str = Field(min_length=1)
    Title: str = Field(min_length=1)
    Experiment: str = Field(min_length=1)
    Interestingness: int = Field(ge=1, le=10)
    Feasibility: int = Field(ge=1, le=10)
    Novelty: int = Field(ge=1, le=10)


class TemplatePrompt(BaseModel):
    """``prompt.json``: the system prompt and the task description given to the models."""

    system: str = Field(min_length=1)
    task_description: str = Field(min_length=1)


class Template(BaseModel):
    """A loaded, validated experiment template (see the module docstring for the format)."""

    name: str = Field(description="Registry name, or the directory name for a path.")
    root: Path = Field(description="The template directory (read only; copy it with copy_to).")
    prompt: TemplatePrompt
    seed_ideas: list[SeedIdea]
    knobs: list[Knob] = Field(default_factory=list, description="Empty when there is no knobs.json.")
    has_latex: bool = Field(description="Whether latex/template.tex exists.")

    @field_validator("knobs")
    @classmethod
    def _unique_knobs(cls, knobs: list[Knob]) -> list[Knob]:
        seen = [k.name for k in knobs]
        dupes = sorted({n for n in seen if seen.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate knob names {dupes}")
        return knobs

    @property
    def supports_config(self) -> bool:
        """Whether ``experiment.py`` accepts ``--config`` (the template has ``knobs.json``)."""
        return bool(self.knobs)

    def defaults(self) -> dict[str, Any]:
        """Every knob's default value."""
        return {k.name: k.default for k in self.knobs}

    def validate_config(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Check knob values and return the full config (defaults overridden by ``config``).

        Args:
            config: knob name to value; omitted knobs take their defaults.

        Returns:
            A new dict with a value for every knob, floats given as ints widened to float.

        Raises:
            TemplateError: naming every unknown knob and every wrong-typed or out-of-range value.
        """
        if config and not self.knobs:
            raise TemplateError(f"template {self.name!r} has no knobs.json, so it takes no config; "
                                "express the idea as a code change instead")
        by_name = {k.name: k for k in self.knobs}
        errors = [f"unknown knob {key!r}" for key in config if key not in by_name]
        errors += [msg for key, value in config.items() if key in by_name
                   if (msg := by_name[key].check(value))]
        if errors:
            raise TemplateError(f"invalid config for template {self.name!r}: " + "; ".join(errors)
                                + f" (knobs: {', '.join(sorted(by_name))})")
        out = self.defaults() | dict(config)
        return {k: float(v) if by_name[k].type == "float" else v for k, v in out.items()}

    def copy_to(self, workdir: str | Path) -> Path:
        """Copy the template into ``workdir`` (created; must not exist or be empty).

        Leftover ``run_*`` directories, caches and dotfiles are not copied, so the harness's own
        baseline ``run_0`` is the only one.

        Raises:
            FileExistsError: when ``workdir`` exists and is not empty.
        """
        dest = Path(workdir)
        if dest.exists():
            if any(dest.iterdir()):
                raise FileExistsError(f"work dir {dest} is not empty; pick a fresh directory")
            dest.rmdir()
        shutil.copytree(self.root, dest, ignore=_COPY_IGNORE)
        return dest


def run_argv(template: Template, run_name: str, config_path: str | Path | None = None,
             seed: int | None = None) -> list[str]:
    """The argv for one run, relative to the work dir (``python experiment.py --out_dir=...``).

    Args:
        template: the template being run (checked for ``--config``/``--seed`` support).
        run_name: the output directory, e.g. ``"run_1"``; a plain name, no path separators.
        config_path: a knob-values JSON, relative to the work dir.
        seed: overrides the template's ``seed`` knob; ignored for a template without one.

    Raises:
        TemplateError: for an unsafe run name, or a config for a template without knobs.
    """
    if not _SAFE_NAME.fullmatch(run_name):
        raise TemplateError(f"run name {run_name!r} must be a plain name like 'run_1'")
    argv = ["python", "experiment.py", f"--out_dir={run_name}"]
    if config_path is not None:
        if not template.supports_config:
            raise TemplateError(f"template {template.name!r} has no knobs.json, so it takes no --config")
        if str(config_path).startswith("-"):
            raise TemplateError(f"config path {config_path!s} must not start with '-'")
        argv.append(f"--config={config_path}")
    # AI Scientist templates take no --seed (argparse would reject it), so it is left out for
    # them and the run is as seeded as the template makes it.
    if seed is not None and any(k.name == "seed" for k in template.knobs):
        argv.append(f"--seed={int(seed)}")
    return argv


def list_templates() -> list[str]:
    """Names of the registered (shipped and third-party) templates, sorted."""
    return TEMPLATES.names()


def load_template(name_or_path: str | Path) -> Template:
    """Load a registered template by name, or any AI-Scientist-format directory by path.

    Raises:
        UnknownComponent: for a name that is neither registered nor an existing directory.
        TemplateError: when a file is missing or malformed; the message names the file and fix.
    """
    text = str(name_or_path)
    if not isinstance(name_or_path, Path) and text in TEMPLATES:
        found = TEMPLATES.get(text)
        target = found() if callable(found) else found
        return _load_dir(Path(str(target)), text)
    root = Path(text).expanduser()
    if root.is_dir():
        return _load_dir(root.resolve(), root.resolve().name)
    if isinstance(name_or_path, Path) or "/" in text or text.startswith("."):
        raise TemplateError(f"template directory {root} does not exist")
    raise UnknownComponent("template", text, TEMPLATES.names())


def _load_dir(root: Path, name: str) -> Template:
    missing = [f for f in REQUIRED_FILES if not (root / f).is_file()]
    if missing:
        raise TemplateError(f"template {root} lacks {', '.join(missing)}; an AI Scientist template needs "
                            f"{', '.join(REQUIRED_FILES)}")
    prompt = _read(root, "prompt.json", TemplatePrompt, '{"system": "...", "task_description": "..."}')
    ideas = _read(root, "seed_ideas.json", list[SeedIdea],
                  'a list of {"Name", "Title", "Experiment", "Interestingness", "Feasibility", "Novelty"}')
    knobs: list[Knob] = []
    if (root / "knobs.json").is_file():
        knobs = _read(root, "knobs.json", list[Knob],
                      'a list of {"name", "type": int|float|choice|bool, "default", "min", "max", "choices", "help"}')
    try:
        return Template(name=name, root=root, prompt=prompt, seed_ideas=ideas, knobs=knobs,
                        has_latex=(root / "latex" / "template.tex").is_file())
    except ValidationError as exc:
        raise TemplateError(f"{root / 'knobs.json'}: {_errors(exc)}") from exc


def _read(root: Path, filename: str, shape: Any, expected: str) -> Any:
    path = root / filename
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise TemplateError(f"{path}: not valid JSON ({exc}); fix the syntax") from exc
    try:
        return TypeAdapter(shape).validate_python(data)
    except ValidationError as exc:
        raise TemplateError(f"{path}: {_errors(exc)}; expected {expected}") from exc


def _register_shipped() -> None:
    base = resources.files("proctor") / "templates"
    if not base.is_dir():
        return
    for entry in sorted(base.iterdir(), key=lambda e: e.name):
        if entry.is_dir() and (entry / "experiment.py").is_file():
            # Wheels install unzipped, so the Traversable is a real directory path.
            TEMPLATES.add(entry.name, Path(str(entry)))


_register_shipped()
