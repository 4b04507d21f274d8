"""The review stage of one idea: the ``reviewer`` role reviews the idea's paper (see :mod:`proctor.review`).

The paper reaches the reviewer as the ``writeup_to_review`` hand-off: gated, then paraphrased
(:mod:`._handoff`), so the reviewer reads the paraphrased text, not the file as the writer left it.
Beside the model's form, the evidence checklist is computed by code from the paper's files, the
idea's integrity flags and its novelty record (:func:`proctor.review.evidence_checklist`).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from proctor.agents._context import RunContext
from proctor.agents._handoff import hand_off


async def review_idea_paper(ctx: RunContext, idea: dict[str, Any], paper: dict[str, Any]) -> dict[str, Any]:
    """Review the idea's paper with the ``reviewer`` role into ``papers/<idea>/review.{json,md}``."""
    if paper.get("status") != "ok":
        return {"status": "skipped", "reason": "no paper to review"}
    from proctor.review import evidence_checklist, review_paper

    path = ctx.run.path / paper["markdown"]
    novelty = None
    with contextlib.suppress(OSError, ValueError):
        novelty = json.loads((ctx.run.path / "novelty" / f"{idea['Name']}.json").read_text())
    checklist = evidence_checklist(path.parent, integrity=paper.get("integrity") or [], novelty=novelty)
    handed = await hand_off(ctx, "writeup_to_review", {"Paper": path.read_text()}, idea=idea["Name"],
                            task=f"hand the paper of idea {idea['Name']} to the reviewer")
    result = await review_paper(handed["Paper"], ctx.settings, out_dir=path.parent, checklist=checklist)
    final = result.final if hasattr(result, "final") else result
    data = final.model_dump() if hasattr(final, "model_dump") else dict(final)
    return {"status": "ok", "overall": data.get("Overall"), "decision": data.get("Decision"),
            "review": data, "checklist_score": round(checklist.score, 4),
            "checklist_weaknesses": checklist.weaknesses(), "missing": list(getattr(result, "missing", []))}
