"""The write-up stage of one idea: the model writes prose; code writes every number, table, figure, citation.

From the idea's experiment and novelty records, the untrusted model drafts the prose (structured
:class:`PaperProse`) from the idea, the results table and the change's rationale, which reach its
prompt as the ``experiments_to_writeup`` hand-off (gated, then paraphrased: :mod:`._handoff`), with
no way to place numbers in tables.
Figures are copied out of the work directory through :class:`~proctor.sandboxes.WorkDir`. Rendering it (Markdown, HTML, LaTeX with
BibTeX, a PDF when a TeX engine is present) and the claim check that flags numbers no result
supports are :mod:`proctor.paper`'s job (:func:`proctor.paper.write_paper`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from proctor.agents._context import RunContext
from proctor.agents._handoff import hand_off
from proctor.agents._text import clipped
from proctor.diffs import added_lines
from proctor.llm import get_model
from proctor.log import ErrorEvent, emit
from proctor.paper import (
    Prose,
    Reference,
    ResultsTable,
    aggregate,
    compare,
    figure_caption,
    numbers_in,
    reference_key,
    write_paper,
)
from proctor.prompts import render
from proctor.sandboxes import SandboxError, WorkDir
from proctor.settings import Settings  # noqa: TC001


class PaperProse(Prose):
    """What the model writes."""

    # The docstring is the schema's description, sent to the model: keep it short and unchanged.
    # Each section is a :class:`proctor.paper.Prose` field cut to a length.

    title: clipped(150)  # type: ignore[valid-type]
    abstract: clipped(1200)  # type: ignore[valid-type]
    introduction: clipped(2000)  # type: ignore[valid-type]
    method: clipped(2000)  # type: ignore[valid-type]
    results_discussion: clipped(2000)  # type: ignore[valid-type]
    conclusion: clipped(1000)  # type: ignore[valid-type]


async def draft_prose(idea: dict[str, Any], table: ResultsTable | str, related: list[str], settings: Settings,
                      change: str = "", writer: Any = None) -> PaperProse:
    """Ask the untrusted model for the paper's prose (``table``: the results, or their hand-off text).

    ``writer`` (the red-team harness's ``--fast``) takes the prompt instead of the model and returns the prose.
    """
    results = table if isinstance(table, str) else table.to_markdown()
    prompt = render("agents/writeup.j2", idea=idea, results_markdown=results, related=related, change=change)
    if writer is not None:
        return PaperProse.model_validate(writer(prompt))
    model = get_model("untrusted", settings)
    return await model.structured([{"role": "user", "content": prompt}], PaperProse, max_tokens=900,
                                  seed=settings.workflow.seed)


def _change_notes(experiment: dict[str, Any]) -> str:
    """The experiment agent's rationale for each change that ran, one line each."""
    return "\n".join(f"- run {a.get('step', 1)}: {a['rationale']}" for a in experiment.get("attempts", [])
                     if a.get("ok_runs") and a.get("rationale"))


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def setting_numbers(experiment: dict[str, Any]) -> dict[str, list[float]]:
    """Numbers the agent itself set, by the names they set: knob values, and the numbers on each line its
    code edit added (keyed by that line's names). The claim check lets the prose cite them only as settings."""
    out: dict[str, list[float]] = {}
    for rec in experiment.get("runs", {}).values():
        if rec.get("condition", "").startswith("baseline"):
            continue
        for name, value in (rec.get("config") or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out.setdefault(str(name), []).append(float(value))
    if experiment.get("mode") in ("code", "constants"):
        for line in added_lines(experiment.get("change") or ""):
            code = line.text.split("#", 1)[0]
            values = numbers_in(code)
            for name in set(_NAME.findall(code)) if values else ():
                out.setdefault(name, []).extend(values)
    return out


def _references(novelty: dict[str, Any], limit: int = 8) -> list[Reference]:
    refs: dict[str, Reference] = {}
    for hit in [*novelty.get("cited", []), *novelty.get("evidence", [])]:
        p = hit.get("passage", {})
        if not p.get("paper_id") or p["paper_id"] in refs:
            continue
        year = p.get("year") or "n.d."
        refs[p["paper_id"]] = Reference(key=reference_key(p.get("title", "paper"), year) + f"_{len(refs)}",
                                        title=p.get("title") or p["paper_id"], year=year,
                                        venue=p.get("venue", ""), authors=p.get("authors") or "")
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
    verdicts = "\n".join(f"- {c.dataset} {c.metric}: {c.verdict}" for c in compare(table)[:24])
    out = ctx.run.artifact_path(f"papers/{idea['Name']}")
    figures: list[dict[str, str]] = []
    for rel in experiment.get("figures", []):
        src = Path(rel)
        work = WorkDir(ctx.run.path / (experiment.get("workdir") or src.parent))
        # The untrusted file name never reaches the paper: the copy gets a harness-chosen name (the
        # figures are the work directory's *.png files) and the caption keeps [A-Za-z0-9 -] of the stem.
        name = f"figure_{len(figures) + 1}.png"
        try:  # through the trust boundary: a regular file only, bytes copied, mode bits dropped
            work.copy_file(src.name, out, name)
        except (OSError, SandboxError) as exc:
            emit(ErrorEvent(where="write_paper", message=f"figure skipped: {exc}", recoverable=True))
            continue
        figures.append({"path": name, "caption": figure_caption(src.stem, len(figures) + 1)})
    refs = _references(novelty)
    notes = _change_notes(experiment)
    handed = await hand_off(  # the experiment agent's text reaches the writer gated and paraphrased
        ctx, "experiments_to_writeup", {"Title": idea["Title"], "Experiment": idea["Experiment"],
                                        "Results": table.to_markdown() + (f"\n\nVerdicts (Welch's t-test, corrected):\n"
                                                                          f"{verdicts}" if verdicts else ""),
                                        "Change": notes},
        idea=idea["Name"], task=f"hand the results of idea {idea['Name']} to the writer", reasoning=notes)
    prose = await draft_prose({"Title": handed["Title"] or idea["Name"], "Experiment": handed["Experiment"]},
                              handed["Results"], [f"{r.title} ({r.year})" for r in refs], ctx.settings,
                              change=handed["Change"], writer=ctx.prose_writer)
    # A small model may echo the instructions or leave sections blank: say so rather than hide it.
    if not prose.title or prose.title.lower().startswith(("write the", "answer")):
        prose.title = idea["Title"]
    for field in ("abstract", "introduction", "method", "results_discussion", "conclusion"):
        if not getattr(prose, field):
            setattr(prose, field, "[The model wrote no text for this section.]")  # plain in MD and TeX
    change = experiment.get("change") or ""
    paper = write_paper(out, prose=prose, table=table, figures=figures, references=refs,
                        run_id=ctx.run.path.name, support=[], change=change,
                        integrity=experiment.get("integrity") or [], seeds_note=experiment.get("seeds_note") or "",
                        setting_numbers=setting_numbers(experiment))
    return {"status": "ok", "markdown": str(Path(paper.markdown).relative_to(ctx.run.path)),
            "pdf": paper.pdf, "unsupported_claims": [c.model_dump() for c in paper.unsupported],
            "title": prose.title, "integrity": paper.integrity,
            "verdicts": {f"{c.condition}/{c.dataset}/{c.metric}": c.verdict for c in paper.comparisons},
            "seeds": sorted({(c.baseline.n, c.idea.n) for c in paper.comparisons})}
