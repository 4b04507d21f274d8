"""Markdown: the paper as ``paper.md``, every untrusted string escaped so it renders as text.

Prose, captions, reference fields and the claim check's quotes go through
:func:`proctor.paper._escape.md_escape`; the tested change sits in a fence longer than any backtick
run inside it. The HTML page is :mod:`proctor.paper._html`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from proctor.paper._escape import md_escape, md_fence
from proctor.paper._model import Prose
from proctor.paper._verdicts import COLUMNS, comparison_rows
from proctor.prompts import render

if TYPE_CHECKING:
    from proctor.paper._claims import UnsupportedClaim
    from proctor.paper._model import Reference
    from proctor.paper._results import ResultsTable


def markdown_source(
    prose: Prose,
    table: ResultsTable,
    figures: list[dict[str, str]],
    references: list[Reference],
    *,
    run_id: str,
    unsupported: list[UnsupportedClaim],
    change: str,
    stats: dict[str, Any] | None = None,
) -> str:
    """The paper in Markdown, with the claim check's flags after the conclusion.

    Args:
        prose: The sections' text.
        table: The results table (one Markdown table per dataset).
        figures: ``{"path", "caption"}`` per figure, paths relative to the paper's folder.
        references: The cited papers, listed at the end.
        run_id: The run that wrote the paper, named under the title.
        unsupported: Numbers in the prose that no result supports.
        change: The tested change, printed in a ``diff`` code fence.
        stats: ``{"comparisons", "text", "integrity"}``: the harness's statistics, their paragraphs and
            the evaluation-integrity flags (all plain text, escaped here).

    Returns:
        The Markdown document.
    """
    safe = {k: md_escape(v) for k, v in prose.model_dump().items()}
    safe["title"] = md_escape(prose.title, inline=True)
    refs = [{k: md_escape(str(getattr(r, k)), inline=True) for k in ("authors", "year", "title", "venue")}
            for r in references]
    flags = [{"number": md_escape(c.number, inline=True), "section": md_escape(c.section, inline=True),
              "context": md_escape(c.context, inline=True), "reason": c.reason} for c in unsupported]
    figs = [{"path": f["path"], "caption": md_escape(f["caption"], inline=True)} for f in figures]
    stats = stats or {}
    rows = [[md_escape(cell, inline=True) for cell in row] for row in comparison_rows(stats.get("comparisons", []))]
    return render("paper/paper.md.j2", prose=Prose.model_construct(None, **safe), table=table.to_markdown(),
                  figures=figs, references=refs, run_id=run_id, unsupported=flags, change=change,
                  fence=md_fence(change), stats_header=COLUMNS, stats_rows=rows,
                  stats_text=[md_escape(p) for p in stats.get("text", [])],
                  integrity=[md_escape(f, inline=True) for f in stats.get("integrity", [])])
