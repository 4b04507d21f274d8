"""The NeurIPS-style review form, as the AI Scientist's reviewer fills it in.

Field names are Python identifiers; their aliases are the form's own headings (``"Ethical
Concerns"``), which is what models write and what the released ICLR 2022 review CSVs use as
columns; ``model_dump()`` keys by those headings too (``serialize_by_alias``).

Bounds: lists carry ``maxItems`` in the JSON schema (free for the embedded model's grammar), and
text is cut to ``SUMMARY_CHARS``/``ITEM_CHARS`` on validation, never rejected, since a long
review is no reason to pay for a retry. ``maxLength`` is deliberately kept out of the schema:
xgrammar compiles this form in 0.2 s without it and in 45-95 s with it (measured on 2 CPU cores),
and the embedded engine bounds the whole reply by ``max_tokens`` anyway (it closes the JSON when
the budget is spent). The prompt states the limits.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

Decision = Literal["Accept", "Reject"]

SUMMARY_CHARS = 400
ITEM_CHARS = 160
MAX_ITEMS = 3

SCORE_RANGES: dict[str, tuple[int, int]] = {
    "Originality": (1, 4), "Quality": (1, 4), "Clarity": (1, 4), "Significance": (1, 4),
    "Soundness": (1, 4), "Presentation": (1, 4), "Contribution": (1, 4),
    "Overall": (1, 10), "Confidence": (1, 5),
}
"""Every numeric field of the form (by alias) with its inclusive range."""


def _clip_text(limit: int) -> BeforeValidator:
    def clip(value: Any) -> Any:
        return value[:limit] if isinstance(value, str) else value

    return BeforeValidator(clip)


def _clip_list(value: Any) -> Any:
    if isinstance(value, str):  # a model answering one paragraph where a list was asked
        value = [value]
    if isinstance(value, list):
        # punctuation-only items ("," from a small model) carry nothing; drop them before counting
        kept = [v for v in value if not isinstance(v, str) or any(c.isalnum() for c in v)]
        return [v[:ITEM_CHARS].strip() if isinstance(v, str) else v for v in kept[:MAX_ITEMS]]
    return value


Items = Annotated[list[str], BeforeValidator(_clip_list), Field(max_length=MAX_ITEMS)]
Summary = Annotated[str, _clip_text(SUMMARY_CHARS)]
Score4 = Annotated[int, Field(ge=1, le=4)]


class ReviewText(BaseModel):
    """The prose part of a review; a meta-review asks the model for only this."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    summary: Summary = Field(alias="Summary", description=f"What the paper does and claims, without "
                             f"critique (at most {SUMMARY_CHARS} characters).")
    strengths: Items = Field(alias="Strengths", description=f"Main strengths (each at most {ITEM_CHARS} characters).")
    weaknesses: Items = Field(alias="Weaknesses", description="Main weaknesses.")
    questions: Items = Field(alias="Questions", description="Questions whose answers could change the assessment.")
    limitations: Items = Field(alias="Limitations", description="Limitations and possible negative societal impact.")


