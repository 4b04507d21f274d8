"""The vector store: a small ABC and its chromadb implementation.

Vectors are always passed in (``embedding_function=None``), so chromadb never loads or downloads
a model of its own; telemetry is off. Similarity is cosine (collections use the ``cosine`` space).

Against a ``chroma run`` server, a call that cannot reach it (connection refused or dropped: the
server restarting) is retried for up to :data:`SERVER_RETRY_S` seconds; every call is idempotent
(writes upsert by id), so a retried upsert never duplicates. A server down for longer raises
:class:`StoreUnavailable`, naming the server; an interrupted ingest resumes where it stopped.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import numpy as np

from proctor.retrieval._embedder import Vectors
from proctor.retrieval._server import ChromaServerUnavailable

Metadata = dict[str, str | int | float | bool]
T = TypeVar("T")
SERVER_RETRY_S = 30.0  # how long a call waits for an unreachable chroma server to come back


class StoreUnavailable(ChromaServerUnavailable):
    """The chroma server cannot be reached (down, restarting past the retry window, wrong URL)."""


def _address_of(client: Any) -> str | None:
    """``host:port`` of an HTTP client's server; None for an embedded (local) client."""
    try:
        cfg = client.get_settings()
    except Exception:  # noqa: BLE001 - only for messages and the retry policy
        return None
    host = getattr(cfg, "chroma_server_host", None)
    return f"{host}:{cfg.chroma_server_http_port}" if host else None


def _retrying(server: str, call: Callable[[], T], retry_s: float | None = None, *, remote: bool = True) -> T:
    """``call()``, retried while the server is unreachable or recovering; :class:`StoreUnavailable` past the window.

    A chroma server restarted after a kill answers 500 ("Failed to apply logs to the hnsw segment writer")
    for a moment while it replays its write-ahead log (seen in CI, 1 restart in 3): for a server
    (``remote``), that is retried like an unreachable server, within the same window. An embedded store's
    internal error is raised at once.
    """
    import httpx
    from chromadb.errors import InternalError

    window = SERVER_RETRY_S if retry_s is None else retry_s
    deadline, pause = time.monotonic() + window, 0.2
    while True:
        try:
            return call()
        except (httpx.TransportError, InternalError) as exc:
            if isinstance(exc, InternalError) and not remote:
                raise
            if time.monotonic() >= deadline:
                raise StoreUnavailable(
                    f"{server} is unreachable ({type(exc).__name__}: {exc or 'no response'}; "
                    f"retried for {window:.0f} s); start it (`proctor corpus serve`) and run the command again: "
                    "an interrupted ingest resumes where it stopped, without duplicates") from exc
            time.sleep(pause)
            pause = min(pause * 2, 2.0)


@dataclass
class StoredMatch:
    """One stored item returned by a query or a get."""

    id: str
    similarity: float
    document: str
    metadata: dict[str, Any]


class VectorStore(abc.ABC):
    """A collection of vectors with ids, documents and metadata."""

    @abc.abstractmethod
    def upsert(self, ids: Sequence[str], vectors: Vectors, documents: Sequence[str],
               metadatas: Sequence[Metadata]) -> None:
        """Insert or replace items."""

    @abc.abstractmethod
    def existing(self, ids: Sequence[str]) -> set[str]:
        """The subset of ``ids`` already stored."""

    @abc.abstractmethod
    def query(self, vector: Vectors, k: int, where: dict[str, Any] | None = None) -> list[StoredMatch]:
        """The ``k`` items most similar to ``vector`` (best first), optionally filtered by metadata."""

    @abc.abstractmethod
    def vectors(self, ids: Sequence[str]) -> dict[str, Vectors]:
        """Stored vectors by id (missing ids are absent)."""

    @abc.abstractmethod
    def delete(self, where: dict[str, Any]) -> None:
        """Delete items whose metadata matches ``where``."""

    @abc.abstractmethod
    def count(self) -> int:
        """Number of items."""


class ChromaStore(VectorStore):
    """A chromadb collection."""

    def __init__(self, client: Any, name: str) -> None:
        self.name = name
        self._client = client
        address = _address_of(client)
        self._server = f"the chroma server at {address}" if address else "the chroma server"
        self._remote = address is not None
        self._col = _retrying(self._server, lambda: client.get_or_create_collection(
            name, metadata={"hnsw:space": "cosine"}, embedding_function=None
        ), remote=self._remote)
        self._max_batch = int(_retrying(self._server, getattr(client, "get_max_batch_size", lambda: 5000),
                                        remote=self._remote))

    def _do(self, call: Callable[[], T]) -> T:
        return _retrying(self._server, call, remote=self._remote)

    def upsert(self, ids: Sequence[str], vectors: Vectors, documents: Sequence[str],
               metadatas: Sequence[Metadata]) -> None:
        """Upsert in batches no larger than the server accepts."""
        step = self._max_batch
        for i in range(0, len(ids), step):
            self._do(lambda i=i: self._col.upsert(  # type: ignore[misc]
                ids=list(ids[i:i + step]), embeddings=vectors[i:i + step], documents=list(documents[i:i + step]),
                metadatas=list(metadatas[i:i + step])))  # type: ignore[arg-type]

    def existing(self, ids: Sequence[str]) -> set[str]:
        """Ids already stored."""
        if not ids:
            return set()
        return set(self._do(lambda: self._col.get(ids=list(ids), include=[]))["ids"])

    def query(self, vector: Vectors, k: int, where: dict[str, Any] | None = None) -> list[StoredMatch]:
        """Nearest items by cosine similarity (fewer than ``k`` when the collection holds fewer).

        No ``count()`` first: chromadb returns what it has when ``k`` exceeds it (an extra round trip
        per query to a server otherwise).
        """
        if k <= 0:
            return []
        res = self._do(lambda: self._col.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1), n_results=k, where=where,
            include=["documents", "metadatas", "distances"]))
        docs = (res.get("documents") or [[]])[0]
        metas = (res.get("metadatas") or [[]])[0]
        dists = (res.get("distances") or [[]])[0]
        return [StoredMatch(id=i, similarity=1.0 - float(d), document=doc or "", metadata=dict(m or {}))
                for i, d, doc, m in zip(res["ids"][0], dists, docs, metas, strict=False)]

    def vectors(self, ids: Sequence[str]) -> dict[str, Vectors]:
        """Stored vectors by id."""
        if not ids:
            return {}
        res = self._do(lambda: self._col.get(ids=list(ids), include=["embeddings"]))
        embs = res.get("embeddings")
        if embs is None:
            return {}
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(res["ids"], embs, strict=False)}

    def delete(self, where: dict[str, Any]) -> None:
        """Delete matching items."""
        self._do(lambda: self._col.delete(where=where))

    def count(self) -> int:
        """Number of items."""
        return int(self._do(self._col.count))


def make_client(index_dir: Path | None, server_url: str | None = None) -> Any:
    """A chromadb client: HTTP when ``server_url`` is set, else persistent in ``index_dir/chroma``.

    ``index_dir=None`` and no server gives an in-memory client (tests).
    """
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if server_url:
        url = urlparse(server_url if "://" in server_url else f"http://{server_url}")
        host, port = url.hostname or "localhost", url.port or 8000
        return _retrying(f"the chroma server at {host}:{port}", lambda: chromadb.HttpClient(
            host=host, port=port, ssl=url.scheme == "https", settings=settings))
    if index_dir is None:
        return chromadb.EphemeralClient(settings=settings)
    return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=settings)
