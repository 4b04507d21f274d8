"""Online literature: the fallback chain of sources, their papers in a local index, merged search.

Steps for one query (:meth:`OnlineLiterature.asearch`):
1. For each source in ``retrieval.online.order``: skip it when it lacks a key it requires; else ask
   ``approve(source, url, query)`` (the control gate, in a run) with the public URL of the search; a
   refusal ends the chain for this query (the query, not the service, was judged).
2. Ask the source (rate limit, retries and cache in :mod:`._online_http`); a failure or an empty answer
   moves on to the next source; the first source with papers answers.
3. Every attempt is an :class:`OnlineSearchEvent` in the run's log (source, public URL, outcome).

The papers found go into the *online index*, a local index beside the main one (``online.index_dir``,
default ``<index_dir>/online``) with the same embedder, so their passages rank on the same scale as the
local corpus's and a later run finds them without asking again. :func:`merged_search` searches both.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from proctor.log import Event, emit
from proctor.retrieval._embedder import Embedder
from proctor.retrieval._index import LiteratureIndex
from proctor.retrieval._ingest import IngestReport, add_documents
from proctor.retrieval._online_http import OnlineError, OnlineHTTP
from proctor.retrieval._online_sources import ONLINE_SOURCES, OnlinePaper, OnlineSource, get_source
from proctor.retrieval._search import search_many
from proctor.retrieval._types import Hit
from proctor.settings import RetrievalSettings, SearchMode

Approve = Callable[[str, str, str], Awaitable[str | None]]
"""``approve(source, url, query)``: the query as approved (possibly modified), or None when refused."""
ONLINE_WRITE_LOCK = threading.Lock()  # one writer per process into an online index (parallel idea branches)
ONLINE_LOCK_TIMEOUT_S = 120.0


class OnlineSearchEvent(Event):
    """One request (or skip) of online literature search or full-text fetch. URLs are public: no key."""

    event: Literal["online_search"] = "online_search"
    action: Literal["search", "fulltext"] = "search"
    source: str
    query: str = ""
    url: str = ""
    status: Literal["ok", "empty", "failed", "skipped", "refused", "stored"]
    papers: int = Field(default=0, description="Papers found (search).")
    chunks: int = Field(default=0, description="Paragraphs added (full text).")
    reason: str = ""


class Attempt(BaseModel):
    """One source's part in answering a query."""

    source: str
    url: str
    status: Literal["ok", "empty", "failed", "skipped", "refused"]
    reason: str = ""
    papers: int = 0


class OnlineResult(BaseModel):
    """What the chain found for one query."""

    query: str
    papers: list[OnlinePaper] = Field(default_factory=list)
    source: str | None = Field(default=None, description="The source that answered, None when none did.")
    attempts: list[Attempt] = Field(default_factory=list)


def online_index_dir(settings: RetrievalSettings) -> Path:
    """Where the online index lives."""
    online = settings.online
    return Path(online.index_dir).expanduser() if online.index_dir else Path(settings.index_dir).expanduser() / "online"


def open_online_index(settings: RetrievalSettings, *, embedder: Embedder | None = None) -> LiteratureIndex:
    """The local index of online papers (same embedder and chunker as the main index; never a server)."""
    local = settings.model_copy(update={"server_url": None,
                                        "lock_timeout_s": max(settings.lock_timeout_s, ONLINE_LOCK_TIMEOUT_S)})
    path = online_index_dir(settings)
    path.mkdir(parents=True, exist_ok=True)
    return LiteratureIndex(local, embedder=embedder, index_dir=path)


