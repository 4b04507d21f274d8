"""Write-up: the model writes prose; code writes every number, table, figure and citation.

1. The untrusted model drafts the prose (structured :class:`PaperProse`) from the idea and the
   results table, with no way to place numbers in tables.
2. The results table, figures and references are rendered from the results files and the
   literature hits by templates (Markdown, HTML, LaTeX; BibTeX for citations).
3. The claim check flags any number in the prose that no result supports; the flags are written
   into the paper and into ``claims.json``.
4. A PDF is built when a TeX engine is present (``pdflatex -no-shell-escape``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from pydantic import BaseModel, Field

from proctor.agents._claims import UnsupportedClaim, check_claims
from proctor.agents._results import ResultsTable
from proctor.agents._text import clipped
from proctor.llm import get_model
from proctor.prompts import render
from proctor.settings import Settings  # noqa: TC001


class PaperProse(BaseModel):
    """What the model writes."""

    title: clipped(150)  # type: ignore[valid-type]
    abstract: clipped(1200)  # type: ignore[valid-type]
    introduction: clipped(2000)  # type: ignore[valid-type]
    method: clipped(2000)  # type: ignore[valid-type]
    results_discussion: clipped(2000)  # type: ignore[valid-type]
    conclusion: clipped(1000)  # type: ignore[valid-type]


class Reference(BaseModel):
    """A cited paper from the literature index."""

    key: str
    title: str
    authors: str = "Anonymous"
    year: int | str = "n.d."
    venue: str = ""
    url: str = ""


class Paper(BaseModel):
    """Paths of the written paper and its claim check."""

    markdown: str
    html: str
    tex: str
    bib: str
    pdf: str | None = None
    unsupported: list[UnsupportedClaim] = Field(default_factory=list)


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


async def draft_prose(idea: dict[str, Any], table: ResultsTable, related: list[str], settings: Settings) -> PaperProse:
    """Ask the untrusted model for the paper's prose."""
    prompt = render("agents/writeup.j2", idea=idea, results_markdown=table.to_markdown(), related=related)
    model = get_model("untrusted", settings)
    return await model.structured([{"role": "user", "content": prompt}], PaperProse, max_tokens=900,
                                  seed=settings.workflow.seed)


def write_paper(
    out_dir: Path,
    *,
    prose: PaperProse,
    table: ResultsTable,
    figures: list[dict[str, str]],
    references: list[Reference],
    run_id: str,
    support: list[float],
    change: str = "",
) -> Paper:
    """Render the paper in every format into ``out_dir`` and run the claim check.

    ``change`` is the tested change as the experiment recorded it (a unified diff of ``experiment.py``,
    or of the knob configuration against the template's defaults), printed verbatim in the Method
    section so a reader sees what ran.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    sections = {k: v for k, v in prose.model_dump().items() if k != "title"}
    unsupported = check_claims(sections, [*table.numbers(), *support])
    fence = "~~~~" if "```" in change else "```"
    md = render("paper/paper.md.j2", prose=prose, table=table.to_markdown(), figures=figures,
                references=references, run_id=run_id, unsupported=unsupported, change=change, fence=fence)
    (out_dir / "paper.md").write_text(md)
    html_body = MarkdownIt("commonmark").enable("table").render(md)
    (out_dir / "paper.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>"
        f"{prose.title}</title></head><body>{html_body}</body></html>\n")
    header, rows = ["condition / dataset / metric", "value"], []
    for cond in table.conditions:
        for ds, metrics in table.rows.get(cond, {}).items():
            for metric, cell in sorted(metrics.items()):
                rows.append([tex_escape(f"{cond} / {ds} / {metric}"), tex_escape(cell.fmt())])
    safe = PaperProse.model_construct(None, **{k: tex_escape(v) for k, v in prose.model_dump().items()})
    tex = render("paper/paper.tex.j2", prose=safe, table_rows=rows, table_header=header,
                 figures=[{"path": f["path"], "caption": tex_escape(f["caption"])} for f in figures],
                 cite_keys=[r.key for r in references],
                 change=change.replace("\\end{verbatim}", "\\end {verbatim}"))
    (out_dir / "paper.tex").write_text(tex)
    (out_dir / "references.bib").write_text(bibtex(references))
    (out_dir / "claims.json").write_text(
        "[" + ",".join(c.model_dump_json() for c in unsupported) + "]\n")
    pdf = build_pdf(out_dir)
    return Paper(markdown=str(out_dir / "paper.md"), html=str(out_dir / "paper.html"),
                 tex=str(out_dir / "paper.tex"), bib=str(out_dir / "references.bib"),
                 pdf=str(pdf) if pdf else None, unsupported=unsupported)


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
