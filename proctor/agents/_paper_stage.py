"""The write-up and review stages of one idea, from its experiment and novelty records."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from proctor.agents._claims import numbers_in
from proctor.agents._context import RunContext
from proctor.agents._results import aggregate
from proctor.agents._writeup import Reference, draft_prose, reference_key, write_paper


def _references(novelty: dict[str, Any], limit: int = 8) -> list[Reference]:
    refs: dict[str, Reference] = {}
    for hit in [*novelty.get("cited", []), *novelty.get("evidence", [])]:
        p = hit.get("passage", {})
        if not p.get("paper_id") or p["paper_id"] in refs:
            continue
        year = p.get("year") or "n.d."
        refs[p["paper_id"]] = Reference(key=reference_key(p.get("title", "paper"), year) + f"_{len(refs)}",
                                        title=p.get("title") or p["paper_id"], year=year,
                                        venue=p.get("venue", ""), authors=p.get("authors", "") or "Anonymous")
    return list(refs.values())[:limit]


async def write_idea_paper(ctx: RunContext, idea: dict[str, Any], experiment: dict[str, Any],
                           novelty: dict[str, Any]) -> dict[str, Any]:
    """Write the idea's paper (Markdown, HTML, LaTeX, PDF when TeX exists) into ``papers/<idea>/``."""
    if experiment.get("status") != "ok":
        return {"status": "skipped", "reason": "no successful experiment to write about"}
    runs = experiment["runs"]
    conditions: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = {}
    for run_name, rec in sorted(runs.items()):
        conditions.setdefault(rec["condition"], {"runs": []})["runs"].append((run_name, rec["final_info"]))
    table = aggregate(conditions)
    out = ctx.run.artifact_path(f"papers/{idea['Name']}")
    figures = []
    for rel in experiment.get("figures", []):
        src = ctx.run.path / rel
        if src.exists():
            out.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, out / src.name)
            figures.append({"path": src.name, "caption": src.stem.replace("_", " ")})
    refs = _references(novelty)
    prose = await draft_prose(idea, table, [f"{r.title} ({r.year})" for r in refs], ctx.settings)
    # A small model may echo the instructions or leave sections blank: say so rather than hide it.
    if not prose.title or prose.title.lower().startswith(("write the", "answer")):
        prose.title = idea["Title"]
    for field in ("abstract", "introduction", "method", "results_discussion", "conclusion"):
        if not getattr(prose, field):
            setattr(prose, field, "[The model wrote no text for this section.]")  # plain in MD and TeX
    support = [float(v) for rec in runs.values() for v in (rec.get("config") or {}).values()
               if isinstance(v, (int, float)) and not isinstance(v, bool)]
    change = experiment.get("change") or ""
    if experiment.get("mode") in ("code", "constants"):  # numbers the edit wrote into the code count
        added = "\n".join(ln[1:] for ln in change.splitlines() if ln.startswith("+") and not ln.startswith("+++"))
        support += numbers_in(added)
    paper = write_paper(out, prose=prose, table=table, figures=figures, references=refs,
                        run_id=ctx.run.path.name, support=support, change=change)
    return {"status": "ok", "markdown": str(Path(paper.markdown).relative_to(ctx.run.path)),
            "pdf": paper.pdf, "unsupported_claims": [c.model_dump() for c in paper.unsupported],
            "title": prose.title}


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
