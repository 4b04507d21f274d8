"""The deterministic half of a novelty check, for the agent's novelty node.

Steps:
1. Search the index with the idea text and each query (one embedding batch); with ``also`` (the online
   index), search those indexes too and keep each query's best passages over all of them.
2. Merge the hits by chunk id (keeping the best score), best first.
3. Signal: the highest cosine similarity of any query to any passage, and the nearest papers.
4. Near-duplicates: cosine similarity of the idea to each earlier idea, against ``duplicate_threshold``.

An LLM judge may read the evidence; the signal itself involves no model but the embedder.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from proctor.log import emit
from proctor.retrieval._embedder import Embedder
from proctor.retrieval._events import RetrievalEvent
from proctor.retrieval._index import IndexEmpty, LiteratureIndex
from proctor.retrieval._online import merged_search
from proctor.retrieval._search import search_many
from proctor.retrieval._types import DuplicateMatch, Hit, NoveltyEvidence, NoveltySignal, PaperMatch
from proctor.settings import SearchMode


def near_duplicates(
    idea: str, earlier: Sequence[str], embedder: Embedder, threshold: float
) -> list[DuplicateMatch]:
    """Earlier ideas whose embedding cosine with ``idea`` is at least ``threshold``, closest first."""
    if not earlier:
        return []
    vecs = embedder.embed([idea, *earlier])
    sims = vecs[1:] @ vecs[0]
    found = [DuplicateMatch(index=i, text=earlier[i][:300], similarity=float(s))
             for i, s in enumerate(sims) if s >= threshold]
    return sorted(found, key=lambda d: -d.similarity)


def _merge(per_query: list[list[Hit]]) -> list[Hit]:
    best: dict[str, Hit] = {}
    for hits in per_query:
        for hit in hits:
            key = hit.passage.chunk_id
            if key not in best or hit.score > best[key].score:
                best[key] = hit
    ranked = sorted(best.values(), key=lambda h: -h.score)
    return [h.model_copy(update={"rank": i + 1}) for i, h in enumerate(ranked)]


def _nearest_papers(hits: list[Hit], n: int) -> list[PaperMatch]:
    papers: dict[str, PaperMatch] = {}
    for h in hits:
        pid = h.passage.paper_id
        if pid not in papers or h.similarity > papers[pid].similarity:
            papers[pid] = PaperMatch(paper_id=pid, title=h.passage.title, similarity=h.similarity)
    return sorted(papers.values(), key=lambda p: -p.similarity)[:n]


def check_novelty(
    index: LiteratureIndex,
    idea: str,
    queries: Sequence[str] = (),
    *,
    earlier_ideas: Sequence[str] = (),
    k: int | None = None,
    mode: SearchMode | None = None,
    nearest: int = 5,
    also: Sequence[LiteratureIndex] = (),
) -> NoveltyEvidence:
    """Evidence and the deterministic novelty signal for ``idea``.

    Args:
        index: the literature index (open it once per process and reuse it).
        idea: the idea's text (title and description); it is searched as a query too.
        queries: search queries written for the idea (e.g. by an LLM).
        earlier_ideas: ideas already proposed in this run, checked for near-duplicates.
        k: passages per query; defaults to ``settings.top_k``.
        mode: search mode; defaults to ``settings.search_mode``.
        nearest: papers listed in ``signal.nearest_papers``.
        also: more indexes with the same embedder (the online index) searched beside ``index``.

    Returns:
        The merged hits, and the signal with ``likely_known`` and ``is_duplicate`` decided by the
        thresholds in settings.

    Raises:
        IndexEmpty: when the index (and every index in ``also``) holds nothing (an empty index must not
            read as "novel").
    """
    started = time.perf_counter()
    s = index.settings
    all_queries = [idea, *[q for q in queries if q.strip() and q != idea]]
    if also:
        searched = [ix for ix in (index, *also) if ix.papers.count()]
        if not searched:
            raise IndexEmpty(f"the literature index {index.name} and the online index hold no papers yet")
        hits = _merge(merged_search(searched, all_queries, mode=mode, k=k))
    else:
        index.require_papers()
        hits = _merge(search_many(index, all_queries, mode=mode, k=k))
    closest = max(hits, key=lambda h: h.similarity, default=None)
    max_sim = closest.similarity if closest else 0.0
    dups = near_duplicates(idea, earlier_ideas, index.embedder, s.duplicate_threshold)
    signal = NoveltySignal(
        max_similarity=max_sim, closest=closest, nearest_papers=_nearest_papers(hits, nearest),
        threshold=s.novelty_threshold, likely_known=max_sim >= s.novelty_threshold, duplicates=dups,
        duplicate_threshold=s.duplicate_threshold, is_duplicate=bool(dups),
    )
    emit(RetrievalEvent(
        action="novelty", index=index.name, mode=mode or s.search_mode, queries=all_queries, hits=len(hits),
        top_score=hits[0].score if hits else None, max_similarity=max_sim, likely_known=signal.likely_known,
        is_duplicate=signal.is_duplicate, nearest_papers=[p.paper_id for p in signal.nearest_papers],
        seconds=time.perf_counter() - started,
    ))
    return NoveltyEvidence(idea=idea, queries=all_queries, hits=hits, signal=signal, index=index.name)


async def acheck_novelty(
    index: LiteratureIndex,
    idea: str,
    queries: Sequence[str] = (),
    *,
    earlier_ideas: Sequence[str] = (),
    k: int | None = None,
    mode: SearchMode | None = None,
    nearest: int = 5,
    also: Sequence[LiteratureIndex] = (),
) -> NoveltyEvidence:
    """Async twin of :func:`check_novelty` (runs it in a worker thread; the embedder is CPU/GPU bound)."""
    return await asyncio.to_thread(
        check_novelty, index, idea, queries, earlier_ideas=earlier_ideas, k=k, mode=mode, nearest=nearest, also=also
    )

