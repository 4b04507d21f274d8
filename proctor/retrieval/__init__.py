"""Retrieval: the literature index behind the novelty check.

Source files (JSONL abstracts, PDFs, Markdown/text, tarballs of paper texts) are cut into
paragraph chunks with sections and offsets, embedded by a registered :class:`Embedder` (``minilm``
by default, ``hashing`` in tests) and stored in two chromadb collections, papers and paragraphs,
named after a digest of the embedder and chunker. :func:`search` ranks passages in two stages
(papers, then their paragraphs); :func:`check_novelty` turns an idea and its queries into evidence
hits and a deterministic :class:`NoveltySignal` (closest passage, nearest papers, near-duplicate
earlier ideas).
"""

from proctor.retrieval._chunking import ChunkerConfig, chunk_text
from proctor.retrieval._default import (
    SharedDataMissing,
    build_default_index,
    default_corpus,
    default_index_ready,
    shared_dir,
)
from proctor.retrieval._embedder import EMBEDDERS, Embedder, EmbedderUnavailable, embedder, get_embedder
from proctor.retrieval._events import RetrievalEvent
from proctor.retrieval._fake import HashingEmbedder
from proctor.retrieval._index import IndexEmpty, IndexStats, LiteratureIndex
from proctor.retrieval._ingest import IngestReport, add_documents, ingest
from proctor.retrieval._lock import IndexLocked
from proctor.retrieval._novelty import acheck_novelty, check_novelty, near_duplicates
from proctor.retrieval._search import search, search_many, search_vector
from proctor.retrieval._server import ChromaServerUnavailable, serve, serve_command
from proctor.retrieval._sources import Skip
from proctor.retrieval._store import ChromaStore, VectorStore
from proctor.retrieval._types import (
    Chunk,
    Document,
    DuplicateMatch,
    Hit,
    NoveltyEvidence,
    NoveltySignal,
    PaperMatch,
    Passage,
)
from proctor.settings import RetrievalSettings, SearchMode

__all__ = [
    "ChromaServerUnavailable",
    "ChromaStore",
    "Chunk",
    "ChunkerConfig",
    "Document",
    "DuplicateMatch",
    "EMBEDDERS",
    "Embedder",
    "EmbedderUnavailable",
    "HashingEmbedder",
    "Hit",
    "IndexEmpty",
    "IndexLocked",
    "IndexStats",
    "IngestReport",
    "LiteratureIndex",
    "NoveltyEvidence",
    "NoveltySignal",
    "PaperMatch",
    "Passage",
    "RetrievalEvent",
    "RetrievalSettings",
    "SearchMode",
    "SharedDataMissing",
    "Skip",
    "VectorStore",
    "acheck_novelty",
    "add_documents",
    "build_default_index",
    "check_novelty",
    "chunk_text",
    "default_corpus",
    "default_index_ready",
    "embedder",
    "get_embedder",
    "ingest",
    "near_duplicates",
    "search",
    "search_many",
    "search_vector",
    "serve",
    "serve_command",
    "shared_dir",
]
