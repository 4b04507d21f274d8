"""Markdown: the paper as ``paper.md``, every untrusted string escaped so it renders as text.

Prose, captions, reference fields and the claim check's quotes go through
:func:`proctor.paper._escape.md_escape`; the tested change sits in a fence longer than any backtick
run inside it. The HTML page is :mod:`proctor.paper._html`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proctor.paper._escape import md_escape, md_fence
from proctor.paper._model import Prose
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

    Returns:
        The Markdown document.
    """
    safe = {k: md_escape(v) for k, v in prose.model_dump().items()}
    safe["title"] = md_escape(prose.title, inline=True)
    refs = [{k: md_escape(str(getattr(r, k)), inline=True) for k in ("authors", "year", "title", "venue")}
            for r in references]
    flags = [{"number": md_escape(c.number, inline=True), "section": md_escape(c.section, inline=True),
              "context": md_escape(c.context, inline=True)} for c in unsupported]
    figs = [{"path": f["path"], "caption": md_escape(f["caption"], inline=True)} for f in figures]
    return render("paper/paper.md.j2", prose=Prose.model_construct(None, **safe), table=table.to_markdown(),
                  figures=figs, references=refs, run_id=run_id, unsupported=flags, change=change,
                  fence=md_fence(change))
