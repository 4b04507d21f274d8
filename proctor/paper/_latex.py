"""LaTeX: escaping, the ``.tex`` source, BibTeX entries and the PDF build.

Every piece of model text goes through :func:`tex_escape`, so prose can never inject macros; the
tested change is printed in a ``verbatim`` block it cannot close. The PDF is built with
``pdflatex -no-shell-escape`` (and ``bibtex`` when there are references) when a TeX engine exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import TYPE_CHECKING

from proctor.paper._model import Prose
from proctor.prompts import render

if TYPE_CHECKING:
    from pathlib import Path

    from proctor.paper._model import Reference
    from proctor.paper._results import ResultsTable

_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def tex_escape(text: str) -> str:
    """Escape text for LaTeX so model prose can never inject macros."""
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in text)


def bibtex(refs: list[Reference]) -> str:
    """BibTeX entries for ``refs``."""
    entries = []
    for r in refs:
        fields = {"title": r.title, "author": r.authors, "year": str(r.year), "booktitle": r.venue, "url": r.url}
        body = ",\n".join(f"  {k} = {{{tex_escape(v)}}}" for k, v in fields.items() if v)
        entries.append(f"@inproceedings{{{r.key},\n{body}\n}}")
    return "\n\n".join(entries) + "\n"


def reference_key(title: str, year: int | str) -> str:
    """A BibTeX key from the first title word and the year."""
    word = re.sub(r"[^a-z0-9]", "", (title.split() or ["paper"])[0].lower()) or "paper"
    return f"{word}{year}"


def latex_source(
    prose: Prose,
    table: ResultsTable,
    figures: list[dict[str, str]],
    references: list[Reference],
    change: str,
) -> str:
    """The paper's ``.tex`` source, every piece of text escaped.

    Args:
        prose: The sections' text, as written (escaped here).
        table: The results table, one row per (condition, dataset, metric).
        figures: ``{"path", "caption"}`` per figure, paths relative to the paper's folder.
        references: The cited papers (their keys go into ``\\cite``).
        change: The tested change, printed verbatim.

    Returns:
        The LaTeX document.
    """
    header, rows = ["condition / dataset / metric", "value"], []
    for cond in table.conditions:
        for ds, metrics in table.rows.get(cond, {}).items():
            for metric, cell in sorted(metrics.items()):
                rows.append([tex_escape(f"{cond} / {ds} / {metric}"), tex_escape(cell.fmt())])
    safe = Prose.model_construct(None, **{k: tex_escape(v) for k, v in prose.model_dump().items()})
    return render("paper/paper.tex.j2", prose=safe, table_rows=rows, table_header=header,
                  figures=[{"path": f["path"], "caption": tex_escape(f["caption"])} for f in figures],
                  cite_keys=[r.key for r in references],
                  change=change.replace("\\end{verbatim}", "\\end {verbatim}"))


def build_pdf(out_dir: Path) -> Path | None:
    """``paper.pdf`` via pdflatex (+bibtex) when installed; ``None`` otherwise or on failure."""
    engine = shutil.which("pdflatex")
    if engine is None:
        return None
    cmd = [engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"]
    try:
        for step in (cmd, ["bibtex", "paper"], cmd, cmd):
            if step[0] == "bibtex" and (shutil.which("bibtex") is None or not (out_dir / "references.bib").stat().st_size):
                continue
            subprocess.run(step, cwd=out_dir, capture_output=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    pdf = out_dir / "paper.pdf"
    return pdf if pdf.exists() else None
