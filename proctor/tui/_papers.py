"""Papers on disk: the write-up, its AI review, a human review and the publication decision.

A run writes each idea's paper to ``<run>/papers/<idea>/paper.md`` and the AI review next to it
(``review.json``/``review.md``). The UI adds two files there:

* ``human_review.json``: the NeurIPS form keyed by its headings, exactly what
  :class:`proctor.review.ReviewForm` validates (plus ``human_review.md`` naming the reviewer);
* ``publication.json``: ``{"decision": "accept"|"reject", "reviewer", "at", "rationale",
  "paper", "paper_sha256"}``; the hash ties the decision to the text that was read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from proctor.log import RunDir, atomic_write, utcnow

PublicationDecision = Literal["accept", "reject"]
SCORES: dict[str, tuple[int, int]] = {
    "Originality": (1, 4), "Quality": (1, 4), "Clarity": (1, 4), "Significance": (1, 4),
    "Soundness": (1, 4), "Presentation": (1, 4), "Contribution": (1, 4),
    "Overall": (1, 10), "Confidence": (1, 5),
}
"""The form's numeric fields with their inclusive ranges (as ``proctor.review.SCORE_RANGES``)."""
TEXTS = ("Summary",)
LISTS = ("Strengths", "Weaknesses", "Questions", "Limitations")


class LocalReviewForm(BaseModel):
    """Fallback with the fields of ``proctor.review.ReviewForm``, used only when it cannot be imported."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    summary: str = Field(alias="Summary", max_length=400)
    strengths: list[str] = Field(alias="Strengths", max_length=3)
    weaknesses: list[str] = Field(alias="Weaknesses", max_length=3)
    originality: int = Field(alias="Originality", ge=1, le=4)
    quality: int = Field(alias="Quality", ge=1, le=4)
    clarity: int = Field(alias="Clarity", ge=1, le=4)
    significance: int = Field(alias="Significance", ge=1, le=4)
    questions: list[str] = Field(alias="Questions", max_length=3)
    limitations: list[str] = Field(alias="Limitations", max_length=3)
    ethical_concerns: bool = Field(alias="Ethical Concerns")
    soundness: int = Field(alias="Soundness", ge=1, le=4)
    presentation: int = Field(alias="Presentation", ge=1, le=4)
    contribution: int = Field(alias="Contribution", ge=1, le=4)
    overall: int = Field(alias="Overall", ge=1, le=10)
    confidence: int = Field(alias="Confidence", ge=1, le=5)
    decision: Literal["Accept", "Reject"] = Field(alias="Decision")


def review_form_model() -> type[BaseModel]:
    """``proctor.review.ReviewForm`` when importable, else :class:`LocalReviewForm`."""
    try:
        from proctor.review import ReviewForm
    except ImportError:
        return LocalReviewForm
    return ReviewForm


@dataclass(frozen=True)
class PaperRef:
    """One idea's paper directory inside a run."""

    run: Path
    idea: str

    @property
    def dir(self) -> Path:
        """``<run>/papers/<idea>``."""
        return self.run / "papers" / self.idea

    @property
    def key(self) -> str:
        """Unique across runs."""
        return f"{self.run.name}/{self.idea}"


def list_papers(root: Path) -> list[PaperRef]:
    """Every ``papers/<idea>/paper.md`` under the runs directory, newest run first."""
    out = []
    for run in reversed(RunDir.all(root)):
        out += [PaperRef(run.path, p.parent.name) for p in sorted(run.path.glob("papers/*/paper.md"))]
    return out


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object file, or None when it is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def paper_markdown(paper: PaperRef) -> str:
    """The paper's Markdown, or a note saying why it cannot be shown."""
    try:
        return (paper.dir / "paper.md").read_text(encoding="utf-8")
    except OSError:
        return f"_The paper `{paper.key}` is gone (the run or the paper was deleted)._"


def ai_review_markdown(paper: PaperRef) -> str:
    """The AI review as Markdown (``review.md``, else rendered from ``review.json``)."""
    try:
        return (paper.dir / "review.md").read_text(encoding="utf-8")
    except OSError:
        pass
    data = read_json(paper.dir / "review.json")
    if data is None:
        return "_No AI review yet._"
    form = data.get("review", data)
    return "# AI review\n\n" + "\n".join(f"- **{k}**: {v}" for k, v in form.items())


def human_review(paper: PaperRef) -> dict[str, Any] | None:
    """The recorded human review (form keyed by headings), if any."""
    return read_json(paper.dir / "human_review.json")


def publication(paper: PaperRef) -> dict[str, Any] | None:
    """The recorded publication decision, if any."""
    return read_json(paper.dir / "publication.json")


def _require(paper: PaperRef) -> None:
    if not (paper.run / "run.json").exists() or not paper.dir.is_dir():
        raise FileNotFoundError(f"{paper.key} was deleted; nothing was written")


def write_human_review(paper: PaperRef, form: dict[str, Any], *, reviewer: str) -> Path:
    """Validate ``form`` (keyed by headings) and write ``human_review.json`` and ``.md``.

    Raises:
        pydantic.ValidationError: when the form is incomplete or out of range.
        FileNotFoundError: when the run or paper was deleted (nothing is recreated).
    """
    model = review_form_model().model_validate(form)
    _require(paper)
    data = model.model_dump(by_alias=True, mode="json")
    path = paper.dir / "human_review.json"
    atomic_write(path, (json.dumps(data, indent=2) + "\n").encode())
    title = f"Human review by {reviewer}, {utcnow():%Y-%m-%d %H:%M} UTC"
    to_md = getattr(model, "to_markdown", None)
    md = to_md(title) if callable(to_md) else f"# {title}\n\n```json\n{json.dumps(data, indent=2)}\n```\n"
    atomic_write(paper.dir / "human_review.md", md.encode())
    return path


def write_publication(paper: PaperRef, decision: PublicationDecision, *, reviewer: str, rationale: str) -> Path:
    """Record accept or reject for publication in ``publication.json``.

    Raises:
        FileNotFoundError: when the run or paper was deleted (nothing is recreated).
    """
    _require(paper)
    text = (paper.dir / "paper.md").read_bytes()
    body = {"decision": decision, "reviewer": reviewer, "at": utcnow().isoformat(), "rationale": rationale,
            "paper": f"papers/{paper.idea}/paper.md", "paper_sha256": hashlib.sha256(text).hexdigest()}
    path = paper.dir / "publication.json"
    atomic_write(path, (json.dumps(body, indent=2) + "\n").encode())
    return path
