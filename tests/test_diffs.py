"""Unified diffs: making them, and reading hunks back with the right line numbers."""

from __future__ import annotations

import random

import pytest

from proctor.diffs import DiffLine, added_lines, is_diff, parse_hunks, removed_lines, unified_diff

OLD = "".join(f"line {i}\n" for i in range(1, 21))


def _apply(old: str, diff: str) -> str:
    """Rebuild the new text from ``old`` and the hunks (a round trip through the parser)."""
    lines = old.splitlines()
    out: list[str] = []
    pos = 0  # 0-based index into lines
    for hunk in parse_hunks(diff):
        start = hunk.old_start - 1 if hunk.old_count else hunk.old_start
        out.extend(lines[pos:start])
        pos = start
        for line in hunk.lines:
            if line.kind == "context":
                assert lines[pos] == line.text
                out.append(line.text)
                pos += 1
            elif line.kind == "removed":
                assert lines[pos] == line.text
                pos += 1
            else:
                out.append(line.text)
    out.extend(lines[pos:])
    return "".join(f"{line}\n" for line in out)


def test_diff_has_headers_and_equal_texts_give_nothing() -> None:
    new = OLD.replace("line 5\n", "line five\n")
    diff = unified_diff(OLD, new, "train.py")
    assert diff.startswith("--- a/train.py\n+++ b/train.py\n@@ -2,7 +2,7 @@\n")
    assert "-line 5\n+line five\n" in diff
    assert unified_diff(OLD, OLD, "train.py") == ""
    assert unified_diff("x", "y", "t.py").endswith("-x\n+y\n")  # no "No newline" marker


def test_hunk_line_numbers() -> None:
    new = OLD.replace("line 3\n", "").replace("line 15\n", "line 15\ninserted a\ninserted b\n")
    hunks = parse_hunks(unified_diff(OLD, new, "t.py"))
    assert [(h.old_start, h.old_count, h.new_start, h.new_count) for h in hunks] == [(1, 6, 1, 5), (13, 6, 12, 8)]
    (gone,) = hunks[0].removed
    assert gone == DiffLine("removed", "line 3", 3, None)
    assert [(line.text, line.new_no) for line in hunks[1].added] == [("inserted a", 15), ("inserted b", 16)]
    context = [line for line in hunks[1].lines if line.kind == "context"]
    # one line fewer above the insertion, one more below it
    assert [(line.old_no, line.new_no) for line in context] == [(13, 12), (14, 13), (15, 14), (16, 17), (17, 18), (18, 19)]
    assert [line.kind for line in hunks[1].new_side].count("removed") == 0
    assert [line.text for line in added_lines(unified_diff(OLD, new, "t.py"))] == ["inserted a", "inserted b"]
    assert [line.old_no for line in removed_lines(unified_diff(OLD, new, "t.py"))] == [3]


@pytest.mark.parametrize("seed", range(25))
def test_round_trip(seed: int) -> None:
    rnd = random.Random(seed)
    lines = OLD.splitlines()
    for _ in range(rnd.randint(1, 6)):
        i = rnd.randrange(len(lines) + 1)
        op = rnd.choice(["insert", "delete", "replace"])
        if op == "insert" or not lines:
            lines.insert(i, f"new {rnd.random():.3f}")
        elif op == "delete" and i < len(lines):
            del lines[i]
        elif i < len(lines):
            lines[i] = f"changed {rnd.random():.3f}"
    new = "".join(f"{line}\n" for line in lines)
    diff = unified_diff(OLD, new, "t.py")
    assert _apply(OLD, diff) == new
    for hunk in parse_hunks(diff):
        assert [line.new_no for line in hunk.new_side] == list(range(hunk.new_start, hunk.new_start + hunk.new_count))
        old_side = [line.old_no for line in hunk.lines if line.kind != "added"]
        assert old_side == list(range(hunk.old_start, hunk.old_start + hunk.old_count))
        assert all(new.splitlines()[line.new_no - 1] == line.text for line in hunk.added if line.new_no)


def test_new_file_and_hand_written_diffs() -> None:
    (hunk,) = parse_hunks("--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+a\n+b\n")
    assert (hunk.old_start, hunk.old_count, hunk.new_start, hunk.new_count) == (0, 0, 1, 2)
    assert [(line.text, line.new_no) for line in hunk.added] == [("a", 1), ("b", 2)]
    # hand-written: counts off, a blank context line without its space, a no-newline marker
    text = "--- a/t.py\n+++ b/t.py\n@@ -10 +10 @@\n x = 1\n\n-y = 2\n+y = 3\n\\ No newline at end of file\n"
    (hunk,) = parse_hunks(text)
    assert [(line.kind, line.old_no, line.new_no) for line in hunk.lines] == [
        ("context", 10, 10), ("context", 11, 11), ("removed", 12, None), ("added", None, 12)]


def test_is_diff() -> None:
    assert is_diff(unified_diff("a", "b", "t.py"))
    assert is_diff("@@ -1 +1 @@\n-a\n+b\n")
    assert not is_diff("import os\nprint('no diff here')\n")
    assert parse_hunks("import os\n+not in a hunk\n") == []


@pytest.mark.parametrize("old,new", [
    ("a\nb\nc\n", "a\nB\nc\nd\n"),
    ("", "x\ny\n"),
    ("x\ny\n", ""),
    ("".join(f"line {i}\n" for i in range(40)), "".join(f"line {i}\n" for i in range(40) if i % 7) + "tail\n"),
])
def test_original_text_reverses_a_diff(old: str, new: str) -> None:
    from proctor.diffs import original_text

    expected = old if old.endswith("\n") else old + "\n"  # unified_diff's normal form
    assert original_text(unified_diff(old, new, "f.py"), new) == expected


def test_original_text_refuses_a_text_the_diff_does_not_fit() -> None:
    from proctor.diffs import original_text

    with pytest.raises(ValueError):
        original_text(unified_diff("a\nb\n", "a\nc\n", "f.py"), "a\nzzz\n")
