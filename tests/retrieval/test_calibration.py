"""The novelty rule: a threshold chosen on labelled pairs (an idea vs its own paper, vs every other paper),
shipped per embedder, with a fallback to retrieval.novelty_threshold that says so."""

from __future__ import annotations

import numpy as np
import pytest

from proctor.retrieval import (
    CalibrationPaper,
    ChunkerConfig,
    HashingEmbedder,
    RetrievalSettings,
    calibrate,
    calibration_for,
    novelty_rule,
)
from proctor.retrieval import _calibration_data as shipped
from proctor.retrieval._calibration import best_threshold

TOPICS = ["sparse attention for long documents", "graph networks predicting molecules",
          "backdoor defenses in self supervised learning", "federated optimisation with local updates",
          "reinforcement learning with sparse rewards", "speech recognition with transducers",
          "protein folding with equivariant networks", "tabular data with gradient boosted trees"]


def _papers() -> list[CalibrationPaper]:
    return [CalibrationPaper(paper_id=f"p{i}", title=t.title(), abstract=f"We study {t}. It works well. More.",
                             body="\n\n".join(f"Paragraph {j} on {t} and its experiments." for j in range(4)))
            for i, t in enumerate(TOPICS)]


def test_best_threshold_separates_the_classes() -> None:
    t = best_threshold(np.array([0.8, 0.9, 0.85]), np.array([0.3, 0.5, 0.4]))
    assert 0.5 < t < 0.8


def test_calibrate_on_labelled_pairs() -> None:
    cal = calibrate(_papers(), HashingEmbedder(256), ChunkerConfig(20, 400), data="toy", command="test")
    assert cal.embedder == "hashing:v1:256" and cal.positives == cal.negatives == len(TOPICS)
    assert cal.train["balanced_accuracy"] == 1.0 and cal.test["auc"] == 1.0  # own paper always closest here
    assert "balanced accuracy" in cal.method and cal.command == "test"


def test_the_rule_falls_back_to_the_setting_without_a_calibration() -> None:
    verdict = novelty_rule(0.8, RetrievalSettings(novelty_threshold=0.75), "hashing:v1:256")
    assert verdict.novel is False and verdict.calibrated is False and verdict.threshold == 0.75
    assert "no calibration shipped" in verdict.basis


def test_a_shipped_calibration_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    cal = calibrate(_papers(), HashingEmbedder(256), ChunkerConfig(20, 400), data="toy")
    monkeypatch.setitem(shipped.CALIBRATIONS, cal.embedder, cal.model_dump())
    assert calibration_for(cal.embedder) == cal
    below = novelty_rule(cal.threshold - 0.01, RetrievalSettings(), cal.embedder)
    above = novelty_rule(cal.threshold, RetrievalSettings(), cal.embedder)
    assert below.novel and not above.novel and below.calibrated and "held-out balanced accuracy" in below.basis


def test_the_shipped_calibrations_are_valid() -> None:
    for identity in shipped.CALIBRATIONS:
        cal = calibration_for(identity)
        assert cal is not None and -1 <= cal.threshold <= 1 and cal.test["balanced_accuracy"] > 0.5
