"""Paper review: the NeurIPS-form reviewer, its meta-review, and its evaluation on ICLR 2022.

A reviewer (``@reviewer("name")``, the :data:`REVIEWERS` registry; default ``neurips``) turns a paper's text into a
:class:`ReviewForm` the way the AI Scientist does: a draft, reflection rounds, an ensemble of
seeded reviews and a meta-review whose scores are the ensemble's means and whose decision is
``Overall >= review.accept_threshold``. Every call uses the gateway's ``reviewer`` role, so the
reviewer can be a different model from the author. :func:`review_paper` is the workflow's entry
point; :mod:`proctor.review._bench` and :func:`evaluate_reviews` measure a reviewer against the
real ICLR 2022 decisions with the metric code that reproduces the AI Scientist's published figures.
Beside the form, :func:`evidence_checklist` scores what the paper's own files show (seeds, intervals,
verdicts, evaluation integrity, unsupported claims, empty sections, novelty), computed by code, and
answers that only repeat the form are retried, then marked missing (:func:`scrub_echoes`).
"""

from proctor.review._aggregate import aggregate_reviews, decide, mean_scores
from proctor.review._bench import (
    PUBLISHED_CSV,
    BenchMissing,
    BenchResult,
    BenchRow,
    find_bench_dir,
    run_bench,
    sample_papers,
)
from proctor.review._checklist import CheckItem, Checklist, evidence_checklist
from proctor.review._events import ReviewEvent
from proctor.review._form import SCORE_RANGES, ReviewForm, ReviewText, echoes_form, scrub_echoes
from proctor.review._metrics import (
    ReviewMetrics,
    evaluate_reviews,
    load_decisions,
    load_overall,
    review_metrics,
    roc_auc,
    score_reviews,
)
from proctor.review._paper_text import PaperTextError, load_paper_text, truncate_paper
from proctor.review._review_paper import review_paper, write_review
from proctor.review._reviewer import (
    REVIEWERS,
    Reviewer,
    ReviewResult,
    build_reviewer,
    neurips_reviewer,
    reviewer,
)
from proctor.settings import ReviewSettings, review_settings

__all__ = [
    "BenchMissing",
    "BenchResult",
    "BenchRow",
    "CheckItem",
    "Checklist",
    "PUBLISHED_CSV",
    "PaperTextError",
    "REVIEWERS",
    "ReviewEvent",
    "ReviewForm",
    "ReviewMetrics",
    "ReviewResult",
    "ReviewSettings",
    "ReviewText",
    "Reviewer",
    "SCORE_RANGES",
    "aggregate_reviews",
    "build_reviewer",
    "decide",
    "echoes_form",
    "evaluate_reviews",
    "evidence_checklist",
    "find_bench_dir",
    "load_decisions",
    "load_overall",
    "load_paper_text",
    "mean_scores",
    "neurips_reviewer",
    "review_metrics",
    "review_paper",
    "review_settings",
    "reviewer",
    "roc_auc",
    "run_bench",
    "sample_papers",
    "score_reviews",
    "scrub_echoes",
    "truncate_paper",
    "write_review",
]