class OnlineLiterature:
    """The online sources of one process, their HTTP client and cache, and the online index."""

    def __init__(self, settings: RetrievalSettings, *, embedder: Embedder | None = None,
                 http: OnlineHTTP | None = None, index: LiteratureIndex | None = None) -> None:
        self.settings = settings
        self.http = http or OnlineHTTP(settings)
        self.sources: dict[str, OnlineSource] = {n: get_source(n, self.http, settings) for n in settings.online.order}
        self._embedder = embedder
        self._index = index
        self._lock = threading.Lock()

    @property
    def index(self) -> LiteratureIndex:
        """The online index, opened on first use."""
        with self._lock:
            if self._index is None:
                self._index = open_online_index(self.settings, embedder=self._embedder)
            return self._index

    def plan(self, query: str) -> list[tuple[str, str]]:
        """``(source, public URL)`` of the first request each source in the chain would make."""
        return [(name, src.search_url(query)) for name, src in self.sources.items()]

    def _note(self, query: str, attempt: Attempt) -> Attempt:
        emit(OnlineSearchEvent(source=attempt.source, query=query, url=attempt.url, status=attempt.status,
                               papers=attempt.papers, reason=attempt.reason))
        return attempt

    async def asearch(self, query: str, approve: Approve | None = None) -> OnlineResult:
        """Ask the chain for ``query`` (see the module docstring)."""
        result = OnlineResult(query=query)
        for name, src in self.sources.items():
            url = src.search_url(query)
            why = src.unavailable()
            if why:
                result.attempts.append(self._note(query, Attempt(source=name, url=url, status="skipped", reason=why)))
                continue
            asked = query
            if approve is not None:
                approved = await approve(name, url, query)
                if approved is None:
                    result.attempts.append(self._note(query, Attempt(
                        source=name, url=url, status="refused", reason="the control gate did not approve it")))
                    break
                asked, url = approved, src.search_url(approved)
            try:
                papers = await asyncio.to_thread(src.search, asked)
            except OnlineError as exc:
                result.attempts.append(self._note(asked, Attempt(source=name, url=url, status="failed",
                                                                 reason=exc.reason)))
                continue
            result.attempts.append(self._note(asked, Attempt(source=name, url=url, status="ok" if papers else "empty",
                                                             papers=len(papers))))
            if papers:
                result.papers, result.source, result.query = papers, name, asked
                break
        return result

    def search(self, query: str) -> OnlineResult:
        """Synchronous :meth:`asearch` without a gate (the CLI and benchmarks)."""
        return asyncio.run(self.asearch(query))

    def store(self, papers: Sequence[OnlinePaper]) -> IngestReport:
        """Add the papers' abstracts to the online index (papers already there are not embedded again)."""
        docs = [p.document() for p in papers if (p.abstract or p.title).strip()]
        with ONLINE_WRITE_LOCK:
            return add_documents(self.index, docs, file="online")

    def close(self) -> None:
        """Close the HTTP client (and its cache file)."""
        self.http.close()


_SHARED: dict[tuple[str, str], OnlineLiterature] = {}
_SHARED_LOCK = threading.Lock()


def online_literature(settings: RetrievalSettings, *, embedder: Embedder | None = None) -> OnlineLiterature:
    """One :class:`OnlineLiterature` per process and settings (its HTTP client, cache and rate limits are
    shared by the run's parallel idea branches, so the limits hold across them)."""
    key = (settings.model_dump_json(), embedder.identity if embedder is not None else "")
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = OnlineLiterature(settings, embedder=embedder)
        return _SHARED[key]


def hit_origin(hit: Hit) -> str:
    """Where a passage came from: ``local``, ``online:<source>`` (an abstract) or ``fulltext`` (a PDF)."""
    source = hit.passage.source
    if source.startswith("fulltext:"):
        return "fulltext"
    return next((f"online:{n}" for n in ONLINE_SOURCES.names() if source.startswith(f"{n}:")), "local")


def _title_key(hit: Hit) -> str:
    return re.sub(r"[^a-z0-9]+", " ", hit.passage.title.lower()).strip() or hit.passage.paper_id


def merged_search(indexes: Sequence[LiteratureIndex], queries: Sequence[str], *, mode: SearchMode | None = None,
                  k: int | None = None) -> list[list[Hit]]:
    """Per query, the best ``k`` hits over all ``indexes`` (same embedder: one scale), by score.

    The same paper found in two indexes (the local corpus and online, by title) keeps at most
    ``max_per_paper`` passages; ranks are renumbered.
    """
    if not indexes:
        return [[] for _ in queries]
    k = k or indexes[0].settings.top_k
    cap = indexes[0].settings.max_per_paper
    per_index: list[list[list[Hit]]] = [search_many(ix, queries, mode=mode, k=k) if ix.papers.count() else [[] for _ in queries]
                 for ix in indexes]
    merged: list[list[Hit]] = []
    for qi in range(len(queries)):
        pool = sorted((h for hits in per_index for h in hits[qi]), key=lambda h: -h.score)
        kept: list[Hit] = []
        per_paper: dict[str, int] = {}
        for hit in pool:
            key = _title_key(hit)
            if per_paper.get(key, 0) >= cap:
                continue
            per_paper[key] = per_paper.get(key, 0) + 1
            kept.append(hit.model_copy(update={"rank": len(kept) + 1}))
            if len(kept) >= k:
                break
        merged.append(kept)
    return merged
