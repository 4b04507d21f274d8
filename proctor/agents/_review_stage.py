"""The review stage of one idea: the ``reviewer`` role reviews the idea's paper (see :mod:`proctor.review`)."""

from __future__ import annotations

from typing import Any

from proctor.agents._context import RunContext


async def review_idea_paper(ctx: RunContext, idea: dict[str, Any], paper: dict[str, Any]) -> dict[str, Any]:
    """Review the idea's paper with the ``reviewer`` role into ``papers/<idea>/review.{json,md}``."""
    if paper.get("status") != "ok":
        return {"status": "skipped", "reason": "no paper to review"}
    from proctor.review import review_paper

    path = ctx.run.path / paper["markdown"]
    result = await review_paper(path.read_text(), ctx.settings, out_dir=path.parent)
    final = result.final if hasattr(result, "final") else result
    data = final.model_dump() if hasattr(final, "model_dump") else dict(final)
    return {"status": "ok", "overall": data.get("Overall"), "decision": data.get("Decision"),
            "review": data}
