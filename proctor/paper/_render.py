"""The paper in every format: Markdown, HTML, LaTeX + BibTeX, and a PDF when a TeX engine exists.

Every number in a table comes from the results table; the claim check flags any number in the
prose that no result supports, and the flags go into the paper and into ``claims.json``. All text
is untrusted and escaped for each format; figure files must carry harness-chosen plain names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from proctor.paper._claims import check_claims
from proctor.paper._escape import is_figure_name
from proctor.paper._html import html_page
from proctor.paper._latex import bibtex, latex_source
from proctor.paper._markdown import markdown_source
from proctor.paper._model import Paper
from proctor.paper._pdf import build_pdf

if TYPE_CHECKING:
    from pathlib import Path

    from proctor.paper._model import Prose, Reference
    from proctor.paper._results import ResultsTable


def write_paper(
    out_dir: Path,
    *,
    prose: Prose,
    table: ResultsTable,
    figures: list[dict[str, str]],
    references: list[Reference],
    run_id: str,
    support: list[float],
    change: str = "",
) -> Paper:
    """Render the paper in every format into ``out_dir`` and run the claim check.

    Writes ``paper.md``, ``paper.html``, ``paper.tex``, ``references.bib``, ``claims.json`` and,
    when pdflatex is installed, ``paper.pdf``.

    Args:
        out_dir: The paper's folder (created if missing); figure paths are relative to it.
        prose: The sections' text (the title is not claim-checked).
        table: The results table every reported number comes from.
        figures: ``{"path", "caption"}`` per figure; ``path`` a plain name the harness chose (such
            as ``figure_1.png``), ``caption`` any text (escaped).
        references: The cited papers.
        run_id: The run that wrote the paper.
        support: Further numbers the prose may cite (e.g. the run's knob values).
        change: The tested change as the experiment recorded it (a unified diff of
            ``experiment.py``, or of the knob configuration against the template's defaults),
            printed verbatim in the Method section so a reader sees what ran.

    Returns:
        The written files' paths and the unsupported claims.

    Raises:
        ValueError: for a figure path that is not a plain file name like ``figure_1.png``.
    """
    bad = [f["path"] for f in figures if not is_figure_name(f["path"])]
    if bad:
        raise ValueError(f"{len(bad)} figure path(s) are not plain names like figure_1.png")
    out_dir.mkdir(parents=True, exist_ok=True)
    sections = {k: v for k, v in prose.model_dump().items() if k != "title"}
    unsupported = check_claims(sections, [*table.numbers(), *support])
    md = markdown_source(prose, table, figures, references, run_id=run_id, unsupported=unsupported, change=change)
    (out_dir / "paper.md").write_text(md)
    (out_dir / "paper.html").write_text(html_page(md, prose.title))
    (out_dir / "paper.tex").write_text(latex_source(prose, table, figures, references, change))
    (out_dir / "references.bib").write_text(bibtex(references))
    (out_dir / "claims.json").write_text(
        "[" + ",".join(c.model_dump_json() for c in unsupported) + "]\n")
    pdf = build_pdf(out_dir)
    return Paper(markdown=str(out_dir / "paper.md"), html=str(out_dir / "paper.html"),
                 tex=str(out_dir / "paper.tex"), bib=str(out_dir / "references.bib"),
                 pdf=str(pdf) if pdf else None, unsupported=unsupported)
