"""Retrieval settings (the ``retrieval`` section of the settings tree)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from proctor.paths import cache_dir

SearchMode = Literal["two_stage", "paragraph", "paper"]
OnlineSourceName = Literal["semantic_scholar", "openalex", "arxiv"]
DEFAULT_ORDER: tuple[OnlineSourceName, ...] = ("semantic_scholar", "openalex", "arxiv")

DEFAULT_CORPUS_URLS = [  # the public source of the default corpus: airas-papers-db (MIT), per venue and year
    f"https://raw.githubusercontent.com/airas-org/airas-papers-db/main/data/{part}.json"
    for part in ("iclr/2020", "iclr/2021", "iclr/2022", "iclr/2023", "iclr/2024", "icml/2020", "icml/2021",
                 "icml/2022", "icml/2023", "neurips/2020", "cvpr/2023")
]


class OnlineSourceSettings(BaseModel):
    """One online literature service: where it is, how fast it may be asked, how long to wait."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(default="", description="Base URL of the service (tests point it at a local server).")
    requests: int = Field(default=1, ge=1, description="At most this many requests per `per_s` seconds.")
    per_s: float = Field(default=1.0, ge=0.0, description="The rate-limit window in seconds (0: no limit).")
    timeout_s: float = Field(default=20.0, gt=0.0, description="Connect/read timeout of one request.")
    max_results: int = Field(default=10, ge=1, le=100, description="Papers asked for per query.")
    page_size: int = Field(default=10, ge=1, le=100, description="Papers per page (results are paged).")


class SemanticScholarSettings(OnlineSourceSettings):
    """Semantic Scholar Graph API: about 1 request per second (the published rate for a key; the keyless
    pool is shared by everyone, so no faster); optional key ``SEMANTIC_SCHOLAR_API_KEY``."""

    base_url: str = "https://api.semanticscholar.org"


class OpenAlexSettings(OnlineSourceSettings):
    """OpenAlex: an API key (``OPENALEX_API_KEY``) is required since February 2026; at most 100 requests/s
    are allowed, 10/s is asked here."""

    base_url: str = "https://api.openalex.org"
    requests: int = 10


class ArxivSettings(OnlineSourceSettings):
    """arXiv's API terms: one request every 3 seconds on one connection (PDFs come from the same host)."""

    base_url: str = "https://export.arxiv.org"
    per_s: float = 3.0


