"""The literature index: an embedder, two collections (papers, paragraphs) and a manifest.

Collections are named after a digest of what determines their contents (embedder identity, chunker
configuration, the paper-vector rule), so changing any of them builds a new index beside the old
one instead of mixing vectors.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from proctor.retrieval._chunking import ChunkerConfig
from proctor.retrieval._embedder import Embedder, get_embedder
from proctor.retrieval._manifest import Manifest
from proctor.retrieval._store import ChromaStore, VectorStore, make_client
from proctor.settings import RetrievalSettings

INDEX_VERSION = "v1"  # paper vector = title+abstract, or the mean of the paragraph vectors


class IndexEmpty(RuntimeError):
    """The index holds no papers yet."""


class IndexStats(BaseModel):
    """What an index holds."""

    name: str
    location: str
    embedder: str
    papers: int
    chunks: int
    files: int


def chunker_config(settings: RetrievalSettings) -> ChunkerConfig:
    """The chunker configuration from settings."""
    return ChunkerConfig(settings.chunk_min_chars, settings.chunk_max_chars, tuple(settings.skip_sections))


class LiteratureIndex:
    """Papers and paragraphs of the literature, searchable by vector."""

    def __init__(
        self,
        settings: RetrievalSettings,
        *,
        embedder: Embedder | None = None,
        client: Any = None,
        index_dir: Path | None = None,
    ) -> None:
        """Open (or create) the index described by ``settings``.

        Args:
            settings: retrieval settings.
            embedder: an embedder to use instead of building ``settings.embedder``.
            client: a chromadb client (e.g. ``chromadb.EphemeralClient()``); None builds one from settings.
            index_dir: overrides ``settings.index_dir``; with an explicit client it may be None
                (manifest in memory, no writer lock).

        Raises:
            EmbedderUnavailable: when the embedding model cannot be loaded.
        """
        self.settings = settings
        self.embedder = embedder or get_embedder(settings)
        self.chunker = chunker_config(settings)
        if index_dir is None and client is None:
            index_dir = Path(settings.index_dir).expanduser()
        self.index_dir = index_dir
        digest = hashlib.sha256(
            f"{INDEX_VERSION}:{self.embedder.identity}:{self.chunker.digest}".encode()
        ).hexdigest()[:12]
        self.name = f"proctor_{digest}"
        self.client = client if client is not None else make_client(index_dir, settings.server_url)
        self.papers: VectorStore = ChromaStore(self.client, f"{self.name}_papers")
        self.chunks: VectorStore = ChromaStore(self.client, f"{self.name}_chunks")
        self.manifest = Manifest(index_dir / "manifest.json" if index_dir else None, self.name)

    def stats(self) -> IndexStats:
        """Counts of papers, chunks and indexed files."""
        where = self.settings.server_url or str(self.index_dir or "memory")
        return IndexStats(name=self.name, location=where, embedder=self.embedder.identity,
                          papers=self.papers.count(), chunks=self.chunks.count(),
                          files=len(self.manifest.entries))

    def require_papers(self) -> None:
        """Raise :class:`IndexEmpty` when nothing is indexed yet."""
        if self.papers.count() == 0:
            raise IndexEmpty(
                f"the literature index {self.name} ({self.index_dir or self.settings.server_url}) is empty; "
                "run `proctor corpus build-default` or `proctor corpus add PATH...` first"
            )
