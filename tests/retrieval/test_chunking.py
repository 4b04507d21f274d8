"""Paragraph chunking: sections from headings, exact offsets, merging and splitting."""

from __future__ import annotations

import pytest

from proctor.retrieval import ChunkerConfig, chunk_text
from proctor.retrieval._chunking import chunk_id, heading_text
from proctor.retrieval._sources import split_abstract
from tests.retrieval.retrieval_helpers import paper_text


@pytest.mark.parametrize(
    ("line", "expected"),
    [("# Title", "Title"), ("1 INTRODUCTION", "INTRODUCTION"), ("2.1 Related work", "Related work"),
     ("ABSTRACT", "ABSTRACT"), ("Conclusion", "Conclusion"), ("X X", None),
     ("This is an ordinary sentence that ends with a period.", None)],
    ids=["markdown", "numbered", "subsection", "caps", "common", "math-junk", "sentence"],
)
def test_heading_detection(line: str, expected: str | None) -> None:
    assert heading_text(line) == expected


def test_offsets_sections_and_references_skipped() -> None:
    text = paper_text("A title", "An abstract sentence long enough to stand alone. " * 3, "Body text here. " * 10)
    chunks = chunk_text(text, ChunkerConfig(min_chars=40, max_chars=400))
    assert chunks
    for c in chunks:
        assert text[c.start:c.end] == c.text
    sections = {c.section for c in chunks}
    assert {"INTRODUCTION", "METHOD", "ABSTRACT"} <= sections
    assert "REFERENCES" not in sections


def test_tiny_paragraphs_merge_and_huge_ones_split() -> None:
    text = "Short one.\n\nShort two.\n\nShort three is here.\n\n" + "A sentence of some length. " * 40
    chunks = chunk_text(text, ChunkerConfig(min_chars=30, max_chars=200))
    assert chunks[0].text.startswith("Short one.") and "Short two." in chunks[0].text
    assert all(len(c.text) <= 200 for c in chunks)
    assert len(chunks) > 3
    assert all(text[c.start:c.end] == c.text for c in chunks)


def test_chunk_ids_are_deterministic_and_content_sensitive() -> None:
    config = ChunkerConfig(min_chars=10, max_chars=400)
    a = chunk_text("Some paragraph text here.", config)[0]
    b = chunk_text("Some paragraph text HERE.", config)[0]
    assert chunk_id("p", a) == chunk_id("p", a) != chunk_id("p", b)


def test_split_abstract_leaves_author_blocks_out() -> None:
    abstract = "We study a problem and propose a method that works well on many benchmarks. " * 3
    text = paper_text("A title", abstract, "Body text. " * 20)
    found, body = split_abstract(text)
    assert found.strip() == abstract.strip()
    assert abstract.strip() not in body and "INTRODUCTION" in body
