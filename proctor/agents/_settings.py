"""Workflow settings (the ``workflow`` section of the settings tree)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class WorkflowSettings(BaseModel):
    """Shape of a research run."""

    model_config = ConfigDict(extra="forbid")

    num_ideas: int = Field(default=2, ge=1, le=50, description="Ideas proposed per direction.")
    reflection_rounds: int = Field(default=1, ge=0, le=10, description="Self-critique rounds per idea.")
    seed: int = Field(default=0, description="Seed for sampling and experiments.")
