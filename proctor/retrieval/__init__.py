"""Retrieval: the literature index behind the novelty check.

Source files (JSONL abstracts, PDFs, Markdown/text, tarballs of paper texts) are cut into
paragraph chunks with sections and offsets, embedded by a registered :class:`Embedder` (``minilm``
by default, ``hashing`` in tests) and stored in two chromadb collections, papers and paragraphs,
named after a digest of the embedder and chunker. :func:`search` ranks passages in two stages
(papers, then their paragraphs); :func:`check_novelty` turns an idea and its queries into evidence
hits and a deterministic :class:`NoveltySignal` (closest passage, nearest papers, near-duplicate
earlier ideas).

Online (off unless ``retrieval.online.enabled``): registered :class:`OnlineSource` services (Semantic
Scholar, OpenAlex, arXiv) in a fallback chain behind :class:`OnlineLiterature`, with an on-disk HTTP
cache, per-source rate limits and retries; what they find, and the full text of the closest papers'
PDFs, goes into a local online index searched beside the main one (:func:`merged_search`). A calibrated
similarity rule (:func:`novelty_rule`) gives a verdict that reads no prose.
"""

from proctor.retrieval._calibration import Calibration, RuleVerdict, calibrate, calibration_for, novelty_rule
from proctor.retrieval._calibration import Paper as CalibrationPaper
from proctor.retrieval._chunking import ChunkerConfig, chunk_text
from proctor.retrieval._default import (
    DefaultCorpusMissing,
    SharedDataMissing,
    build_default_index,
    corpus_candidates,
    count_records,
    default_corpus,
    default_index_ready,
    download_default_corpus,
    how_to_obtain,
    shared_dir,
)
from proctor.retrieval._embedder import EMBEDDERS, Embedder, EmbedderUnavailable, embedder, get_embedder
from proctor.retrieval._events import RetrievalEvent
from proctor.retrieval._fake import HashingEmbedder
from proctor.retrieval._fulltext import FulltextResult, afetch_fulltext, paragraphs_from_pdf_text
from proctor.retrieval._index import IndexEmpty, IndexStats, LiteratureIndex
from proctor.retrieval._ingest import IngestReport, add_documents, ingest
from proctor.retrieval._lock import IndexLocked
from proctor.retrieval._novelty import acheck_novelty, check_novelty, near_duplicates
from proctor.retrieval._online import (
    Approve,
    Attempt,
    OnlineLiterature,
    OnlineResult,
    OnlineSearchEvent,
    hit_origin,
    merged_search,
    online_index_dir,
    online_literature,
    open_online_index,
)
from proctor.retrieval._online_http import KEY_ENV, HTTPStats, OnlineError, OnlineHTTP, redact
from proctor.retrieval._online_sources import (
    ONLINE_SOURCES,
    OnlinePaper,
    OnlineSource,
    Page,
    get_source,
    online_source,
)
from proctor.retrieval._onnx import onnx_export_ready
from proctor.retrieval._search import search, search_many, search_vector
from proctor.retrieval._server import ChromaServerUnavailable, serve, serve_command
from proctor.retrieval._sources import Skip
from proctor.retrieval._store import ChromaStore, StoreUnavailable, VectorStore
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
    "Approve",
    "Attempt",
    "Calibration",
    "CalibrationPaper",
    "ChromaServerUnavailable",
    "ChromaStore",
    "Chunk",
    "ChunkerConfig",
    "DefaultCorpusMissing",
    "Document",
    "DuplicateMatch",
    "EMBEDDERS",
    "Embedder",
    "EmbedderUnavailable",
    "FulltextResult",
    "HTTPStats",
    "HashingEmbedder",
    "Hit",
    "IndexEmpty",
    "IndexLocked",
    "IndexStats",
    "IngestReport",
    "KEY_ENV",
    "LiteratureIndex",
    "NoveltyEvidence",
    "NoveltySignal",
    "ONLINE_SOURCES",
    "OnlineError",
    "OnlineHTTP",
    "OnlineLiterature",
    "OnlinePaper",
    "OnlineResult",
    "OnlineSearchEvent",
    "OnlineSource",
    "Page",
    "PaperMatch",
    "Passage",
    "RetrievalEvent",
    "RetrievalSettings",
    "RuleVerdict",
    "SearchMode",
    "SharedDataMissing",
    "Skip",
    "StoreUnavailable",
    "VectorStore",
    "acheck_novelty",
    "add_documents",
    "afetch_fulltext",
    "build_default_index",
    "calibrate",
    "calibration_for",
    "check_novelty",
    "chunk_text",
    "corpus_candidates",
    "count_records",
    "default_corpus",
    "default_index_ready",
    "download_default_corpus",
    "embedder",
    "get_embedder",
    "get_source",
    "hit_origin",
    "how_to_obtain",
    "ingest",
    "merged_search",
    "near_duplicates",
    "novelty_rule",
    "online_index_dir",
    "online_literature",
    "online_source",
    "onnx_export_ready",
    "open_online_index",
    "paragraphs_from_pdf_text",
    "redact",
    "search",
    "search_many",
    "search_vector",
    "serve",
    "serve_command",
    "shared_dir",
]
