"""The change an idea makes, and which form it takes for a template (``workflow.experiment_mode``).

- ``knobs``: knob values under a schema built from the template's typed knobs, written as
  ``config_<k>.json`` and passed with ``--config``;
- ``code``: search/replace edits to ``experiment.py`` (see :mod:`._code_edits`), applied to the
  template's original file, so the diff the monitors read holds every agent-written line;
- ``constants``: new values of ``experiment.py``'s parameters, inferred from its code (module
  constants, literals in the ``__main__`` block, functions and calls, argparse defaults: see
  :mod:`._params`), under a typed schema; the harness writes them in place (the small-model form of
  ``code``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from proctor.agents._code_edits import EditError, anchor_lines
from proctor.agents._imports import missing_message, missing_modules
from proctor.agents._params import Parameter, infer_parameters, is_harness_name
from proctor.agents._text import clipped
from proctor.control import Action, FileEdit
from proctor.diffs import unified_diff
from proctor.llm import is_embedded

# Hardware and seeding belong to the harness (which passes --seed per run), not to the idea.
HARNESS_KNOBS = frozenset({"device", "num_threads", "seed", "n_seeds"})


def agent_knobs(knobs: list[Any]) -> list[Any]:
    """The knobs an idea may set: not the harness's, nor those the template marks as evaluation settings."""
    return [k for k in knobs if k.name not in HARNESS_KNOBS and not is_harness_name(k.name)
            and not getattr(k, "evaluation", False)]


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


def describe_knob(k: Any) -> str:
    """One line for the prompt: name, type, default, range or choices, help."""
    span = f"{k.min}..{k.max}" if k.type in ("int", "float") else "|".join(map(str, k.choices or [True, False]))
    return f"{k.name}: {k.type}, default {k.default}, {span} - {k.help}"


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
        ValueError: ``knobs`` for a template without ``knobs.json``; ``constants`` for an
            ``experiment.py`` that does not parse or has no parameters Proctor can infer; an
            experiment that imports modules the sandbox image lacks (where the image is known here).
    """
    mode = settings.workflow.experiment_mode
    if mode == "auto":
        mode = "knobs" if template.supports_config else "constants" if is_embedded(settings.llm.untrusted) else "code"
    if mode == "knobs" and not template.supports_config:
        raise ValueError(f"workflow.experiment_mode=knobs, but template {template.name} has no knobs.json; "
                         "use experiment_mode=code (or auto) to express ideas as code edits")
    if mode == "constants" and not agent_parameters(template):
        raise ValueError(f"experiment.py of template {template.name} has no parameters for experiment_mode=constants "
                         "(no numeric module constants, literals in the __main__ block, functions or calls, or "
                         "argparse defaults); use experiment_mode=code with a model that can write code edits")
    missing = missing_modules(template.root, settings)
    if missing:
        raise ValueError(missing_message(template.name, missing, settings))
    return str(mode)


def agent_parameters(template: Any) -> list[Parameter]:
    """The parameters of ``experiment.py`` an idea may set (seeds, output, devices and threads belong to
    the harness here too: ``N_SEEDS = 3``, ``SEED = 0``, ``--out_dir``...).

    Raises:
        ValueError: when ``experiment.py`` cannot be read or does not parse (naming the template).
    """
    path = template.root / "experiment.py"
    try:
        return infer_parameters(path.read_text())
    except (OSError, UnicodeDecodeError, EditError) as exc:
        raise ValueError(f"template {template.name}: {exc}") from exc


def edit_anchors(settings: Any, source: str) -> list[str] | None:
    """Lines a code edit must target (small embedded models), or ``None`` for free search text."""
    choice = settings.workflow.edit_anchors
    if choice == "auto":
        choice = "lines" if is_embedded(settings.llm.untrusted) else "free"
    return anchor_lines(source) if choice == "lines" else None


