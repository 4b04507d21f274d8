"""Metric code: hand-computed values, edge cases, and the published AI Scientist figures."""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.metrics import roc_auc_score

from proctor.review import (
    PUBLISHED_CSV,
    BenchMissing,
    evaluate_reviews,
    find_bench_dir,
    load_overall,
    review_metrics,
    roc_auc,
)

LABELS = [True, True, True, False, False, False, False, False]
OVERALL = [8.0, 6.0, 4.0, 7.0, 5.0, 3.0, 2.0, 6.0]


def test_hand_computed_example() -> None:
    # predictions at >= 6: TP 2 (8, 6), FN 1 (4), FP 2 (7, 6), TN 3 (5, 3, 2)
    m = review_metrics(LABELS, OVERALL, threshold=6)
    assert (m.n, m.positives, m.predicted_positives) == (8, 3, 4)
    assert m.accuracy == pytest.approx(5 / 8)
    assert m.balanced_accuracy == pytest.approx((2 / 3 + 3 / 5) / 2)
    assert m.f1 == pytest.approx(4 / 7)
    assert m.fpr == pytest.approx(2 / 5) and m.fnr == pytest.approx(1 / 3)
    assert m.auc == pytest.approx(m.balanced_accuracy)  # AUC of 0/1 predictions
    # by Overall: 8 beats 5 rejects, 6 beats 3 and ties 1, 4 beats 2: 10.5 of 15 pairs
    assert m.auc_overall == pytest.approx(10.5 / 15)


def test_auc_agrees_with_sklearn_under_ties() -> None:
    labels = [i % 3 == 0 for i in range(60)]
    scores = [float((i * 7) % 10) for i in range(60)]
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))


def test_degenerate_inputs() -> None:
    m = review_metrics([True, True], [7, 3])
    assert m.auc is None and m.auc_overall is None and m.fpr is None
    assert m.balanced_accuracy == pytest.approx(0.5)  # recall of the only class present
    assert review_metrics([True, False], [2, 3]).f1 == 0.0  # nothing predicted accepted
    with pytest.raises(ValueError, match="no papers"):
        review_metrics([], [])
    with pytest.raises(ValueError, match="2 labels but 1 scores"):
        review_metrics([True, False], [3])


def test_unusable_overall_counts_as_missing(tmp_path: Path) -> None:
    reviews = tmp_path / "r.csv"
    reviews.write_text("paper_id,Overall\na,7\nb,\nc,n/a\nd,3\nzzz,9\n")
    ratings = tmp_path / "t.tsv"
    ratings.write_text("paper_id\t0\tdecision\na\t6\tAccept (Poster)\nb\t5\tReject\nc\t3\tReject\nd\t3\tReject\n")
    assert load_overall(reviews)["b"] is None
    m = evaluate_reviews(reviews, ratings)
    assert (m.n, m.missing, m.balanced_accuracy) == (2, 2, 1.0)  # zzz has no decision: ignored


def _bench() -> Path:
    try:
        return find_bench_dir()
    except BenchMissing as exc:
        pytest.skip(f"../shared is absent: {exc}")


def test_reproduces_the_published_figures() -> None:
    """gpt-4o, 1-shot, reflect 5, ensemble 5, accept at Overall >= 6 (Lu et al. 2024, Table 1)."""
    bench = _bench()
    m = evaluate_reviews(bench / "llm_reviews" / PUBLISHED_CSV, bench / "ratings_subset.tsv", threshold=6)
    assert m.n == 500 and m.missing == 0
    assert round(m.balanced_accuracy, 2) == 0.65
    assert round(m.f1, 2) == 0.57
    assert m.auc is not None and round(m.auc, 2) == 0.65
    assert m.fpr is not None and round(m.fpr, 2) == 0.31
    assert m.auc_overall is not None and round(m.auc_overall, 2) == 0.69  # the ranking AUC is higher
