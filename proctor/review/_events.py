"""The review stage's typed event: one per review the reviewer produces."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from proctor.log import Event

ReviewStage = Literal["draft", "reflection", "meta", "failed"]


class ReviewEvent(Event):
    """A draft, a reflection round, the meta-review, or an ensemble member that failed."""

    event: Literal["review"] = "review"
    reviewer: str = Field(description="Registry name of the reviewer.")
    model: str = Field(description="Model string of the reviewer role.")
    stage: ReviewStage
    member: int | None = Field(default=None, description="Ensemble member (None for the meta-review).")
    round: int = Field(default=0, description="Reflection round (0 for the draft).")
    overall: int | None = Field(default=None, description="Overall score, 1-10.")
    decision: Literal["Accept", "Reject"] | None = None
    converged: bool = Field(default=False, description="The reflection repeated the previous review.")
    seconds: float = Field(default=0.0, description="Wall time of this step.")
    detail: str = ""
