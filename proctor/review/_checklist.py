"""The evidence checklist: what a paper's own files say about its evidence, computed by code.

Scored beside the model's review form, so a review says something on any model: how many seeds
each side ran, whether every comparison has an interval and a test, what the verdicts are, whether
the idea changed how results are measured, which numbers in the prose no result supports, which
sections the model left empty, and what the novelty check found. Each item is ``pass``, ``warn``
or ``fail`` with a one-line detail; the score is the share of items passed (warnings count half).

Inputs are the files :func:`proctor.paper.write_paper` leaves in the paper's folder
(``statistics.json``, ``claims.json``, ``paper.md``) and, when the workflow has one, the idea's
novelty record and integrity flags. Everything read here is data written by the harness.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

Status = Literal["pass", "warn", "fail"]
EMPTY_MARK = "The model wrote no text for this section"
_SECTION = re.compile(r"^## (?:\d+ )?(.+)$", re.M)


class CheckItem(BaseModel):
    """One line of the checklist."""

    check: str
    status: Status
    detail: str


class Checklist(BaseModel):
    """The checklist and its score (1.0: every item passed)."""

    items: list[CheckItem] = Field(default_factory=list)

    @property
    def score(self) -> float:
        """Passed items count 1, warnings 0.5, failures 0; over the number of items."""
        if not self.items:
            return 0.0
        weight = {"pass": 1.0, "warn": 0.5, "fail": 0.0}
        return sum(weight[i.status] for i in self.items) / len(self.items)

    def weaknesses(self) -> list[str]:
        """The failed and warned items' details: the paper's weaknesses as its evidence shows them."""
        return [i.detail for i in self.items if i.status != "pass"]

    def to_markdown(self) -> str:
        """A table, under a heading that says code computed it."""
        mark = {"pass": "pass", "warn": "WARN", "fail": "FAIL"}
        lines = ["## Evidence checklist (computed by code from the paper's files)", "",
                 f"Score {self.score:.2f} ({sum(i.status == 'pass' for i in self.items)} of {len(self.items)} "
                 "passed)", "", "| Check | Status | Detail |", "|---|---|---|"]
        for i in self.items:
            lines.append(f"| {i.check} | {mark[i.status]} | {_cell(i.detail)} |")
        return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "/").split())[:400]


def _seeds(stats: list[dict[str, Any]]) -> CheckItem:
    if not stats:
        return CheckItem(check="seeds", status="fail", detail="no comparison of the idea with the baseline")
    low = min(min(s["baseline"]["n"], s["idea"]["n"]) for s in stats)
    detail = f"at least {low} value(s) per side in every comparison"
    if low >= 3:
        return CheckItem(check="seeds", status="pass", detail=detail)
    return CheckItem(check="seeds", status="warn" if low == 2 else "fail",
                     detail=detail + "; three seeds per side are the least for an interval worth reading")


def _tests(stats: list[dict[str, Any]]) -> list[CheckItem]:
    if not stats:
        return []
    untested = [s for s in stats if s.get("verdict") == "not tested"]
    tests = CheckItem(check="intervals and tests", status="pass" if not untested else "fail",
                      detail=f"{len(stats) - len(untested)} of {len(stats)} comparison(s) have a 95% interval and "
                             "a corrected test" + (f"; not tested: {untested[0].get('note', '')}" if untested else ""))
    counts = {v: sum(s.get("verdict") == v for s in stats)
              for v in ("better", "worse", "higher", "lower", "no detectable difference")}
    gained = counts["better"] + counts["higher"] + counts["lower"]
    detail = ", ".join(f"{n} {v}" for v, n in counts.items() if n) or "none tested"
    status: Status = "pass" if counts["better"] and not counts["worse"] else "warn" if gained else "fail"
    if status == "fail" and stats and not untested:
        detail += "; the results show no detectable effect of the idea"
    return [tests, CheckItem(check="verdicts", status=status, detail=detail)]


def _integrity(flags: list[str]) -> CheckItem:
    if not flags:
        return CheckItem(check="evaluation integrity", status="pass",
                         detail="no change to splits, metrics or evaluation data was detected")
    same = any("baseline was measured with the same evaluation settings" in f for f in flags)
    return CheckItem(check="evaluation integrity", status="warn" if same else "fail",
                     detail=f"{len(flags)} flag(s): {flags[0]}" + ("" if same else
                             "; no baseline was measured the same way, so the comparison is not like for like"))


def _claims(claims: list[dict[str, Any]]) -> CheckItem:
    if not claims:
        return CheckItem(check="claims", status="pass", detail="every number in the prose matches a result")
    shown = "; ".join(f"{c.get('number')} in {c.get('section')} ({c.get('reason', 'no result supports it')})"
                      for c in claims[:4])
    return CheckItem(check="claims", status="fail", detail=f"{len(claims)} unsupported number(s): {shown}")


def _empty_sections(markdown: str) -> CheckItem:
    empty = []
    for match in _SECTION.finditer(markdown):
        body = markdown[match.end():].split("\n## ", 1)[0]
        if EMPTY_MARK in body and not body.replace(EMPTY_MARK, "").strip(" \n\\[].()"):
            empty.append(match.group(1).strip())
    if "### 3.2 Discussion" in markdown and EMPTY_MARK in markdown.split("### 3.2 Discussion", 1)[1].split("##", 1)[0]:
        empty.append("Discussion")
    if not empty:
        return CheckItem(check="sections", status="pass", detail="the model wrote every section")
    return CheckItem(check="sections", status="fail" if len(empty) > 2 else "warn",
                     detail=f"the model wrote nothing for: {', '.join(empty)}")


def _novelty(novelty: dict[str, Any] | None) -> CheckItem:
    if not novelty:
        return CheckItem(check="novelty", status="warn", detail="no novelty check recorded for this paper")
    status = str(novelty.get("status", ""))
    if status != "checked":
        return CheckItem(check="novelty", status="warn", detail=f"novelty check {status or 'missing'}: "
                         + str(novelty.get("reason", ""))[:200])
    signal = novelty.get("signal") or {}
    top = signal.get("max_similarity")
    cited = len(novelty.get("cited") or [])
    near = f"; nearest passage similarity {top:.2f}" if isinstance(top, int | float) else ""
    known = bool(signal.get("likely_known") or signal.get("is_duplicate"))
    return CheckItem(check="novelty", status="warn" if known or not cited else "pass",
                     detail=f"checked against the literature, {cited} passage(s) cited{near}"
                            + ("; likely known: a passage is above the similarity threshold, or an earlier idea "
                               "is a near-duplicate" if known else ""))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def evidence_checklist(paper_dir: Path, *, integrity: list[str] | None = None,
                       novelty: dict[str, Any] | None = None) -> Checklist:
    """The checklist of the paper in ``paper_dir`` (its ``statistics.json``, ``claims.json``, ``paper.md``).

    A paper folder without the harness's files (a paper from elsewhere) gets the items it can:
    missing statistics fail the seed and test checks rather than pass them.
    """
    stats = _read_json(paper_dir / "statistics.json")
    claims = _read_json(paper_dir / "claims.json")
    stats = stats if isinstance(stats, list) else []
    claims = claims if isinstance(claims, list) else []
    try:
        markdown = (paper_dir / "paper.md").read_text()
    except OSError:
        markdown = ""
    items = [_seeds(stats), *_tests(stats), _integrity(list(integrity or [])), _claims(claims)]
    if markdown:
        items.append(_empty_sections(markdown))
    items.append(_novelty(novelty))
    return Checklist(items=items)
