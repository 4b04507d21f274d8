"""The paper's data: the prose it is given, the references it cites, and the files it wrote."""

from __future__ import annotations

from pydantic import BaseModel, Field

from proctor.paper._claims import UnsupportedClaim  # noqa: TC001
from proctor.paper._stats import Comparison  # noqa: TC001


class Prose(BaseModel):
    """The paper's prose, one field per section (plain text, never trusted to hold markup)."""

    title: str
    abstract: str
    introduction: str
    method: str
    results_discussion: str
    conclusion: str


class Reference(BaseModel):
    """A cited paper from the literature index."""

    key: str
    title: str
    authors: str = Field(default="", description="Comma-separated; empty when the index does not record them.")
    year: int | str = "n.d."
    venue: str = ""
    url: str = ""


class Paper(BaseModel):
    """Paths of the written paper and its claim check."""

    markdown: str
    html: str
    tex: str
    bib: str
    pdf: str | None = None
    unsupported: list[UnsupportedClaim] = Field(default_factory=list)
    comparisons: list[Comparison] = Field(default_factory=list, description="the harness's statistics")
    integrity: list[str] = Field(default_factory=list, description="evaluation-integrity flags")