class ReviewForm(BaseModel):
    """One filled-in NeurIPS review form (field order as in the AI Scientist's form).

    Scores: Originality, Quality, Clarity, Significance, Soundness, Presentation and
    Contribution 1-4 (low/poor to very high/excellent); Overall 1-10 (very strong reject to award
    quality); Confidence 1-5; Decision Accept or Reject.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    summary: Summary = Field(alias="Summary", description=f"What the paper does and claims, without "
                             f"critique (at most {SUMMARY_CHARS} characters).")
    strengths: Items = Field(alias="Strengths", description=f"Main strengths (each at most {ITEM_CHARS} characters).")
    weaknesses: Items = Field(alias="Weaknesses", description="Main weaknesses.")
    originality: Score4 = Field(alias="Originality", description="1 low, 2 medium, 3 high, 4 very high.")
    quality: Score4 = Field(alias="Quality", description="1 low, 2 medium, 3 high, 4 very high.")
    clarity: Score4 = Field(alias="Clarity", description="1 low, 2 medium, 3 high, 4 very high.")
    significance: Score4 = Field(alias="Significance", description="1 low, 2 medium, 3 high, 4 very high.")
    questions: Items = Field(alias="Questions", description="Questions whose answers could change the assessment.")
    limitations: Items = Field(alias="Limitations", description="Limitations and possible negative societal impact.")
    ethical_concerns: bool = Field(alias="Ethical Concerns", description="Whether an ethics review is needed.")
    soundness: Score4 = Field(alias="Soundness", description="1 poor, 2 fair, 3 good, 4 excellent.")
    presentation: Score4 = Field(alias="Presentation", description="1 poor, 2 fair, 3 good, 4 excellent.")
    contribution: Score4 = Field(alias="Contribution", description="1 poor, 2 fair, 3 good, 4 excellent.")
    overall: int = Field(alias="Overall", ge=1, le=10,
                         description="1 very strong reject ... 6 weak accept ... 10 award quality.")
    confidence: int = Field(alias="Confidence", ge=1, le=5, description="1 educated guess ... 5 certain.")
    decision: Decision = Field(alias="Decision", description="Accept or Reject.")

    def scores(self) -> dict[str, int]:
        """The numeric fields by their form heading (``{"Originality": 3, ...}``)."""
        data = self.model_dump(by_alias=True)
        return {name: int(data[name]) for name in SCORE_RANGES}

    def text(self) -> ReviewText:
        """The prose part of this review."""
        return ReviewText.model_validate(self.model_dump(include=set(ReviewText.model_fields)))

    def to_json_dict(self) -> dict[str, Any]:
        """The review keyed by form headings, as the released review CSVs and models write it."""
        return self.model_dump(by_alias=True, mode="json")

    def to_markdown(self, title: str = "Review", missing: list[str] | tuple[str, ...] = ()) -> str:
        """Render the review as Markdown: scores table first, then the prose sections (``missing``: the
        headings whose answers only repeated the form, said so rather than left blank)."""
        lines = [f"# {title}", "", f"**Decision: {self.decision}** (Overall {self.overall}/10, "
                 f"confidence {self.confidence}/5)", "", "| Criterion | Score |", "|---|---|"]
        for name, (_, top) in SCORE_RANGES.items():
            lines.append(f"| {name} | {self.scores()[name]}/{top} |")
        lines.append(f"| Ethical concerns | {'yes' if self.ethical_concerns else 'no'} |")
        gone = "_(missing: the model's answers only repeated the form)_"
        lines += ["", "## Summary", "", self.summary.strip() or (gone if "Summary" in missing else "_(none)_")]
        for heading, items in (("Strengths", self.strengths), ("Weaknesses", self.weaknesses),
                               ("Questions", self.questions), ("Limitations", self.limitations)):
            lines += ["", f"## {heading}", ""]
            lines += [f"- {item.strip()}" for item in items if item.strip()] or [
                gone if heading in missing else "_(none)_"]
        return "\n".join(lines) + "\n"


_TEXT_FIELDS = ("Summary", "Strengths", "Weaknesses", "Questions", "Limitations")
_FILLER = frozenset({"main", "the", "a", "an", "of", "and", "or", "none", "na", "n", "todo", "text", "here", "item",
                     "items", "point", "points", "list", "field", "answer", "review", "form", "score", "json"})
_FORM_WORDS = frozenset(w for f in ReviewForm.model_fields.values() if f.alias
                        for w in re.findall(r"[a-z]+", f.alias.lower())) | _FILLER


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def echoes_form(text: str, instructions: str = "") -> bool:
    """Whether an answer only repeats the form: nothing but field names and filler ("- Weaknesses",
    "Originality"), or a phrase copied from the instructions (``instructions``: the prompt without the paper)."""
    norm = _normal(text)
    if not norm or all(w in _FORM_WORDS for w in norm.split()):
        return True
    return len(norm) >= 8 and norm in _normal(instructions)


def scrub_echoes(form: ReviewForm, instructions: str = "") -> tuple[ReviewForm, list[str]]:
    """``form`` without the answers that only repeat the form, and the headings that had any."""
    data = form.model_dump(by_alias=True)
    echoed: list[str] = []
    for heading in _TEXT_FIELDS:
        value = data[heading]
        if isinstance(value, str):
            if value.strip() and echoes_form(value, instructions):
                data[heading], echoed = "", [*echoed, heading]
            continue
        kept = [item for item in value if not echoes_form(item, instructions)]
        if len(kept) != len(value):
            data[heading], echoed = kept, [*echoed, heading]
    return ReviewForm.model_validate(data), echoed
