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
from proctor.paper._stats import compare
from proctor.paper._verdicts import statistics_text, summary_sentence

if TYPE_CHECKING:
    from pathlib import Path

    from proctor.paper._model import Prose, Reference
    from proctor.paper._results import ResultsTable
    from proctor.paper._stats import Comparison


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
    integrity: list[str] | None = None,
    seeds_note: str = "",
    setting_numbers: dict[str, list[float]] | None = None,
) -> Paper:
    """Render the paper in every format into ``out_dir`` and run the claim check.

    Writes ``paper.md``, ``paper.html``, ``paper.tex``, ``references.bib``, ``claims.json``,
    ``statistics.json`` and, when pdflatex is installed, ``paper.pdf``.

    Args:
        out_dir: The paper's folder (created if missing); figure paths are relative to it.
        prose: The sections' text (the title is claim-checked like the sections).
        table: The results table every reported number comes from.
        figures: ``{"path", "caption"}`` per figure; ``path`` a plain name the harness chose (such
            as ``figure_1.png``), ``caption`` any text (escaped).
        references: The cited papers.
        run_id: The run that wrote the paper.
        support: Further results the prose may cite.
        change: The tested change as the experiment recorded it (a unified diff of
            ``experiment.py``, or of the knob configuration against the template's defaults),
            printed verbatim in the Method section so a reader sees what ran.
        integrity: Evaluation-integrity flags (plain text: a change to how results are measured),
            printed in the Results section before any number.
        seeds_note: Why fewer seeds ran than asked, if they did (plain text).
        setting_numbers: Numbers the agent itself wrote (knob values, constants in its edit) by the
            names they set: not results; the prose may cite one only beside one of its names.

    The Results section opens with the harness's statistics (:func:`proctor.paper.compare`: each idea
    condition against the baseline, intervals, effect sizes, corrected tests and verdicts) and their
    text, written here deterministically and marked as such; the model's discussion follows it.

    Returns:
        The written files' paths and the unsupported claims.

    Raises:
        ValueError: for a figure path that is not a plain file name like ``figure_1.png``.
    """
    bad = [f["path"] for f in figures if not is_figure_name(f["path"])]
    if bad:
        raise ValueError(f"{len(bad)} figure path(s) are not plain names like figure_1.png")
    out_dir.mkdir(parents=True, exist_ok=True)
    comparisons: list[Comparison] = compare(table)
    if prose.abstract.startswith("[The model wrote no text") and comparisons:
        prose = prose.model_copy(update={"abstract": summary_sentence(comparisons)})
    sections = prose.model_dump() | {f"caption {i + 1}": f["caption"] for i, f in enumerate(figures)}
    results = [*table.numbers(), *support, *(x for c in comparisons for x in c.numbers())]
    unsupported = check_claims(sections, results, settings=setting_numbers or {})
    stats = {"comparisons": comparisons, "text": statistics_text(comparisons, seeds_note),
             "integrity": list(integrity or [])}
    md = markdown_source(prose, table, figures, references, run_id=run_id, unsupported=unsupported, change=change,
                         stats=stats)
    (out_dir / "paper.md").write_text(md)
    (out_dir / "paper.html").write_text(html_page(md, prose.title))
    (out_dir / "paper.tex").write_text(latex_source(prose, table, figures, references, change, stats=stats))
    (out_dir / "statistics.json").write_text(
        "[" + ",".join(c.model_dump_json() for c in comparisons) + "]\n")
    (out_dir / "references.bib").write_text(bibtex(references))
    (out_dir / "claims.json").write_text(
        "[" + ",".join(c.model_dump_json() for c in unsupported) + "]\n")
    pdf = build_pdf(out_dir)
    return Paper(markdown=str(out_dir / "paper.md"), html=str(out_dir / "paper.html"),
                 tex=str(out_dir / "paper.tex"), bib=str(out_dir / "references.bib"),
                 pdf=str(pdf) if pdf else None, unsupported=unsupported, comparisons=comparisons,
                 integrity=list(integrity or []))
