"""The novelty API: evidence, the deterministic signal, near-duplicates and the event."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from proctor.log import EventLog, use_log
from proctor.retrieval import (
    HashingEmbedder,
    IndexEmpty,
    LiteratureIndex,
    RetrievalEvent,
    RetrievalSettings,
    acheck_novelty,
    check_novelty,
    ingest,
    near_duplicates,
)


@pytest.fixture
def filled(settings: RetrievalSettings, jsonl_gz: Path) -> LiteratureIndex:
    index = LiteratureIndex(settings)
    ingest(index, [jsonl_gz], show_progress=False)
    return index


def test_known_idea_is_flagged_with_its_paper(filled: LiteratureIndex, tmp_path: Path) -> None:
    idea = "We defend self-supervised learning against patch-based backdoor poisoning by searching for triggers."
    log = EventLog(tmp_path / "events.jsonl")
    with use_log(log):
        ev = check_novelty(filled, idea, ["backdoor defense for SSL", "trigger search"])
    assert ev.signal.likely_known and ev.signal.max_similarity > 0.85  # vector of title + abstract
    assert ev.signal.closest is not None and ev.signal.closest.passage.paper_id == "p3"
    assert ev.signal.nearest_papers[0].paper_id == "p3"
    assert ev.queries[0] == idea and len(ev.queries) == 3
    assert len({h.passage.chunk_id for h in ev.hits}) == len(ev.hits)
    [event] = [e for e in log.read() if isinstance(e, RetrievalEvent)]
    assert event.action == "novelty" and event.likely_known and event.nearest_papers[0] == "p3"


def test_unrelated_idea_is_not_known(filled: LiteratureIndex) -> None:
    ev = check_novelty(filled, "Quantum error correction codes for superconducting qubits")
    assert not ev.signal.likely_known and ev.signal.max_similarity < filled.settings.novelty_threshold


def test_near_duplicates_of_earlier_ideas(filled: LiteratureIndex) -> None:
    idea = "Sparse attention that scales linearly for long documents"
    earlier = ["Protein folding with diffusion", "Sparse attention that scales linearly for long documents!"]
    ev = check_novelty(filled, idea, earlier_ideas=earlier)
    assert ev.signal.is_duplicate and [d.index for d in ev.signal.duplicates] == [1]
    assert near_duplicates(idea, [], HashingEmbedder(), 0.9) == []


def test_empty_index_refuses(settings: RetrievalSettings) -> None:
    with pytest.raises(IndexEmpty, match="build-default"):
        check_novelty(LiteratureIndex(settings), "anything")


def test_async_twin(filled: LiteratureIndex) -> None:
    ev = asyncio.run(acheck_novelty(filled, "graph neural networks for molecules"))
    assert ev.signal.nearest_papers[0].paper_id == "p2"
