"""Markdown and HTML: the paper as ``paper.md``, and that Markdown rendered to one HTML page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from markdown_it import MarkdownIt

from proctor.prompts import render

if TYPE_CHECKING:
    from proctor.paper._claims import UnsupportedClaim
    from proctor.paper._model import Prose, Reference
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
    fence = "~~~~" if "```" in change else "```"
    return render("paper/paper.md.j2", prose=prose, table=table.to_markdown(), figures=figures,
                  references=references, run_id=run_id, unsupported=unsupported, change=change, fence=fence)


def html_page(markdown: str, title: str) -> str:
    """One HTML page from the paper's Markdown (CommonMark with tables)."""
    html_body = MarkdownIt("commonmark").enable("table").render(markdown)
    return ("<!doctype html><html><head><meta charset='utf-8'><title>"
            f"{title}</title></head><body>{html_body}</body></html>\n")
