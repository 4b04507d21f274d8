"""Meta-review aggregation: numeric scores are the ensemble's means, the decision is a threshold.

As in the AI Scientist's ensemble, the meta-reviewer model only writes prose; each numeric field
is the mean of the members' scores, rounded half up, so a model cannot drift from its reviewers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from proctor.review._form import SCORE_RANGES, Decision, ReviewForm, ReviewText


def round_half_up(value: float) -> int:
    """Round to the nearest integer, halves up (5.5 -> 6), unlike Python's banker's rounding."""
    return math.floor(value + 0.5)


def decide(overall: int, threshold: int) -> Decision:
    """``Accept`` when ``overall >= threshold``, else ``Reject``."""
    return "Accept" if overall >= threshold else "Reject"


def mean_scores(reviews: Sequence[ReviewForm]) -> dict[str, int]:
    """Each numeric field's mean over ``reviews``, rounded half up and kept in range.

    Raises:
        ValueError: when ``reviews`` is empty.
    """
    if not reviews:
        raise ValueError("cannot aggregate zero reviews")
    out = {}
    for name, (low, high) in SCORE_RANGES.items():
        mean = sum(r.scores()[name] for r in reviews) / len(reviews)
        out[name] = min(high, max(low, round_half_up(mean)))
    return out


def closest_to_mean(reviews: Sequence[ReviewForm]) -> ReviewForm:
    """The review whose Overall is closest to the ensemble mean (the first on ties)."""
    mean = sum(r.overall for r in reviews) / len(reviews)
    return min(reviews, key=lambda r: abs(r.overall - mean))


def aggregate_reviews(
    reviews: Sequence[ReviewForm], threshold: int, text: ReviewText | None = None
) -> ReviewForm:
    """The meta-review of ``reviews``.

    1. Numeric fields: :func:`mean_scores`.
    2. Ethical concerns: flagged when any member flags them (an ethics check is cheap to ask for).
    3. Prose: ``text`` (the meta-reviewer's), else that of :func:`closest_to_mean`.
    4. Decision: :func:`decide` on the aggregated Overall.

    Raises:
        ValueError: when ``reviews`` is empty.
    """
    scores = mean_scores(reviews)
    prose = text if text is not None else closest_to_mean(reviews).text()
    return ReviewForm.model_validate({
        **prose.model_dump(by_alias=True),
        **scores,
        "Ethical Concerns": any(r.ethical_concerns for r in reviews),
        "Decision": decide(scores["Overall"], threshold),
    })
