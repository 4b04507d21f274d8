"""Hostile input never becomes live syntax: HTML, Markdown, TeX, BibTeX, and a confined TeX engine.

Everything here plays the untrusted side: dataset and metric names from ``final_info.json``, the
model's prose, reference fields, figure names. The host must print it as text in every format.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from proctor.paper import (
    Prose,
    Reference,
    aggregate,
    bibtex,
    build_pdf,
    figure_caption,
    tex_escape,
    write_paper,
)

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX engine")

XSS_DATASET = "<script>alert(1)</script>"
XSS_PROSE = "Look: <img src=x onerror=alert(1)> and [x](javascript:alert(1)) and <a href='vbscript:x'>v</a>."
XSS_MORE = ("![t](data:image/png;base64,AAAA) ![u](https://tracker.example/p.png) [d](DATA:text/html,hi) "
            "<javascript:alert(3)> [ok](https://example.org/a) `code <b onclick=y>`\n\n```\n<script>z</script>\n```")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def _tags(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


def _hostile_table() -> Any:
    return aggregate({"baseline": {"runs": [("run_0", {XSS_DATASET: {"means": {"acc|x": 0.5, "<b>m</b>": 0.25}}})]},
                      "idea": {"runs": [("run_1", {XSS_DATASET: {"means": {"acc|x": 0.75}}})]}})


def _write_figure(path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.bar([0, 1], [0.5, 0.75])
    plt.savefig(path)
    plt.close()


def test_html_has_no_live_markup_or_dangerous_urls(tmp_path: Path) -> None:
    prose = Prose(title="</title><script>alert(2)</script>", abstract=XSS_PROSE, introduction=XSS_MORE,
                  method="# Fake heading\n    indented\n> quote\n1. list", results_discussion="r",
                  conclusion="c <!-- hide the claim check")
    ref = Reference(key="k}\\input{x}", title="<svg onload=alert(4)>", authors="[a](javascript:b)", year="20<i>")
    write_paper(tmp_path, prose=prose, table=_hostile_table(), references=[ref], run_id="r1", support=[],
                figures=[{"path": "figure_1.png", "caption": "<img src=y onerror=alert(5)>"}],
                change="```\n<script>diff</script>\n~~~~\n````\n")
    html = (tmp_path / "paper.html").read_text()
    lower = html.lower()
    for needle in ("<script", "onerror=", "onload=", "onclick=", "javascript:", "vbscript:", "data:", "<svg",
                   "<!--"):
        assert needle not in lower, needle
    tags = _tags(html)
    assert {t for t, _ in tags} <= {"html", "head", "meta", "title", "body", "h1", "h2", "h3", "p", "ul", "em", "strong",
                                    "code", "pre", "table", "thead", "tbody", "tr", "th", "td", "img", "ol",
                                    "li", "blockquote", "a"}
    for tag, attrs in tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        if tag == "img":
            assert attrs["src"] == "figure_1.png"  # the figure still shows; nothing else loads (no tracker)
        if tag == "a":
            assert attrs["href"] == "https://example.org/a" or ":" not in attrs["href"], attrs
    assert [a for t, a in tags if t == "img"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the dataset name is shown, as text
    assert "<h1>" in html and html.count("<h1>") == 1  # the prose's "# Fake heading" is no heading
    # The Markdown alone is safe too, even under a renderer that lets raw HTML through.
    md = (tmp_path / "paper.md").read_text()
    assert "![" in md and "](figure_1.png)" in md
    raw = MarkdownIt("commonmark", {"html": True}).enable("table").render(md).lower()
    for needle in ("<script", "<img src=x", "<img src=y", "<svg", "<a href=\"javascript", "<!--"):
        assert needle not in raw, needle
    assert "| idea | – | 0.7500 |" in md and "<th>acc|x</th>" in html  # the name's pipe adds no column


def test_tex_escapes_every_untrusted_string(tmp_path: Path) -> None:
    evil = "x}\\input{/etc/passwd}\\def\\a{b}$^^5c^^M%#&~_\n\n\u00e9\u2264\u03b1\U0001F600\x0c\x00"
    prose = Prose(title=evil, abstract=evil, introduction=evil, method=evil, results_discussion=evil, conclusion=evil)
    table = aggregate({"baseline": {"runs": [("run_0", {evil: {"means": {evil: 0.5}}})]}})
    ref = Reference(key="k}\\input{/etc/passwd}", title=evil, authors="A } B", year="2017}\\input{x",
                    venue="{{", url="}}")
    write_paper(tmp_path, prose=prose, table=table, references=[ref], run_id="r1", support=[],
                figures=[{"path": "figure_1.png", "caption": evil}],
                change="+x = 1  \\end{verbatim}\\input{/etc/passwd}\\begin{verbatim}\n\\end{verbatim} \xe9\x0c\n")
    tex = (tmp_path / "paper.tex").read_text()
    assert tex.isascii() and "\x0c" not in tex and "\x00" not in tex
    head, body = tex.split("\\begin{verbatim}", 1)
    assert body.count("\\end{verbatim}") == 1  # only the template's own end: the change cannot close it
    outside = head + body.split("\\end{verbatim}")[1]  # the verbatim body is inert text
    assert "\\input" not in outside.replace("\\textbackslash{}input", "")
    assert "\\def" not in outside.replace("\\textbackslash{}def", "")
    assert "^^" not in outside
    assert "\\cite{kinputetcpasswd}" in tex
    bib = (tmp_path / "references.bib").read_text()
    assert "@inproceedings{kinputetcpasswd," in bib
    for line in bib.splitlines()[1:-1]:  # every field's braces balance, so none closes early
        depth = 0
        for ch in line:
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, line
        assert depth == 0, line


def test_tex_escape_prints_symbols_in_ascii() -> None:
    assert tex_escape("a ± b ≤ c, café, 😀") == r"a \ensuremath{\pm} b \ensuremath{\leq} c, cafe, ?"
    assert tex_escape("＼input｛") == r"\textbackslash{}input\{"  # a fullwidth backslash is no backslash
    assert "\\textbraceleft{}" in bibtex([Reference(key="k", title="a { b")])
    assert figure_caption("x}\\input{/etc/passwd}", 3) == "x input etc passwd"
    assert figure_caption("}}{{", 3) == "Figure 3"


@needs_tex
def test_pdf_prints_injection_attempts_as_text_and_reads_no_host_file(tmp_path: Path) -> None:
    from pypdf import PdfReader

    from proctor.sandboxes import WorkDir

    canary = tmp_path / "canary.txt"
    token = f"CANARY-{secrets.token_hex(8)}"
    canary.write_text(token + "\n")
    work, out = tmp_path / "work", tmp_path / "paper"
    work.mkdir()
    out.mkdir()
    evil_name = "x}\\input{..}\\input{passwd}$^.png"  # a file name cannot hold "/", so not "/etc/passwd"
    _write_figure(work / evil_name)
    WorkDir(work).copy_file(evil_name, out, "figure_1.png")  # as write_idea_paper copies it
    tricks = (f"\\input{{{canary}}} \\input{{/etc/hostname}} \\newread\\r \\openin\\r={canary} "
              "\\read\\r to\\x \\x \\catcode`\\@=0 @input{/etc/passwd} ^^5cinput{/etc/passwd}")
    prose = Prose(title="Hostile", abstract=tricks, introduction=f"See \\input{{{canary}}}.", method=tricks,
                  results_discussion="r", conclusion="c")
    paper = write_paper(out, prose=prose, table=_hostile_table(), references=[], run_id="r1", support=[],
                        figures=[{"path": "figure_1.png", "caption": figure_caption(Path(evil_name).stem, 1)}])
    assert paper.pdf is not None, (out / "paper.log").read_text()[-2000:]
    text = " ".join(page.extract_text() for page in PdfReader(paper.pdf).pages)
    assert "input" in text and "canary.txt" in text  # the attempts are printed, as text
    assert token not in text and token not in (out / "paper.log").read_text()
    for host_file in ("/etc/passwd", "/etc/hostname"):
        for line in Path(host_file).read_text().splitlines():
            assert len(line) < 8 or line not in text, line
    assert "\\includegraphics[width=0.7\\linewidth]{figure_1.png}" in (out / "paper.tex").read_text()
    assert any("/XObject" in str(page.get("/Resources", {})) for page in PdfReader(paper.pdf).pages)


@needs_tex
def test_the_tex_engine_is_confined_even_for_raw_tex(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Without the escaping layer: paranoid kpathsea, no shell escape, nothing outside the build dir."""
    from pypdf import PdfReader

    canary = tmp_path / "canary.txt"
    token = f"CANARY-{secrets.token_hex(8)}"
    canary.write_text(token + "\n")
    out = tmp_path / "paper"
    out.mkdir()
    pwned = tmp_path / f"pwned-{secrets.token_hex(4)}"
    # The engine runs in a fresh directory under the temp dir: ``..`` from there is the temp dir.
    above = Path(tempfile.gettempdir()) / f"canary-{secrets.token_hex(4)}.txt"
    above.write_text(token + "\n")
    request.addfinalizer(lambda: above.unlink(missing_ok=True))
    (out / "paper.tex").write_text(
        "\\documentclass{article}\\begin{document}\n"
        f"\\newread\\r \\openin\\r={canary} \\ifeof\\r READ-BLOCKED\\else \\read\\r to\\x GOT \\x\\fi\n"
        f"\\IfFileExists{{{canary}}}{{EXISTS}}{{ABS-BLOCKED}} \\IfFileExists{{../{above.name}}}{{EXISTS}}{{UP-BLOCKED}}\n"
        f"\\immediate\\write18{{touch {pwned}}}\n"
        "\\end{document}\n")
    (out / "references.bib").write_text("")
    pdf = build_pdf(out)
    assert pdf is not None, (out / "paper.log").read_text()[-2000:]
    text = PdfReader(pdf).pages[0].extract_text()
    assert "READ-BLOCKED" in text and "ABS-BLOCKED" in text and "UP-BLOCKED" in text and token not in text
    assert token not in (out / "paper.log").read_text() and not pwned.exists()
    assert not (out / "paper.aux").exists()  # the engine wrote in its own build dir, not here
    (out / "paper.tex").write_text(
        "\\documentclass{article}\\begin{document}\n"
        f"\\newwrite\\w \\immediate\\openout\\w={pwned}.tex \\immediate\\write\\w{{x}}\\immediate\\closeout\\w\n"
        "ok\\end{document}\n")
    build_pdf(out)
    assert not Path(f"{pwned}.tex").exists()


@needs_tex
def test_as_root_the_engine_runs_as_nobody_with_a_clean_environment(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import pwd
    import subprocess

    if os.geteuid() != 0:
        pytest.skip("only root drops privileges")
    import proctor.paper._pdf as pdf_module

    calls: list[dict[str, Any]] = []
    real = subprocess.Popen

    def spy(argv: list[str], **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(argv, **kwargs)

    monkeypatch.setattr(pdf_module.subprocess, "Popen", spy)
    monkeypatch.setenv("SECRET_TOKEN", "s3cret")
    (tmp_path / "paper.tex").write_text("\\documentclass{article}\\begin{document}ok\\end{document}\n")
    assert build_pdf(tmp_path) is not None
    nobody = pwd.getpwnam("nobody")
    assert calls and all(c["user"] == nobody.pw_uid and c["group"] == nobody.pw_gid and c["extra_groups"] == []
                         for c in calls)
    assert all(c["env"]["openin_any"] == "p" and c["env"]["openout_any"] == "p" and "SECRET_TOKEN" not in c["env"]
               for c in calls)
