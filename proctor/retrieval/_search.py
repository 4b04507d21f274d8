"""Searching the index: two-stage (papers, then their paragraphs) or single-stage.

``two_stage`` (two store calls, one per stage, run at the same time, and nothing else per query):
1. Find the ``top_papers`` papers nearest the query by paper vector.
2. Find the ``top_k * max_per_paper * CANDIDATES`` nearest paragraphs overall (so a paper the first
   stage missed can still surface).
3. Score each paragraph ``(1 - w) * paragraph_similarity + w * paper_similarity``, where a paper
   outside stage 1 gets the lower of its paragraph's similarity and the last stage-1 paper's (an
   upper bound on its own). A stage-1 paper with no paragraph among the candidates competes as the
   paper itself (its passage is the paper's record, section ``paper``), its paragraph similarity
   bounded by the last candidate's. Keep at most ``max_per_paper`` per paper, return the best
   ``top_k``; results are built only for what is kept.

Before, stage 2 was a metadata-filtered query (``paper_id $in`` stage 1) plus a global one, then a
fetch of the missing papers' vectors, each query preceded by a ``count()``: five store calls, about
six times chromadb's own query time (``bench/retrieval.py`` keeps that version as its baseline).

``paragraph`` and ``paper`` are single-stage searches over one collection (for benchmarking).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from proctor.log import emit
from proctor.retrieval._embedder import Vectors
from proctor.retrieval._events import RetrievalEvent
from proctor.retrieval._index import LiteratureIndex
from proctor.retrieval._store import StoredMatch
from proctor.retrieval._types import Hit, Passage
from proctor.settings import SearchMode

CANDIDATES = 3  # stage-2 paragraphs per returned passage slot
_POOLS: dict[int, ThreadPoolExecutor] = {}


def _pool() -> ThreadPoolExecutor:
    """This process's pool for the first stage (one per pid: a pool inherited through fork has no threads)."""
    pid = os.getpid()
    if pid not in _POOLS:
        _POOLS[pid] = ThreadPoolExecutor(max_workers=4, thread_name_prefix="proctor-search")
    return _POOLS[pid]


def _passage(match: StoredMatch, *, paper: bool = False) -> Passage:
    m = match.metadata
    return Passage(
        chunk_id=f"{match.id}:paper" if paper else match.id, paper_id=str(m.get("paper_id", match.id)),
        title=str(m.get("title", "")), section="paper" if paper else str(m.get("section", "")),
        start=int(m.get("start", 0)), end=int(m.get("end", len(match.document))), text=match.document,
        source=str(m.get("source", "")), year=int(m["year"]) if "year" in m else None,
        venue=str(m.get("venue", "")), authors=str(m.get("authors", "")),
    )


class _Candidate(NamedTuple):
    score: float
    similarity: float
    paper_score: float | None
    match: StoredMatch
    is_paper: bool = False  # the paper's own record, not one of its paragraphs


def _best_per_paper(candidates: list[_Candidate], per_paper: int, k: int, query: str, mode: str) -> list[Hit]:
    """The best ``k`` candidates, at most ``per_paper`` of one paper, as ranked hits (built only for those)."""
    counts: dict[str, int] = {}
    kept: list[Hit] = []
    for c in sorted(candidates, key=lambda c: -c.score):
        pid = str(c.match.metadata.get("paper_id", c.match.id))
        if counts.get(pid, 0) >= per_paper:
            continue
        counts[pid] = counts.get(pid, 0) + 1
        kept.append(Hit(passage=_passage(c.match, paper=c.is_paper), score=c.score, similarity=c.similarity,
                        paper_score=c.paper_score, rank=len(kept) + 1, query=query, mode=mode))
        if len(kept) == k:
            break
    return kept


def search_vector(index: LiteratureIndex, query: str, vector: Vectors, *, mode: SearchMode,
                  k: int) -> list[Hit]:
    """Search with an already-embedded query (see the module docstring for the modes)."""
    s = index.settings
    if mode == "paper":
        return [Hit(passage=_passage(m, paper=True), score=m.similarity, similarity=m.similarity,
                    paper_score=m.similarity, rank=i + 1, query=query, mode=mode)
                for i, m in enumerate(index.papers.query(vector, k))]
    if mode == "paragraph":
        matches = index.chunks.query(vector, k * s.max_per_paper)
        return _best_per_paper([_Candidate(m.similarity, m.similarity, None, m) for m in matches],
                               s.max_per_paper, k, query, mode)
    # The two stages are independent store calls (one each), so they run at the same time.
    stage1 = _pool().submit(index.papers.query, vector, s.top_papers)
    paragraphs = index.chunks.query(vector, k * s.max_per_paper * CANDIDATES)
    papers = stage1.result()
    paper_sim = {m.id: m.similarity for m in papers}
    # A paper outside stage 1 is at most as similar as the last paper stage 1 kept.
    floor = min(paper_sim.values()) if paper_sim else None
    w = s.paper_weight
    candidates: list[_Candidate] = []
    for m in paragraphs:
        ps = paper_sim.get(str(m.metadata.get("paper_id")), m.similarity if floor is None else min(floor, m.similarity))
        candidates.append(_Candidate((1 - w) * m.similarity + w * ps, m.similarity, ps, m))
    # A stage-1 paper none of whose paragraphs made the candidates still competes, as the paper itself:
    # its best paragraph is no more similar than the last candidate paragraph.
    seen = {str(m.metadata.get("paper_id")) for m in paragraphs}
    last = min((m.similarity for m in paragraphs), default=None)
    for m in papers:
        if m.id not in seen:
            sim = m.similarity if last is None else min(last, m.similarity)
            candidates.append(_Candidate((1 - w) * sim + w * m.similarity, sim, m.similarity, m, is_paper=True))
    return _best_per_paper(candidates, s.max_per_paper, k, query, mode)


def search(
    index: LiteratureIndex,
    query: str,
    *,
    mode: SearchMode | None = None,
    k: int | None = None,
    log_event: bool = True,
) -> list[Hit]:
    """Ranked passages for ``query``.

    Args:
        index: the index to search.
        query: free text.
        mode: ``two_stage``, ``paragraph`` or ``paper``; defaults to ``settings.search_mode``.
        k: passages to return; defaults to ``settings.top_k``.
        log_event: emit a :class:`RetrievalEvent`.

    Returns:
        Hits, best first, ranks from 1.
    """
    started = time.perf_counter()
    mode = mode or index.settings.search_mode
    k = k or index.settings.top_k
    hits = search_vector(index, query, index.embedder.embed([query])[0], mode=mode, k=k)
    if log_event:
        emit(RetrievalEvent(action="search", index=index.name, mode=mode, queries=[query], hits=len(hits),
                            top_score=hits[0].score if hits else None,
                            seconds=time.perf_counter() - started))
    return hits


def search_many(index: LiteratureIndex, queries: Sequence[str], *, mode: SearchMode | None = None,
                k: int | None = None) -> list[list[Hit]]:
    """Search several queries, embedding them in one batch (no events)."""
    mode = mode or index.settings.search_mode
    k = k or index.settings.top_k
    vectors = index.embedder.embed(list(queries))
    return [search_vector(index, q, v, mode=mode, k=k) for q, v in zip(queries, vectors, strict=True)]
