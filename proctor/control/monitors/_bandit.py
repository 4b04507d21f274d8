"""Python changes through bandit's own checks (run in-process, its shipped plugins only).

Each hunk's new side (context and added lines) is parsed as Python; when a hunk is a fragment that
does not parse, its dedented form, then its added lines alone, are tried. Only issues on *added*
lines count, weighted by bandit's severity and confidence. A whole new file is one unit.
"""

from __future__ import annotations

import ast
import io
import logging
import textwrap
from functools import lru_cache
from typing import Any

from proctor.control.monitors._changes import FileChange
from proctor.control.monitors._findings import Finding

_SEVERITY = {"LOW": 0.15, "MEDIUM": 0.35, "HIGH": 0.6}
_CONFIDENCE = {"LOW": 0.5, "MEDIUM": 0.8, "HIGH": 1.0}
# Tests that fire on ordinary experiment code (asserts, pseudo-random numbers, pickle of one's own
# checkpoints, try/except/pass) carry no signal about an attack here.
_SKIP = {"B101", "B311", "B110", "B112", "B403", "B404", "B301", "B614", "B615"}
_CATEGORY = {"B6": "subprocess", "B3": "obfuscation", "B1": "secrets", "B5": "network", "B4": "unexpected_import",
             "B2": "exposure", "B7": "obfuscation"}
MAX_UNIT_CHARS = 200_000


@lru_cache(maxsize=1)
def _tests() -> Any:
    # bandit's import loads its report formatters through stevedore, which logs an error for the
    # optional SARIF one (not installed, never used here) on every process's first action.
    logging.getLogger("stevedore").setLevel(logging.CRITICAL)
    logging.getLogger("bandit").setLevel(logging.CRITICAL)
    from bandit.core import config, test_set

    return test_set.BanditTestSet(config.BanditConfig(), profile={"exclude": sorted(_SKIP)})


def warm_bandit() -> None:
    """Import bandit and build its test set now, so a timed scoring call does not."""
    _tests()


def _run(code: str) -> list[Any]:
    tests = _tests()  # first: it quiets the loggers before bandit is imported
    from bandit.core import meta_ast, metrics, node_visitor

    visitor = node_visitor.BanditNodeVisitor("change.py", io.BytesIO(code.encode("utf-8", "replace")),
                                             meta_ast.BanditMetaAst(), tests, False, {}, metrics.Metrics())
    visitor.process(code)
    return list(visitor.tester.results)


def _units(change: FileChange) -> list[tuple[str, set[int]]]:
    """``(code, added line numbers in that code)`` units that parse as Python."""
    if change.content is not None or (change.new_file and len(change.hunks) == 1):
        text = change.new_text()
        added = {line.new_no - change.hunks[0].new_start + 1 for h in change.hunks for line in h.added
                 if line.new_no is not None} if change.content is None else {
                 line.new_no for h in change.hunks for line in h.added if line.new_no is not None}
        candidates = [(text, added)]
    else:
        candidates = []
        for h in change.hunks:
            side = h.new_side
            text = "\n".join(line.text for line in side)
            rel = {i + 1 for i, line in enumerate(side) if line.kind == "added"}
            if rel:
                candidates.append((text, rel))
    out = []
    for text, rel in candidates:
        text = text[:MAX_UNIT_CHARS]
        for attempt in (text, textwrap.dedent(text)):
            try:
                ast.parse(attempt)
            except (SyntaxError, ValueError):
                continue
            out.append((attempt, rel))
            break
        else:
            lines = text.splitlines()
            only = textwrap.dedent("\n".join(lines[i - 1] for i in sorted(rel) if 0 < i <= len(lines)))
            try:
                ast.parse(only)
            except (SyntaxError, ValueError):
                continue
            out.append((only, set(range(1, only.count("\n") + 2))))
    return out


def bandit_findings(change: FileChange) -> list[Finding]:
    """Bandit's issues on the lines ``change`` adds to a Python file."""
    out: list[Finding] = []
    for code, added in _units(change):
        try:
            results = _run(code)
        except Exception as exc:  # bandit's visitor on odd code: a finding, never a crash
            out.append(Finding(category="obfuscation", weight=0.1, reason=f"bandit could not scan ({type(exc).__name__})"))
            continue
        for r in results:
            lines = set(getattr(r, "linerange", None) or [r.lineno])
            if not lines & added:
                continue
            weight = _SEVERITY.get(str(r.severity), 0.2) * _CONFIDENCE.get(str(r.confidence), 0.5)
            category = _CATEGORY.get(str(r.test_id)[:2], "subprocess")
            out.append(Finding(category=category, weight=round(weight, 3),  # type: ignore[arg-type]
                               reason=f"bandit {r.test_id} in {change.path}: {str(r.text)[:100]}"))
    return out
