"""Retrieval settings (the ``retrieval`` section of the settings tree)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RetrievalSettings(BaseModel):
    """Literature index and embedding model."""

    model_config = ConfigDict(extra="forbid")

    embedder: str = Field(
        default="minilm", description="Registered embedder name, or a sentence-transformers path/name."
    )
    index_dir: str = Field(default="~/.cache/proctor/index", description="Where the chromadb index lives.")
