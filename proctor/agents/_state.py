"""The research run's graph state and the structured outputs its nodes ask models for.

State values are plain JSON-able data (dicts, lists, strings) so checkpoints stay readable and
portable across versions; pydantic models validate at the boundaries.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from proctor.agents._text import clip

Clip40 = Annotated[str, clip(40)]
Clip120 = Annotated[str, clip(120)]
Clip500 = Annotated[str, clip(500)]


class Idea(BaseModel):
    """A research idea, in the AI Scientist's ``seed_ideas.json`` shape."""

    model_config = ConfigDict(populate_by_name=True)

    Name: Clip40 = Field(description="Short snake_case identifier.")
    Title: Clip120 = Field(description="Title of the paper the idea would become.")
    Experiment: Clip500 = Field(description="What to run and measure.")
    Interestingness: int = Field(ge=1, le=10)
    Feasibility: int = Field(ge=1, le=10)
    Novelty: int = Field(ge=1, le=10)

    @model_validator(mode="after")
    def _fill_blanks(self) -> Idea:
        # A small model may leave a field blank; derive it rather than lose the idea.
        if not self.Title:
            self.Title = self.Experiment[:80] or self.Name.replace("_", " ") or "Untitled idea"
        if not self.Experiment:
            self.Experiment = self.Title
        if not self.Name or self.Name.startswith("idea_") and len(self.Name) <= 5:
            self.Name = self._snake_case(self.Title)
        return self

    @field_validator("Name")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        # Not a schema pattern: grammar engines drop length bounds on patterned strings.
        name = re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_")[:40].rstrip("_")
        return name if name and name[0].isalpha() else f"idea_{name}"
