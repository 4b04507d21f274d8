"""Retrieval settings (the ``retrieval`` section of the settings tree)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from proctor.paths import cache_dir

SearchMode = Literal["two_stage", "paragraph", "paper"]


class RetrievalSettings(BaseModel):
    """Literature index, embedding model, chunking, search and novelty thresholds."""

    model_config = ConfigDict(extra="forbid")

    embedder: str = Field(
        default="minilm",
        description="Registered embedder name (minilm, hashing), or a sentence-transformers model path/name "
        "that is available locally (nothing is downloaded).",
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
        description="The shared data folder; None looks for ../shared next to the repository root.",
    )
    default_corpus: str = Field(
        default="data/abstracts/ml-venues-2020-2024.jsonl.gz",
        description="The default literature, relative to shared_dir.",
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
