"""Workflow settings (the ``workflow`` section of the settings tree)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class WorkflowSettings(BaseModel):
    """Shape of a research run."""

    model_config = ConfigDict(extra="forbid")

    num_ideas: int = Field(default=2, ge=1, le=50, description="Ideas proposed per direction.")
    seed: int = Field(default=0, description="Seed for sampling and experiments.")
    reflection_rounds: int = Field(
        default=0, ge=0, le=10,
        description="Self-critique rounds per idea (0 for small base models, which tend to loop).",
    )
    novelty_rounds: int = Field(default=2, ge=1, le=10, description="Query-writing rounds of the novelty check.")
    novelty_evidence: int = Field(default=5, ge=1, le=20, description="Passages the novelty verdict reads.")
    template: str = Field(default="tabular_classification", description="Experiment template name or path.")
    seeds: int = Field(
        default=3, ge=1, le=20,
        description="Seeds per condition (the baseline and each idea run on the same seeds), so every comparison "
        "gets an interval and a test; fewer when seeds_budget_s says they would not fit.")
    seeds_budget_s: float = Field(
        default=900.0, gt=0,
        description="Wall-time cap, in seconds, for one idea's seeded runs (baseline and idea together): when the "
        "first baseline run shows that workflow.seeds per condition would not fit, fewer run and the paper says so.")
    runs_per_idea: int = Field(
        default=1, ge=1, le=10,
        description="Planned runs per idea (AI Scientist style): each later run sees the results so far and "
        "proposes the next change; each becomes a condition (idea_1, idea_2, ...) of the results table.",
    )
    max_experiment_attempts: int = Field(
        default=2, ge=1, le=10, description="Configurations tried per idea when runs fail (each sees the error)."
    )
    experiment_mode: Literal["auto", "knobs", "code", "constants"] = Field(
        default="auto",
        description="How an idea becomes an experiment: knob values (knobs.json), search/replace edits to "
        "experiment.py (code), new values of its module-level constants written as line edits (constants), or "
        "auto: knobs when the template has knobs.json, else constants for local/ models and code for the rest.",
    )
    edit_anchors: Literal["auto", "lines", "free"] = Field(
        default="auto",
        description="Code edits' search text: one of experiment.py's own lines (lines, for small models), any "
        "exact snippet (free), or auto: lines for the embedded local/ models, free for the rest.",
    )
    skip_duplicates: bool = Field(
        default=True,
        description="Skip experiments, write-up and review of an idea the novelty check flags as a near-duplicate "
        "of an earlier idea of the run or batch.",
    )
    stages: list[str] = Field(
        default_factory=lambda: ["novelty", "experiments", "writeup", "review"],
        description="Per-idea stages to run, in order (drop one to skip it).",
    )
    approve_ideas: bool = Field(default=False, description="Pause for a human to approve the idea list.")
    approve_paper: bool = Field(default=False, description="Pause for a human to approve each paper before review.")
