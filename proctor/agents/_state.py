"""The research run's graph state and the structured outputs its nodes ask models for.

State values are plain JSON-able data (dicts, lists, strings) so checkpoints stay readable and
portable across versions; pydantic models validate at the boundaries.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Idea(BaseModel):
    """A research idea, in the AI Scientist's ``seed_ideas.json`` shape."""

    model_config = ConfigDict(populate_by_name=True)

    Name: str = Field(description="Short snake_case identifier.", min_length=3, max_length=40)
    Title: str = Field(description="Title of the paper the idea would become.", min_length=8, max_length=120)
    Experiment: str = Field(description="What to run and measure.", min_length=20, max_length=300)
    Interestingness: int = Field(ge=1, le=10)
    Feasibility: int = Field(ge=1, le=10)
    Novelty: int = Field(ge=1, le=10)

    @field_validator("Name")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        # Not a schema pattern: grammar engines drop length bounds on patterned strings.
        name = re.sub(r"[^a-z0-9]+", "_", value.lower()).strip("_")
        return name if name and name[0].isalpha() else f"idea_{name}"
