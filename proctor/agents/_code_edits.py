"""Ideas as code changes: search/replace edits to a template's ``experiment.py``.

A capable model writes each edit as an exact ``search`` snippet and its ``replace`` text, as the
AI Scientist's coder does. The ``constants`` mode is the small-model form: the model picks new values
for the file's inferred parameters under a typed schema and the harness writes them in place (see
:mod:`._params`), so the change is still a code diff. A small base model cannot copy code reliably, so for it the schema makes
``search`` an enum of the file's own code lines (:func:`anchor_lines`): under constrained decoding
every edit then names a real, unique line, and only the replacement is free text.

:func:`apply_edits` applies edits in order to the original source and refuses, with the reason, a
snippet that is missing or ambiguous; the result must still compile. The edit reaches the sandbox
only as a gated ``file_edit`` action whose diff (:func:`proctor.diffs.unified_diff`) the monitors read.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from proctor.agents._text import clipped

MAX_ANCHORS = 160
MAX_EDITS = 4
_LITERAL = re.compile(r"(?<![\w.])[-+]?(\d+\.?\d*(e[-+]?\d+)?|\.\d+)(?![\w.])|\bTrue\b|\bFalse\b|['\"]", re.I)


class EditError(ValueError):
    """An edit that cannot be applied (snippet missing or ambiguous, or the result does not parse)."""


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                first, last = body[0].lineno, body[0].end_lineno or body[0].lineno
                lines.update(range(first, last + 1))
    return lines


def _comment_only_lines(source: str) -> set[int]:
    out: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT and not tok.line[: tok.start[1]].strip():
                out.add(tok.start[0])
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as exc:
        raise EditError(f"experiment.py does not parse: {exc}") from exc


def anchor_lines(source: str, limit: int = MAX_ANCHORS) -> list[str]:
    """Code lines of ``source`` that an edit may target: unique, not blank, comments or docstrings.

    Lines holding literals (numbers, strings, booleans: hyperparameters, mostly) come first, then
    the rest in file order, up to ``limit``.

    Raises:
        EditError: when ``source`` does not parse as Python.
    """
    tree = _parse(source)
    skip = _docstring_lines(tree) | _comment_only_lines(source)
    lines = source.splitlines()
    counts: dict[str, int] = {}
    for line in lines:
        counts[line] = counts.get(line, 0) + 1
    keep = [(i, line) for i, line in enumerate(lines, start=1)
            if line.strip() and i not in skip and counts[line] == 1 and not line.lstrip().startswith(("import ", "from "))]
    literal = [line for _, line in keep if _LITERAL.search(line)]
    other = [line for _, line in keep if not _LITERAL.search(line)]
    return (literal + other)[:limit]


def edit_schema(anchors: list[str] | None) -> type[BaseModel]:
    """The structured-output model for a code change.

    Args:
        anchors: the lines ``search`` must be one of (for small models), or ``None`` for free text.
    """
    search_type: Any = Literal[tuple(anchors)] if anchors else str  # type: ignore[valid-type]
    edit = create_model(
        "CodeEdit",
        search=(search_type, Field(description="Exact existing code to replace (a whole line or more).")),
        replace=(str, Field(description="The new code that takes its place.")),
    )
    return create_model(
        "CodeChange",
        edits=(list[edit], Field(description=f"One to {MAX_EDITS} search/replace edits, applied in order.")),  # type: ignore[valid-type]
        rationale=(clipped(300), Field(description="One sentence: why this change tests the idea.")),
    )


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _reindent(search: str, replace: str) -> str:
    """Give an unindented replacement the indentation of the line it replaces."""
    first = search.splitlines()[0] if search else ""
    pad = _indent(first)
    lines = replace.splitlines()
    if not pad or not lines or _indent(lines[0]):
        return replace
    return "\n".join(pad + ln if ln.strip() else ln for ln in lines)


def _locate(source: str, search: str) -> tuple[int, int]:
    """Span of the one occurrence of ``search`` (exact, else line-wise ignoring indentation)."""
    count = source.count(search)
    if count == 1:
        start = source.index(search)
        return start, start + len(search)
    if count > 1:
        raise EditError(f"search text occurs {count} times; include more lines to make it unique: {search[:120]!r}")
    want = [ln.strip() for ln in search.strip("\n").splitlines()]
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln))
    found = [i for i in range(len(lines) - len(want) + 1)
             if want and all(lines[i + j].strip() == w for j, w in enumerate(want))]
    if len(found) == 1:
        i = found[0]
        return offsets[i], offsets[i + len(want)] - (1 if lines[i + len(want) - 1].endswith("\n") else 0)
    if found:
        raise EditError(f"search text occurs {len(found)} times; include more lines to make it unique: {search[:120]!r}")
    raise EditError(f"search text not found in experiment.py: {search[:120]!r}")


def apply_edits(source: str, edits: list[tuple[str, str]]) -> str:
    """Apply ``(search, replace)`` edits in order and check that the result compiles.

    Raises:
        EditError: no edits, an empty/missing/ambiguous search, no change at all, or a syntax error.
    """
    if not edits:
        raise EditError("the change has no edits")
    out = source
    for search, replace in edits[:MAX_EDITS]:
        if not search.strip():
            raise EditError("an edit has an empty search text")
        start, end = _locate(out, search)
        found = out[start:end]
        out = out[:start] + _reindent(found, replace) + out[end:]
    if out == source:
        raise EditError("the edits change nothing (each replacement equals its search text)")
    try:
        compile(out, "experiment.py", "exec")
    except SyntaxError as exc:
        raise EditError(f"the edited experiment.py does not compile: {exc.msg} at line {exc.lineno}: "
                        f"{(exc.text or '').strip()[:120]!r}") from exc
    return out
