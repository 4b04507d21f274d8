"""LaTeX: the ``.tex`` source and BibTeX entries.

Every piece of untrusted text (prose, dataset, metric and condition names, captions, reference
fields) goes through :mod:`proctor.paper._escape`, so it can never inject macros; the tested change
is printed in a ``verbatim`` block it cannot close; figure file names and citation keys are
harness-chosen plain names. The PDF build is :func:`proctor.paper.build_pdf`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from proctor.paper._escape import bib_escape, cite_key, tex_escape, tex_line, verbatim_text
from proctor.paper._model import Prose
from proctor.paper._verdicts import COLUMNS, comparison_rows
from proctor.prompts import render

if TYPE_CHECKING:
    from proctor.paper._model import Reference
    from proctor.paper._results import ResultsTable


def bibtex(refs: list[Reference]) -> str:
    """BibTeX entries for ``refs`` (keys reduced to safe characters, every field escaped)."""
    entries = []
    for r in refs:
        fields = {"title": r.title, "author": r.authors, "year": str(r.year), "booktitle": r.venue, "url": r.url}
        body = ",\n".join(f"  {k} = {{{bib_escape(v)}}}" for k, v in fields.items() if v)
        entries.append(f"@inproceedings{{{cite_key(r.key)},\n{body}\n}}")
    return "\n\n".join(entries) + "\n"


def reference_key(title: str, year: int | str) -> str:
    """A BibTeX key from the first title word and the year (both reduced to ``[a-z0-9.]``)."""
    word = re.sub(r"[^a-z0-9]", "", (title.split() or ["paper"])[0].lower()) or "paper"
    return f"{word}{re.sub(r'[^a-z0-9.]', '', str(year).lower())}"


def latex_source(
    prose: Prose,
    table: ResultsTable,
    figures: list[dict[str, str]],
    references: list[Reference],
    change: str,
    stats: dict[str, Any] | None = None,
) -> str:
    """The paper's ``.tex`` source, every piece of text escaped.

    Args:
        prose: The sections' text, as written (escaped here).
        table: The results table: one table per dataset, a row per metric and a column per condition
            (the Markdown's tables, transposed to fit a page).
        figures: ``{"path", "caption"}`` per figure, paths plain harness-chosen names (checked by
            :func:`proctor.paper.write_paper`) relative to the paper's folder.
        references: The cited papers (their keys go into ``\\cite``).
        change: The tested change, printed verbatim.
        stats: ``{"comparisons", "text", "integrity"}`` as for the Markdown (escaped here).

    Returns:
        The LaTeX document.
    """
    tables = []
    for ds in table.datasets():
        rows = [[tex_line(metric)] + [tex_line(cell.fmt()) if (cell := table.rows.get(c, {}).get(ds, {}).get(metric))
                                      else "--" for c in table.conditions]
                for metric in table.metrics(ds)]
        tables.append({"dataset": tex_line(ds), "header": ["metric"] + [tex_line(c) for c in table.conditions],
                       "rows": rows})
    stats = stats or {}
    safe = {k: tex_escape(v) for k, v in prose.model_dump().items()}
    safe["title"] = tex_line(prose.title)
    return render("paper/paper.tex.j2", prose=Prose.model_construct(None, **safe), tables=tables,
                  figures=[{"path": f["path"], "caption": tex_line(f["caption"])} for f in figures],
                  cite_keys=[cite_key(r.key) for r in references], change=verbatim_text(change),
                  stats_header=[tex_line(c) for c in COLUMNS],
                  stats_rows=[[tex_line(cell) for cell in row] for row in comparison_rows(stats.get("comparisons", []))],
                  stats_text=[tex_escape(p) for p in stats.get("text", [])],
                  integrity=[tex_line(f) for f in stats.get("integrity", [])])
