"""Checks against the real shared data (skipped when ../shared is absent)."""

from __future__ import annotations

from pathlib import Path

from proctor.retrieval import RetrievalSettings, default_corpus, shared_dir
from proctor.retrieval._sources import Skip, read_documents


def test_default_corpus_is_found(needs_shared: Path) -> None:
    assert shared_dir(RetrievalSettings()) == needs_shared.parent
    assert default_corpus(RetrievalSettings()).name == "ml-venues-2020-2024.jsonl.gz"


def test_iclr_papers_have_titles_and_abstracts(needs_shared: Path) -> None:
    notes: list[Skip] = []
    docs = list(read_documents(needs_shared / "iclr2022-review-bench" / "papers.tar.gz", notes))
    assert len(docs) == 500 and not [n for n in notes if n.skipped]  # 19 carry stray NULs, kept
    assert sum(bool(d.abstract) for d in docs) >= 450 and all(d.title for d in docs)
