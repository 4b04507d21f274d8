"""Settings of the review stage (nested as ``settings.review`` in the root settings)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ReviewSettings(BaseModel):
    """How papers are reviewed: rounds, ensemble, decision threshold and prompt size.

    The defaults suit the embedded ``local/gemma-3-270m`` on a CPU (one-shot prompt, a single draft,
    no ensemble, the paper cut to 6,000 characters: about a minute per review on 2 idle cores). The
    AI Scientist's best published setting adds ``num_reflections=4`` (its "reflect 5" counts the
    draft), ``ensemble_size=5`` and the whole paper (``max_paper_chars`` large).
    """

    model_config = ConfigDict(extra="forbid")

    reviewer: str = Field(default="neurips", description="Registered reviewer to use.")
    num_reflections: int = Field(
        default=0, ge=0, le=10,
        description="Reflection rounds after the draft; a round that changes nothing ends them early "
        "(0 by default: the embedded base model's reflections make its review worse; use 4 with an "
        "API model, as the AI Scientist's 'reflect 5').",
    )
    ensemble_size: int = Field(
        default=1, ge=1, le=10,
        description="Independent reviews (seeds seed, seed+1, ...) aggregated by a meta-review.",
    )
    accept_threshold: int = Field(
        default=6, ge=1, le=10, description="The final decision is Accept when Overall >= this.",
    )
    max_paper_chars: int = Field(
        default=6000, ge=500, description="The paper text is cut to this many characters in prompts.",
    )
    few_shot: bool = Field(
        default=True,
        description="Show one example review before the paper (the published best setting; base models "
        "need it to write the form instead of echoing the instructions).",
    )
    meta_review: bool = Field(
        default=True,
        description="With an ensemble, ask the model to write the meta-review's prose; "
        "otherwise take it from the review closest to the mean Overall.",
    )
    temperature: float = Field(default=0.1, ge=0.0, le=2.0, description="Temperature of a single review.")
    ensemble_temperature: float = Field(
        default=0.75, ge=0.0, le=2.0, description="Temperature of ensemble members (diversity).",
    )
    seed: int = Field(default=0, description="Seed of the first ensemble member; member i uses seed + i.")
    max_tokens: int = Field(default=600, ge=64, description="Completion token limit of one review call.")
    concurrency: int = Field(
        default=1, ge=1, le=16, description="Ensemble members reviewed at once (API models).",
    )
    venue: str = Field(
        default="a prestigious machine learning venue", description="Venue named in the reviewer prompt.",
    )
    bench_dir: str | None = Field(
        default=None,
        description="ICLR 2022 review bench (default: $PROCTOR_REVIEW_BENCH, else "
        "../shared/data/iclr2022-review-bench).",
    )


def review_settings(settings: Any) -> ReviewSettings:
    """``settings.review`` when the root settings nest it, else the defaults."""
    found = getattr(settings, "review", None)
    return found if isinstance(found, ReviewSettings) else ReviewSettings()
