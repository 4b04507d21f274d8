"""Helpers for the review tests: review JSON and scripted reviewer models."""

from __future__ import annotations

import json
from typing import Any

from proctor.llm import LLMSettings
from proctor.review import ReviewSettings
from proctor.settings import Settings

PAPERS = {"p1": ("Accept (Poster)", 7), "p2": ("Reject", 4), "p3": ("Accept (Oral)", 5),
          "p4": ("Reject", 6), "p5": ("Reject", 3), "p6": ("Accept (Spotlight)", 8)}
"""The miniature bench: paper id -> (decision, the Overall its scripted review gives)."""


def form(overall: int = 5, **changes: Any) -> dict[str, Any]:
    """A valid review (form headings as keys) with ``Overall`` and any other field changed."""
    data: dict[str, Any] = {
        "Summary": "The paper proposes a method.", "Strengths": ["Clear"], "Weaknesses": ["Small study"],
        "Originality": 2, "Quality": 3, "Clarity": 3, "Significance": 2, "Questions": ["Why?"],
        "Limitations": ["One data set"], "Ethical Concerns": False, "Soundness": 3, "Presentation": 3,
        "Contribution": 2, "Overall": overall, "Confidence": 4, "Decision": "Reject",
    }
    data.update(changes)
    return data


def as_json(**kw: Any) -> str:
    """:func:`form` as a JSON string."""
    return json.dumps(form(**kw))


def mock_settings(name: str = "rev") -> Settings:
    """Root settings whose reviewer role is the scripted model ``mock/<name>``."""
    return Settings(llm=LLMSettings(reviewer=f"mock/{name}", allow_mock=True, max_retries=0))


def review(**kw: Any) -> ReviewSettings:
    """Review settings with ``kw`` changed."""
    return ReviewSettings(**kw)


def is_reflection(messages: list[dict[str, Any]]) -> bool:
    """Whether a request is a reflection round (its last message asks for one)."""
    return str(messages[-1]["content"]).startswith("Round ")


def is_meta(messages: list[dict[str, Any]]) -> bool:
    """Whether a request asks for the meta-review."""
    return "area chair" in str(messages[-1]["content"])
