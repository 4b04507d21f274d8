"""Evaluation integrity: does a change touch how results are measured?

A change to the test or validation split, a metric's definition, the evaluation data or the seeds of
a split makes the idea's numbers incomparable with a baseline measured the old way (an idea that
moves ``test_fraction`` from 0.2 to 0.05 reports accuracy on a quarter of the test set). Three cases:

- a knob the template marks ``"evaluation": true`` is not the idea's to change: a configuration that
  changes one is refused before the gate (:func:`forbidden_knobs`);
- a knob not marked (``evaluation`` unset) whose name speaks of evaluation (``test``, ``val``,
  ``eval``, ``metric``, ``split``, ``bins``, ``threshold``...) is flagged, and the harness measures a
  baseline with the same values of those knobs (:func:`evaluation_knobs`);
- a code edit whose changed lines name such things, or sit inside a function named for them
  (``evaluate``, ``compute_metrics``, ``test_step``), is flagged (:func:`code_flags`); no baseline can
  be re-measured for a code change, so the paper and the review say so.

The flags are plain text, read by the paper (before any number) and the review's checklist.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from proctor.diffs import parse_hunks

_EVAL_WORD = re.compile(
    r"(?<![a-z])(test|tests|val|valid|validation|eval|evaluate|evaluation|metric|metrics|holdout|heldout|split|"
    r"splits|bins|threshold|ece|accuracy|score|scoring)(?![a-z])")
_SPLIT_CALL = re.compile(r"\b(train_test_split|random_split|KFold|StratifiedKFold|test_size|val_size|eval_)")
MAX_CODE_FLAGS = 8


def _words(name: str) -> str:
    """``testFraction``/``TEST_FRACTION``/``--test-fraction`` as ``test fraction``."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name)
    return re.sub(r"[^a-z0-9]+", " ", spaced.lower())


def speaks_of_evaluation(name: str) -> bool:
    """Whether a setting's name says it is about measurement (split, metric, evaluation)."""
    return bool(_EVAL_WORD.search(_words(name)))


def forbidden_knobs(template: Any, config: dict[str, Any]) -> list[str]:
    """Knobs marked ``"evaluation": true`` whose value ``config`` changes from the default."""
    return [k.name for k in template.knobs
            if k.evaluation and k.name in config and config[k.name] != k.default]


def evaluation_knobs(template: Any, config: dict[str, Any] | None) -> dict[str, Any]:
    """Unmarked knobs whose names speak of evaluation and whose value ``config`` changes, with their values."""
    if not config:
        return {}
    return {k.name: config[k.name] for k in template.knobs
            if k.evaluation is None and k.name in config and config[k.name] != k.default
            and speaks_of_evaluation(k.name)}


def knob_flags(template: Any, changed: dict[str, Any]) -> list[str]:
    """One line per evaluation knob an idea changed."""
    defaults = template.defaults()
    return [f"the idea changed the evaluation setting {name} from {defaults.get(name)!r} to {value!r}"
            for name, value in changed.items()]


def _functions(source: str) -> list[tuple[int, int, str]]:
    """(first line, last line, name) of every function in ``source``; empty when it does not parse."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    return [(n.lineno, n.end_lineno or n.lineno, n.name) for n in ast.walk(tree)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def code_flags(original: str, diff: str) -> list[str]:
    """Lines of a code change that touch how results are measured, one flag each (bounded).

    A changed line is flagged when it names evaluation (a split, a metric, a test or validation set)
    or lies inside a function whose name does; ``original`` is the file before the change (for the
    functions' extents).
    """
    functions = [f for f in _functions(original) if speaks_of_evaluation(f[2])]
    flags: list[str] = []
    for hunk in parse_hunks(diff):
        at = hunk.old_start  # where an added line sits in the old file: after the last old line seen
        for line in hunk.lines:
            at = line.old_no if line.old_no is not None else at
            text = line.text.strip()
            if line.kind == "context" or not text or text.startswith("#"):
                continue
            inside = [name for first, last, name in functions if first <= at <= last]
            code = text.split("#", 1)[0]
            if inside or _EVAL_WORD.search(_words(code)) or _SPLIT_CALL.search(code):
                where = f" (in {inside[0]}())" if inside else ""
                flags.append(f"the change {line.kind} a line that touches evaluation{where}: {text[:120]}")
    if len(flags) > MAX_CODE_FLAGS:
        flags = [*flags[:MAX_CODE_FLAGS], f"... and {len(flags) - MAX_CODE_FLAGS} more such lines"]
    return flags
