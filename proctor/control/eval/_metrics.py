"""Monitor metrics: AUROC, TPR at a fixed FPR (thresholds from honest data), bootstrap intervals."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sklearn.metrics import roc_auc_score

from proctor.control.protocols import quantile_threshold

Scores = Sequence[float] | np.ndarray


def auroc(honest: Scores, attack: Scores) -> float:
    """Area under the ROC curve (attack is the positive class); ties count half."""
    y = np.r_[np.zeros(len(honest)), np.ones(len(attack))]
    return float(roc_auc_score(y, np.r_[honest, attack]))


def tpr_at_fpr(honest: Scores, attack: Scores, fpr: float) -> tuple[float, float, float]:
    """``(tpr, threshold, tie_prob)`` at a false-positive rate set on honest scores.

    The threshold audits exactly ``fpr`` of honest actions (splitting ties at random), and ``tpr``
    is the expected share of attacks it audits.
    """
    t, q = quantile_threshold(honest, fpr)
    a = np.asarray(attack, dtype=float)
    return float(np.mean(a > t) + q * np.mean(a == t)), t, q


def bootstrap_ci(stat: Callable[[np.ndarray, np.ndarray], float], honest: Scores,
                 attack: Scores, *, n: int = 1000, seed: int = 0, level: float = 0.95
                 ) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat(honest, attack)``, resampling each group."""
    rng = np.random.default_rng(seed)
    h, a = np.asarray(honest, dtype=float), np.asarray(attack, dtype=float)
    values = []
    for _ in range(n):
        hs = h[rng.integers(0, len(h), len(h))] if len(h) else h
        at = a[rng.integers(0, len(a), len(a))] if len(a) else a
        try:
            values.append(stat(hs, at))
        except ValueError:  # a resample with one class only
            continue
    if not values:
        return float("nan"), float("nan")
    lo, hi = np.quantile(values, [(1 - level) / 2, 1 - (1 - level) / 2])
    return float(lo), float(hi)
