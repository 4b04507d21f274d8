"""The records retrieval works with: documents, chunks, passages, hits and the novelty signal."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Document(BaseModel):
    """One paper as read from a source file, before chunking."""

    model_config = ConfigDict(extra="forbid")

    paper_id: str = Field(description="Stable id of the paper (from the record, or the file stem).")
    title: str = Field(default="", description="Paper title, empty when unknown.")
    abstract: str = Field(default="", description="The abstract, empty when none was found.")
    text: str = Field(default="", description="Body text to chunk (may be the abstract alone).")
    source: str = Field(description="The file (or file::member) this paper came from.")
    year: int | None = Field(default=None, description="Publication year, when known.")
    venue: str = Field(default="", description="Venue or conference, when known.")
    authors: str = Field(default="", description="Authors, comma-separated, when the record lists them.")


class Chunk(BaseModel):
    """A paragraph-level piece of a document's text."""

    model_config = ConfigDict(extra="forbid")

    section: str = Field(description="Heading of the section this paragraph belongs to ('' when none).")
    start: int = Field(description="Character offset of the chunk's first character in Document.text.")
    end: int = Field(description="Character offset one past the chunk's last character.")
    text: str = Field(description="The chunk text (Document.text[start:end]).")


class Passage(BaseModel):
    """A stored chunk with its paper metadata."""

    model_config = ConfigDict(extra="forbid")

    chunk_id: str = Field(description="Deterministic id: paper id, offsets and a hash of the text.")
    paper_id: str
    title: str = ""
    section: str = ""
    start: int = 0
    end: int = 0
    text: str = ""
    source: str = ""
    year: int | None = None
    venue: str = ""
    authors: str = ""


class Hit(BaseModel):
    """One ranked search result."""

    model_config = ConfigDict(extra="forbid")

    passage: Passage
    score: float = Field(description="Ranking score (cosine similarity, or the two_stage blend).")
    similarity: float = Field(description="Cosine similarity of the query to this passage.")
    paper_score: float | None = Field(default=None, description="Cosine similarity to the paper vector.")
    rank: int = Field(description="1-based rank within its query.")
    query: str = Field(description="The query that found it.")
    mode: str = Field(description="Search mode that produced it.")


class PaperMatch(BaseModel):
    """A paper near the idea, with its best passage similarity."""

    model_config = ConfigDict(extra="forbid")

    paper_id: str
    title: str = ""
    similarity: float = Field(description="Highest cosine similarity of any of its passages to any query.")


class DuplicateMatch(BaseModel):
    """An earlier idea that is close to the new one."""

    model_config = ConfigDict(extra="forbid")

    index: int = Field(description="Position of the earlier idea in the list given.")
    text: str = Field(description="The earlier idea (first 300 characters).")
    similarity: float = Field(description="Cosine similarity of the two ideas' embeddings.")


class NoveltySignal(BaseModel):
    """The deterministic part of a novelty check (no LLM involved)."""

    model_config = ConfigDict(extra="forbid")

    max_similarity: float = Field(description="Highest cosine similarity of the idea or a query to a passage.")
    closest: Hit | None = Field(default=None, description="The passage that reached max_similarity.")
    nearest_papers: list[PaperMatch] = Field(default_factory=list, description="Papers by best similarity.")
    threshold: float = Field(description="novelty_threshold in force.")
    likely_known: bool = Field(description="max_similarity >= threshold.")
    duplicates: list[DuplicateMatch] = Field(
        default_factory=list, description="Earlier ideas at or above duplicate_threshold, closest first."
    )
    duplicate_threshold: float = Field(description="duplicate_threshold in force.")
    is_duplicate: bool = Field(description="True when any earlier idea is a duplicate.")


class NoveltyEvidence(BaseModel):
    """What the novelty node gets back: the evidence and the deterministic signal."""

    model_config = ConfigDict(extra="forbid")

    idea: str
    queries: list[str]
    hits: list[Hit] = Field(description="Passages for all queries, merged by chunk, best score first.")
    signal: NoveltySignal
    index: str = Field(description="Name of the index searched (collection digest).")