class OnlineSettings(BaseModel):
    """Online literature search (Semantic Scholar, OpenAlex, arXiv), the HTTP cache and full text.

    Off by default: with ``enabled=false`` nothing is ever sent over the network. Keys are no settings: they
    come only from the environment (``SEMANTIC_SCHOLAR_API_KEY``, ``OPENALEX_API_KEY``).
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default=False, description="Search online sources too (each query a gated action).")
    order: list[OnlineSourceName] = Field(
        default_factory=lambda: list(DEFAULT_ORDER),
        description="Fallback chain: a query goes to the first source; the next is asked only when it fails "
        "(unreachable, 429/5xx after retries, malformed answer), finds nothing, or lacks a key it requires.",
    )
    semantic_scholar: SemanticScholarSettings = Field(default_factory=SemanticScholarSettings)
    openalex: OpenAlexSettings = Field(default_factory=OpenAlexSettings)
    arxiv: ArxivSettings = Field(default_factory=ArxivSettings)
    max_attempts: int = Field(default=4, ge=1, le=10, description="Tries per request on 429, 5xx or a timeout.")
    backoff_s: float = Field(default=1.0, ge=0.0, description="First backoff; doubles per retry (with jitter).")
    max_wait_s: float = Field(
        default=60.0, ge=0.0,
        description="Longest wait for one retry; a Retry-After beyond it fails the source (the chain moves on).",
    )
    cache: bool = Field(default=True, description="Keep answers in an on-disk HTTP cache (hishel, SQLite).")
    cache_dir: str = Field(
        default_factory=lambda: str(cache_dir("http")),
        description="Where the HTTP cache lives (default ~/.cache/proctor/http).",
    )
    cache_ttl_s: float | None = Field(
        default=30 * 24 * 3600.0, description="Seconds a cached answer is reused (None: for ever)."
    )
    index_dir: str | None = Field(
        default=None,
        description="Local index of what online search found (abstracts, full-text paragraphs); None: "
        "<retrieval.index_dir>/online. Kept apart from the main index so the default corpus stays as built.",
    )
    fulltext_papers: int = Field(
        default=3, ge=0, le=20, description="Closest online papers whose open-access PDF is fetched (0: none)."
    )
    pdf_max_bytes: int = Field(default=25_000_000, ge=1000, description="Larger PDFs are skipped as huge.")
    pdf_max_pages: int = Field(default=80, ge=1, description="PDFs with more pages are skipped as huge.")

    def source(self, name: str) -> OnlineSourceSettings:
        """The settings of source ``name`` (``semantic_scholar``, ``openalex``, ``arxiv``)."""
        value = getattr(self, name, None)
        if not isinstance(value, OnlineSourceSettings):
            raise KeyError(f"no online source settings named {name!r}")
        return value


class RetrievalSettings(BaseModel):
    """Literature index, embedding model, chunking, search and novelty thresholds."""

    model_config = ConfigDict(extra="forbid")

    embedder: str = Field(
        default="minilm-int8",
        description="Registered embedder name: minilm-int8 (the default: all-MiniLM-L6-v2 as int8 ONNX, about 2.5x "
        "faster on CPU, same Recall@10 on ICLR 2022), minilm (the same model on PyTorch), hashing (tests); or a "
        "sentence-transformers model path/name that is available locally (nothing is downloaded). Each embedder "
        "has its own index collection.",
    )
    index_dir: str = Field(
        default_factory=lambda: str(cache_dir("index")),
        description="Where the chromadb index lives (default ~/.cache/proctor/index).",
    )
    device: str | None = Field(
        default=None, description="Torch device for the embedder (cuda, cpu...); None picks CUDA when present."
    )
    batch_size: int = Field(default=64, ge=1, description="Texts embedded per batch.")
    hashing_dim: int = Field(default=256, ge=8, description="Vector size of the `hashing` test embedder.")
    chunk_min_chars: int = Field(
        default=200, ge=0, description="Paragraphs shorter than this merge with the next one in their section."
    )
    chunk_max_chars: int = Field(
        default=1200,
        ge=100,
        description="Paragraphs longer than this are split at sentence boundaries (MiniLM reads ~256 tokens).",
    )
    skip_sections: list[str] = Field(
        default_factory=lambda: ["references", "bibliography", "acknowledgements", "acknowledgments"],
        description="Sections (lower-case heading text) whose paragraphs are not indexed.",
    )
    server_url: str | None = Field(
        default=None,
        description="URL of a `chroma run` server (e.g. http://localhost:8765); None opens index_dir directly.",
    )
    server_port: int = Field(default=8765, description="Port `proctor corpus serve` listens on.")
    shared_dir: str | None = Field(
        default=None,
        description="The shared data folder; None looks for ../shared next to the repository root (one "
        "configured location among others, see default_corpus).",
    )
    default_corpus: str = Field(
        default="data/abstracts/ml-venues-2020-2024.jsonl.gz",
        description="The default literature: an absolute path, or a path relative to shared_dir; a copy "
        "downloaded from default_corpus_urls is looked for in ~/.cache/proctor/corpus too.",
    )
    search_mode: SearchMode = Field(
        default="two_stage",
        description="two_stage: papers first, then paragraphs inside them; paragraph or paper: one stage.",
    )
    top_k: int = Field(default=10, ge=1, description="Passages returned per query.")
    top_papers: int = Field(default=20, ge=1, description="Papers kept by the first stage of two_stage search.")
    paper_weight: float = Field(
        default=0.3, ge=0.0, le=1.0, description="Weight of the paper score in a two_stage passage score."
    )
    max_per_paper: int = Field(default=3, ge=1, description="At most this many passages of one paper per query.")
    novelty_threshold: float = Field(
        default=0.75,
        ge=-1.0,
        le=1.0,
        description="Cosine similarity of an idea to a passage at or above which the idea looks already known.",
    )
    duplicate_threshold: float = Field(
        default=0.9, ge=-1.0, le=1.0, description="Cosine similarity at or above which two ideas are duplicates."
    )
    lock_timeout_s: float = Field(
        default=0.0, ge=0.0, description="Seconds a writer waits for the index lock before IndexLocked."
    )
    corpus_dir: str = Field(
        default_factory=lambda: str(cache_dir("corpus")),
        description="Where a default corpus downloaded from default_corpus_urls is kept (~/.cache/proctor/corpus).",
    )
    default_corpus_urls: list[str] = Field(
        default_factory=lambda: list(DEFAULT_CORPUS_URLS),
        description="The default corpus's public source (JSON arrays of paper records), fetched by "
        "`proctor corpus build-default --download` (or when online.enabled) when no local copy is found.",
    )
    online: OnlineSettings = Field(default_factory=OnlineSettings, description="Online literature search.")
