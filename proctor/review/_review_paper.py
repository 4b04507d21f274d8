"""The review stage's entry point for the workflow and the CLI: review a text, write the files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from proctor.log import atomic_write
from proctor.review._checklist import Checklist
from proctor.review._reviewer import ReviewResult, build_reviewer
from proctor.settings import ReviewSettings

REVIEW_JSON, REVIEW_MD = "review.json", "review.md"


async def review_paper(
    text: str, settings: Any, *, out_dir: Path | None = None, review: ReviewSettings | None = None,
    checklist: Checklist | None = None,
) -> ReviewResult:
    """Review a paper's text with the configured reviewer (role ``reviewer``).

    Args:
        text: The paper (LaTeX, Markdown or text extracted from a PDF).
        settings: Root settings; ``settings.review`` configures the reviewer (defaults when absent).
        out_dir: When given, ``review.json`` and ``review.md`` are written there.
        review: Review settings overriding ``settings.review``.
        checklist: The paper's evidence checklist, kept with the review and written beside it.

    Returns:
        The final review (the meta-review with an ensemble) and the individual reviews.

    Raises:
        PaperTextError: when ``text`` is empty.
        BudgetExceeded, ModelUnavailable, StructuredOutputError: from the model gateway.
        UnknownComponent: when ``review.reviewer`` names no registered reviewer.
    """
    result = await build_reviewer(settings, review)(text)
    if checklist is not None:
        result = result.model_copy(update={"checklist": checklist})
    if out_dir is not None:
        write_review(result, Path(out_dir))
    return result


def write_review(result: ReviewResult, out_dir: Path) -> tuple[Path, Path]:
    """Write ``review.json`` and ``review.md`` into ``out_dir`` (created if needed), atomically.

    Returns:
        The two paths.
    """
    json_path, md_path = out_dir / REVIEW_JSON, out_dir / REVIEW_MD
    atomic_write(json_path, (json.dumps(result.to_json_dict(), indent=2) + "\n").encode())
    atomic_write(md_path, result.to_markdown().encode())
    return json_path, md_path
