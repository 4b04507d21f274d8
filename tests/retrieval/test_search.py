"""Search modes: two-stage, paragraph and paper; ranks, de-duplication and the per-paper cap."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.retrieval import LiteratureIndex, RetrievalSettings, ingest, search, search_many


@pytest.fixture
def filled(settings: RetrievalSettings, jsonl_gz: Path, tmp_path: Path) -> LiteratureIndex:
    doc = tmp_path / "long.md"
    doc.write_text("# Attention notes\n\n" + "\n\n".join(
        f"Paragraph {i}: sparse attention variant number {i} for long documents and sequences." for i in range(8)))
    index = LiteratureIndex(settings)
    ingest(index, [jsonl_gz, doc], show_progress=False)
    return index


@pytest.mark.parametrize("mode", ["two_stage", "paragraph", "paper"])
def test_modes_rank_the_right_paper_first(filled: LiteratureIndex, mode: str) -> None:
    hits = search(filled, "graph neural network molecular properties", mode=mode, k=3)  # type: ignore[arg-type]
    assert hits[0].passage.paper_id == "p2"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))
    assert all(h.mode == mode for h in hits)


def test_per_paper_cap_and_no_duplicates(filled: LiteratureIndex) -> None:
    hits = search(filled, "sparse attention long documents", mode="two_stage", k=10)
    per_paper: dict[str, int] = {}
    for h in hits:
        per_paper[h.passage.paper_id] = per_paper.get(h.passage.paper_id, 0) + 1
    assert max(per_paper.values()) <= filled.settings.max_per_paper
    assert len({h.passage.chunk_id for h in hits}) == len(hits)
    assert {"long", "p1"} <= set(per_paper)


def test_passages_carry_offsets_and_paper_scores(filled: LiteratureIndex, tmp_path: Path) -> None:
    hit = search(filled, "sparse attention variant number 3", mode="two_stage", k=1)[0]
    source = (tmp_path / "long.md").read_text()
    assert source[hit.passage.start:hit.passage.end] == hit.passage.text
    assert hit.passage.section == "Attention notes" and hit.paper_score is not None


def test_search_many_matches_search(filled: LiteratureIndex) -> None:
    queries = ["backdoor poisoning", "molecules"]
    batched = search_many(filled, queries, mode="paragraph", k=2)
    single = [search(filled, q, mode="paragraph", k=2) for q in queries]
    assert [[h.passage.chunk_id for h in hs] for hs in batched] == [[h.passage.chunk_id for h in hs] for hs in single]


def test_two_stage_makes_one_store_call_per_stage(filled: LiteratureIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for name, store in (("papers", filled.papers), ("chunks", filled.chunks)):
        col = store._col  # type: ignore[attr-defined]
        for method in ("query", "get", "count"):
            original = getattr(col, method)

            def wrapped(*a: object, _n: str = f"{name}.{method}", _o: object = original, **kw: object) -> object:
                calls.append(_n)
                return _o(*a, **kw)  # type: ignore[operator]

            monkeypatch.setattr(col, method, wrapped)
    vector = filled.embedder.embed(["sparse attention long documents"])[0]
    from proctor.retrieval import search_vector

    hits = search_vector(filled, "q", vector, mode="two_stage", k=5)
    assert sorted(calls) == ["chunks.query", "papers.query"]  # no count(), no filtered query, no vector fetch
    assert hits and all(h.paper_score is not None for h in hits)


def test_a_first_stage_paper_without_candidate_paragraphs_still_competes(
        filled: LiteratureIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    from proctor.retrieval import search_vector

    vector = filled.embedder.embed(["graph neural network molecular properties"])[0]
    monkeypatch.setattr(filled.chunks, "query", lambda v, n, where=None: [])  # no paragraph at all
    hits = search_vector(filled, "q", vector, mode="two_stage", k=3)
    assert hits and hits[0].passage.paper_id == "p2" and hits[0].passage.section == "paper"

