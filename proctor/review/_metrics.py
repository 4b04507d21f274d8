"""Metrics of a reviewer against real accept/reject decisions (the AI Scientist's ICLR benchmark).

A paper counts as predicted-accepted when its Overall score is at least the threshold (6, "weak
accept", in the AI Scientist's paper). Two AUCs are reported because the published one is not a
ranking AUC: the AI Scientist's figures (balanced accuracy 0.65, AUC 0.65 for gpt-4o) compute
ROC AUC on the thresholded 0/1 predictions, which for binary predictions equals balanced
accuracy. ``auc`` reproduces that; ``auc_overall`` ranks papers by the raw Overall score.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, Field


class ReviewMetrics(BaseModel):
    """Agreement of review scores with real decisions; positives are accepted papers."""

    n: int = Field(description="Papers with both a review and a decision.")
    positives: int = Field(description="Papers actually accepted.")
    predicted_positives: int = Field(description="Papers with Overall >= threshold.")
    threshold: float = Field(description="Overall score counted as an accept.")
    accuracy: float
    balanced_accuracy: float = Field(description="Mean of true-positive and true-negative rates.")
    f1: float = Field(description="F1 of the accept class (0 when nothing is predicted accepted).")
    auc: float | None = Field(description="ROC AUC of the 0/1 predictions (the published figure).")
    auc_overall: float | None = Field(description="ROC AUC of the Overall scores (ties count half).")
    fpr: float | None = Field(description="Rejected papers predicted accepted / rejected papers.")
    fnr: float | None = Field(description="Accepted papers predicted rejected / accepted papers.")
    missing: int = Field(default=0, description="Decided papers without a usable review (excluded).")


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def roc_auc(labels: Sequence[bool], scores: Sequence[float]) -> float | None:
    """ROC AUC by scikit-learn's ``roc_auc_score``: the chance that a positive outscores a negative.

    Ties count half.

    Returns:
        ``None`` when only one class is present.

    Raises:
        ValueError: when the lengths differ.
    """
    if len(labels) != len(scores):
        raise ValueError(f"{len(labels)} labels but {len(scores)} scores")
    y = [bool(label) for label in labels]
    if len(set(y)) < 2:
        return None
    from sklearn.metrics import roc_auc_score  # scikit-learn takes seconds to import; only metrics need it

    return float(roc_auc_score(y, [float(s) for s in scores]))


def review_metrics(
    labels: Sequence[bool], overall: Sequence[float], threshold: float = 6, missing: int = 0
) -> ReviewMetrics:
    """Balanced accuracy, F1, AUCs and error rates of Overall scores against decisions.

    Args:
        labels: Whether each paper was accepted.
        overall: Each paper's Overall score.
        threshold: Overall at or above which a paper counts as predicted-accepted.
        missing: Papers left out for want of a review (reported, not scored).

    Raises:
        ValueError: when the lengths differ or there are no papers.
    """
    if len(labels) != len(overall):
        raise ValueError(f"{len(labels)} labels but {len(overall)} scores")
    if not labels:
        raise ValueError("no papers to score; check that review and decision ids overlap")
    pred = [s >= threshold for s in overall]
    tp = sum(p and y for p, y in zip(pred, labels, strict=True))
    fp = sum(p and not y for p, y in zip(pred, labels, strict=True))
    fn = sum(not p and y for p, y in zip(pred, labels, strict=True))
    tn = len(labels) - tp - fp - fn
    tpr, tnr = _ratio(tp, tp + fn), _ratio(tn, tn + fp)
    rates = [r for r in (tpr, tnr) if r is not None]
    return ReviewMetrics(
        n=len(labels), positives=tp + fn, predicted_positives=tp + fp, threshold=threshold,
        accuracy=(tp + tn) / len(labels), balanced_accuracy=sum(rates) / len(rates),
        f1=2 * tp / (2 * tp + fp + fn) if tp else 0.0,
        auc=roc_auc(labels, [float(p) for p in pred]), auc_overall=roc_auc(labels, overall),
        fpr=_ratio(fp, fp + tn), fnr=_ratio(fn, fn + tp), missing=missing,
    )


def load_decisions(ratings_tsv: str | Path) -> dict[str, bool]:
    """``paper_id -> accepted`` from the bench's ``ratings_subset.tsv`` (``decision`` column).

    Raises:
        ValueError: when the file lacks ``paper_id`` or ``decision`` columns.
    """
    with open(ratings_tsv, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        if not {"paper_id", "decision"} <= set(reader.fieldnames or []):
            raise ValueError(f"{ratings_tsv}: expected 'paper_id' and 'decision' columns")
        return {row["paper_id"]: row["decision"].strip().startswith("Accept") for row in reader}


def load_overall(reviews_csv: str | Path) -> dict[str, float | None]:
    """``paper_id -> Overall`` from a reviews CSV (the released format); ``None`` when unusable.

    Raises:
        ValueError: when the file lacks ``paper_id`` or ``Overall`` columns.
    """
    csv.field_size_limit(1 << 30)  # review texts are long cells
    with open(reviews_csv, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not {"paper_id", "Overall"} <= set(reader.fieldnames or []):
            raise ValueError(f"{reviews_csv}: expected 'paper_id' and 'Overall' columns")
        out: dict[str, float | None] = {}
        for row in reader:
            try:
                value: float | None = float(row["Overall"])
            except (TypeError, ValueError):
                value = None
            out[row["paper_id"]] = value if value is not None and math.isfinite(value) else None
        return out


def score_reviews(
    overall: Mapping[str, float | None], decisions: Mapping[str, bool], threshold: float = 6
) -> ReviewMetrics:
    """Metrics over the papers that have a decision; decided papers without a score count as missing."""
    ids = [pid for pid in overall if pid in decisions and overall[pid] is not None]
    missing = sum(1 for pid in overall if pid in decisions and overall[pid] is None)
    return review_metrics([decisions[p] for p in ids], [float(overall[p] or 0) for p in ids],
                          threshold, missing=missing)


def evaluate_reviews(reviews_csv: str | Path, ratings_tsv: str | Path, threshold: float = 6) -> ReviewMetrics:
    """Metrics of a reviews CSV against the decisions in a ratings TSV.

    Raises:
        ValueError: for files without the expected columns, or with no paper in common.
    """
    return score_reviews(load_overall(reviews_csv), load_decisions(ratings_tsv), threshold)
