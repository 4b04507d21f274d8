"""Full text of online papers: fetched PDFs read into paragraphs with sections in the online index; PDFs
that are not PDFs, huge, encrypted or corrupt are skipped with their reason; the merged search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from proctor.log import RunDir, use_log
from proctor.retrieval import (
    Document,
    LiteratureIndex,
    OnlineLiterature,
    add_documents,
    afetch_fulltext,
    hit_origin,
    merged_search,
    paragraphs_from_pdf_text,
)
from proctor.settings import load_settings
from tests.retrieval.online_server import FakeLiterature, FakePaper, online_overrides, serve

BODY = [("1 Introduction", "Knob scaling changes accuracy in toy experiments, and we measure how much. " * 4),
        ("2 Method", "We raise the toy knob from one to three and train with five seeds each time. " * 4),
        ("References", "A. Author. A cited paper. 2020.")]
PAPERS = [FakePaper(f"p{i}", f"Scaling the toy knob study {i}", f"Toy knob scaling and accuracy, part {i}.",
                    arxiv_id=f"2202.0000{i}", body=BODY) for i in range(1, 6)]


@pytest.fixture
def fake() -> Iterator[FakeLiterature]:
    with serve(PAPERS) as state:
        yield state


def _lit(tmp_path: Path, base: str, *extra: str) -> OnlineLiterature:
    settings = load_settings(None, [*online_overrides(base, str(tmp_path / "http")), "retrieval.embedder=hashing",
                                    f"retrieval.index_dir={tmp_path / 'index'}", "retrieval.chunk_min_chars=40",
                                    *extra]).retrieval
    return OnlineLiterature(settings)


def test_pdf_lines_become_paragraphs_and_headings() -> None:
    text = ("Title line\n1 Introduction\nA long line of text that goes on and on and on and on.\n"
            "It ends here.\n2 Method\nWe do things.")
    assert paragraphs_from_pdf_text(text).split("\n\n") == [
        "Title line", "1 Introduction", "A long line of text that goes on and on and on and on.\nIt ends here.",
        "2 Method", "We do things."]


def test_full_text_adds_paragraphs_with_sections(tmp_path: Path, fake: FakeLiterature) -> None:
    lit = _lit(tmp_path, fake.base)
    run = RunDir.create(tmp_path / "runs", "ft", settings={}, settings_digest="x")
    with use_log(run.events):
        result = lit.search("toy knob scaling")
        lit.store(result.papers)
        [first] = anyio.run(afetch_fulltext, lit, result.papers[:1])
    assert first.status == "added" and first.chunks >= 2, first
    assert first.url == f"{fake.base}/pdf/2202.00001"  # arXiv's copy first
    hits = merged_search([lit.index], ["raise the toy knob from one to three with five seeds"], k=5)[0]
    full = [h for h in hits if hit_origin(h) == "fulltext"]
    assert full and full[0].passage.section == "Method"  # the paragraph under "2 Method" in the PDF
    assert all("cited paper" not in h.passage.text for h in hits)  # references are not indexed
    assert any(e.event == "online_search" and getattr(e, "action", "") == "fulltext" for e in run.events.read())
    again = anyio.run(afetch_fulltext, lit, result.papers[:1])
    assert again[0].status == "stored" and fake.count("pdf") == 1  # nothing asked twice


@pytest.mark.parametrize(("fault", "reason"), [
    ("notpdf", "not a PDF (text/html"),
    ("huge", "huge PDF"),
    ("encrypted", "encrypted PDF"),
    ("corrupt", "PDF"),
])
def test_bad_pdfs_are_skipped_with_a_reason(tmp_path: Path, fake: FakeLiterature, fault: str, reason: str) -> None:
    lit = _lit(tmp_path, fake.base, "retrieval.online.pdf_max_bytes=2000000")
    papers = lit.search("toy knob scaling").papers
    fake.fail("pdf", fault)
    [res] = anyio.run(afetch_fulltext, lit, papers[:1])
    assert res.status == "skipped" and reason in res.reason, res


def test_a_refused_fetch_sends_nothing(tmp_path: Path, fake: FakeLiterature) -> None:
    lit = _lit(tmp_path, fake.base)
    papers = lit.search("toy knob scaling").papers
    asked: list[tuple[str, str, str]] = []

    async def refuse(source: str, url: str, query: str) -> str | None:
        asked.append((source, url, query))
        return None

    [res] = anyio.run(afetch_fulltext, lit, papers[:1], refuse)
    assert res.status == "refused" and fake.count("pdf") == 0
    assert asked == [("arxiv", f"{fake.base}/pdf/2202.00001", "full text of: Scaling the toy knob study 1")]


def test_merged_search_ranks_local_and_online_on_one_scale(tmp_path: Path, fake: FakeLiterature) -> None:
    lit = _lit(tmp_path, fake.base)
    local = LiteratureIndex(lit.settings)
    add_documents(local, [Document(paper_id="loc1", title="Local knob paper", abstract="Toy knob scaling locally.",
                                   text="Toy knob scaling locally.", source="local.jsonl")])
    lit.store(lit.search("toy knob scaling").papers)
    [hits] = merged_search([local, lit.index], ["toy knob scaling"], k=6)
    assert sorted(hit_origin(h) for h in hits) == ["local", *["online:semantic_scholar"] * 5]
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5, 6] and hits == sorted(hits, key=lambda h: -h.score)
