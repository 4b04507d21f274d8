"""The typed event retrieval emits into a run's log."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from proctor.log import Event


class RetrievalEvent(Event):
    """A search, a novelty check or an ingest against the literature index."""

    event: Literal["retrieval"] = "retrieval"
    action: Literal["search", "novelty", "ingest"]
    index: str = Field(description="Index name (digest of embedder and chunker).")
    mode: str = Field(default="", description="Search mode, for searches and novelty checks.")
    queries: list[str] = Field(default_factory=list, description="Query texts (the idea included).")
    hits: int = Field(default=0, description="Passages returned.")
    top_score: float | None = Field(default=None, description="Best ranking score.")
    max_similarity: float | None = Field(default=None, description="Novelty: best passage similarity.")
    likely_known: bool | None = Field(default=None, description="Novelty: max_similarity >= threshold.")
    is_duplicate: bool | None = Field(default=None, description="Novelty: an earlier idea is a duplicate.")
    nearest_papers: list[str] = Field(default_factory=list, description="Novelty: nearest paper ids.")
    chunks: int = Field(default=0, description="Ingest: chunks embedded.")
    skipped: int = Field(default=0, description="Ingest: files or records skipped.")
    seconds: float = Field(default=0.0, description="Wall time.")
