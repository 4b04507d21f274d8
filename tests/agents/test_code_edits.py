"""Search/replace code edits: anchors, application, refusal reasons, diffs and the schema."""

from __future__ import annotations

import pytest

from proctor.agents._code_edits import EditError, anchor_lines, apply_edits, edit_schema
from proctor.agents.template import load_template
from proctor.diffs import unified_diff

SOURCE = '''"""Docstring with LR = 0.5 in it."""
import numpy as np

# a comment = 3
LR = 0.1
STEPS = 10


def train(x):
    """Inner docstring."""
    total = 0
    for _ in range(STEPS):
        total += LR * x
    return total


def other(x):
    total = 0
    return total
'''


def test_anchors_are_unique_code_lines_literals_first() -> None:
    anchors = anchor_lines(SOURCE)
    assert anchors[:2] == ["LR = 0.1", "STEPS = 10"]  # literal-holding lines lead
    assert "    total = 0" not in anchors  # appears twice: ambiguous
    assert not any("docstring" in a.lower() or a.startswith("#") or "import" in a for a in anchors)
    assert "        total += LR * x" in anchors


def test_apply_reindents_and_compiles() -> None:
    new = apply_edits(SOURCE, [("LR = 0.1", "LR = 0.05"),
                               ("        total += LR * x", "total += LR * x * x")])
    assert "LR = 0.05\n" in new and "        total += LR * x * x\n" in new
    namespace: dict[str, object] = {}
    exec(compile(new, "experiment.py", "exec"), namespace)  # noqa: S102 - our own test code
    assert namespace["train"](2.0) == pytest.approx(10 * 0.05 * 4)  # type: ignore[operator]


def test_multi_line_search_matches_ignoring_indentation() -> None:
    new = apply_edits(SOURCE, [("for _ in range(STEPS):\n    total += LR * x", "for _ in range(2 * STEPS):\n    total += LR * x")])
    assert "    for _ in range(2 * STEPS):\n        total += LR * x" in new


@pytest.mark.parametrize(("edits", "reason"), [
    ([], "no edits"),
    ([("", "x = 1")], "empty search"),
    ([("LR = 0.7", "LR = 0.5")], "not found"),
    ([("    total = 0", "    total = 1")], "occurs 2 times"),
    ([("LR = 0.1", "LR = 0.1")], "change nothing"),
    ([("STEPS = 10", "STEPS = (")], "does not compile"),
])
def test_bad_edits_are_refused_with_the_reason(edits: list[tuple[str, str]], reason: str) -> None:
    with pytest.raises(EditError, match=reason):
        apply_edits(SOURCE, edits)


def test_unified_diff_has_hunk_headers() -> None:
    diff = unified_diff(SOURCE, apply_edits(SOURCE, [("LR = 0.1", "LR = 0.2")]), "experiment.py")
    assert diff.startswith("--- a/experiment.py\n+++ b/experiment.py\n@@ -")
    assert "-LR = 0.1\n+LR = 0.2\n" in diff


def test_schema_constrains_search_to_anchors_when_given() -> None:
    anchors = anchor_lines(SOURCE)
    schema = edit_schema(anchors).model_json_schema()
    assert schema["$defs"]["CodeEdit"]["properties"]["search"]["enum"] == anchors
    free = edit_schema(None).model_json_schema()
    assert free["$defs"]["CodeEdit"]["properties"]["search"]["type"] == "string"
    with pytest.raises(ValueError):
        edit_schema(anchors).model_validate({"edits": [{"search": "not a line", "replace": "x"}], "rationale": "r"})


def test_shipped_knobless_template_has_useful_anchors() -> None:
    template = load_template("softmax_regression")
    assert not template.supports_config
    anchors = anchor_lines((template.root / "experiment.py").read_text())
    assert {"LEARNING_RATE = 0.1", "MOMENTUM = 0.0", "EPOCHS = 30"} <= set(anchors[:10])


def test_unparseable_source_is_refused() -> None:
    with pytest.raises(EditError, match="does not parse"):
        anchor_lines("def broken(:\n")
