"""Unified diffs: making one from two texts, and reading its hunks back as typed, numbered lines.

The reader is lenient, as diffs written by models or people often are: file headers (``---``,
``+++``, ``diff --git``...) and lines outside a hunk are skipped, a hunk's line counts are not
enforced, and a blank line inside a hunk is a context line whose leading space was stripped.

Example:
    >>> diff = unified_diff("a\\nb\\n", "a\\nB\\nc\\n", "x.py")
    >>> [(line.kind, line.text, line.new_no) for line in parse_hunks(diff)[0].lines]
    [('context', 'a', 1), ('removed', 'b', None), ('added', 'B', 2), ('added', 'c', 3)]
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Literal

_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_MARKERS = re.compile(r"^(@@ |--- |\+\+\+ )", re.M)

LineKind = Literal["added", "removed", "context"]


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk.

    Attributes:
        kind: ``added`` (``+``), ``removed`` (``-``) or ``context`` (`` ``).
        text: The line without its marker.
        old_no: Its 1-based line number in the old file (``None`` for an added line).
        new_no: Its 1-based line number in the new file (``None`` for a removed line).
    """

    kind: LineKind
    text: str
    old_no: int | None
    new_no: int | None


@dataclass
class Hunk:
    """One ``@@ -old_start,old_count +new_start,new_count @@`` block and its lines."""

    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def added(self) -> list[DiffLine]:
        """The added lines."""
        return [line for line in self.lines if line.kind == "added"]

    @property
    def removed(self) -> list[DiffLine]:
        """The removed lines."""
        return [line for line in self.lines if line.kind == "removed"]

    @property
    def new_side(self) -> list[DiffLine]:
        """The hunk as it reads in the new file: context and added lines, in order."""
        return [line for line in self.lines if line.kind != "removed"]


def unified_diff(old: str, new: str, path: str) -> str:
    """A unified diff of ``path`` from ``old`` to ``new``, with ``a/`` and ``b/`` file headers.

    A text without a final newline gets one, so the diff never carries
    ``\\ No newline at end of file`` markers. Equal texts give an empty string.
    """
    old, new = (t if t.endswith("\n") else t + "\n" for t in (old, new))
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=f"a/{path}", tofile=f"b/{path}"))


def is_diff(text: str) -> bool:
    """Whether ``text`` looks like a unified diff (has a hunk header or a file header line)."""
    return bool(_MARKERS.search(text))


def parse_hunks(diff: str) -> list[Hunk]:
    """The hunks of ``diff``, each line numbered on the old and the new side.

    Lines starting with ``+++`` or ``---`` are file headers wherever they appear; lines with any
    other marker (``\\ No newline at end of file``...) are skipped without advancing the numbers.
    """
    hunks: list[Hunk] = []
    old_no = new_no = 0
    for raw in diff.splitlines():
        header = _HEADER.match(raw)
        if header:
            o_start, o_count, n_start, n_count = header.groups()
            hunks.append(Hunk(int(o_start), int(o_count or 1), int(n_start), int(n_count or 1)))
            old_no, new_no = int(o_start), int(n_start)
            continue
        if not hunks or raw.startswith(("+++", "---")):
            continue
        if raw.startswith("+"):
            hunks[-1].lines.append(DiffLine("added", raw[1:], None, new_no))
            new_no += 1
        elif raw.startswith("-"):
            hunks[-1].lines.append(DiffLine("removed", raw[1:], old_no, None))
            old_no += 1
        elif raw.startswith(" ") or raw == "":
            hunks[-1].lines.append(DiffLine("context", raw[1:], old_no, new_no))
            old_no += 1
            new_no += 1
    return hunks


def added_lines(diff: str) -> list[DiffLine]:
    """Every added line of ``diff``, in order."""
    return [line for hunk in parse_hunks(diff) for line in hunk.added]


def removed_lines(diff: str) -> list[DiffLine]:
    """Every removed line of ``diff``, in order."""
    return [line for hunk in parse_hunks(diff) for line in hunk.removed]


def original_text(diff: str, new: str) -> str:
    """The old text that ``diff`` turned into ``new`` (the diff applied backwards).

    Texts are normalised as :func:`unified_diff` does (a final newline; an empty text is one empty line).

    Raises:
        ValueError: when ``new`` does not hold the diff's new side where its hunks say.
    """
    lines = (new if new.endswith("\n") else new + "\n").splitlines()
    out: list[str] = []
    at = 0  # next unread line of ``new`` (0-based)
    for hunk in parse_hunks(diff):
        start = max(hunk.new_start - 1, 0) if hunk.new_count else hunk.new_start
        if start < at:
            raise ValueError("overlapping hunks")
        out += lines[at:start]
        at = start
        for line in hunk.lines:
            if line.kind == "removed":
                out.append(line.text)
                continue
            if at >= len(lines) or lines[at] != line.text:
                raise ValueError(f"the new text does not match the diff at line {at + 1}")
            if line.kind == "context":
                out.append(line.text)
            at += 1
    out += lines[at:]
    return "\n".join(out) + ("\n" if out else "")
