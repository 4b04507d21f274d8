"""The rendered paper: numbers come from results, flags reach the paper, TeX is escaped, the PDF builds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from proctor.paper import Prose, Reference, ResultsTable, write_paper


def test_paper_renders_every_format_and_flags(tmp_path: Path, table: ResultsTable) -> None:
    prose = Prose(title="Warmup & {braces}", abstract="We study $x$ warmup." * 2,
                  introduction="A claim of 0.42 accuracy appears here.", method="method " * 5,
                  results_discussion="The idea reaches 0.955 on digits.", conclusion="It is fine.")
    ref = Reference(key="attention2017", title="Attention Is All You Need", authors="Vaswani et al.", year=2017)
    paper = write_paper(tmp_path, prose=prose, table=table, figures=[{"path": "acc.png", "caption": "acc"}],
                        references=[ref], run_id="r1", support=[])
    assert [c.number for c in paper.unsupported] == ["0.42"]
    md = (tmp_path / "paper.md").read_text()
    assert "0.9550 ± 0.0071" in md and "Claim check" in md and "Vaswani" in md
    assert "<table>" in (tmp_path / "paper.html").read_text()
    tex = (tmp_path / "paper.tex").read_text()
    assert r"Warmup \& \{braces\}" in tex and r"\$x\$" in tex and r"\cite{attention2017}" in tex
    assert "@inproceedings{attention2017" in (tmp_path / "references.bib").read_text()
    assert [c["number"] for c in json.loads((tmp_path / "claims.json").read_text())] == ["0.42"]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX engine (apt-get install texlive-latex-recommended)")
def test_pdf_is_built_with_table_figure_change_and_citations(tmp_path: Path, table: ResultsTable) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pypdf import PdfReader

    plt.bar([0, 1], [0.93, 0.955])
    plt.savefig(tmp_path / "acc.png")
    plt.close()
    prose = Prose(title="Warmup & {braces} 100%", abstract="We study $x$ warmup_steps.",
                  introduction="Intro \\input{/etc/passwd} text.", method="We change one line.",
                  results_discussion="The idea reaches 0.955 on digits.", conclusion="Done.")
    ref = Reference(key="attention2017", title="Attention Is All You Need", authors="Vaswani et al.", year=2017)
    change = "--- a/experiment.py\n+++ b/experiment.py\n@@ -1 +1 @@\n-LR = 0.1\n+LR = 0.2  # \\end{verbatim} $%&\n"
    paper = write_paper(tmp_path, prose=prose, table=table, figures=[{"path": "acc.png", "caption": "acc_plot"}],
                        references=[ref], run_id="r1", support=[], change=change)
    assert paper.pdf is not None, (tmp_path / "paper.log").read_text()[-2000:]
    reader = PdfReader(paper.pdf)
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Warmup & {braces} 100%" in text and "0.9550" in text and "LR = 0.2" in text
    assert "attention is all you need" in text.lower()  # the bibliography went through bibtex
    assert "passwd" in text  # printed as text, never \input
    assert any("/XObject" in str(page.get("/Resources", {})) for page in reader.pages)  # the figure
