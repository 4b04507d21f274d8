"""Calibrating a cascade per node type: the first layer's escalation threshold and the final audit threshold.

A cascade runs its cheap first layer on every action and its careful second layer on what the first
flags (``control.escalate="flagged"``) or on every action (``"all"``). From honest scores of both
layers, per node type and pooled:

1. the escalation threshold is the first layer's score quantile at which the honest escalation rate
   equals the escalation budget (ties split with a probability, as for audits);
2. the cascade's final score is replayed for each honest action under that threshold (a tied action
   counts as escalated with the tie probability and as not escalated with the rest: weighted);
3. the audit threshold is the weighted quantile of those final scores for the audit budget.

Honest runs made with ``control.escalate="all"`` give the second layer's score on every action, so
any escalation budget can be calibrated from them; runs made with ``"flagged"`` only where their
threshold escalated (a budget that would send others is refused, naming how many lack it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from proctor.control.monitors import cascade_score
from proctor.control.protocols._thresholds import (
    POOLED,
    Escalation,
    NodeThreshold,
    Thresholds,
    ThresholdsError,
    quantile_threshold,
    score_rows,
)

_TIE = 1e-9


@dataclass(frozen=True)
class LayerScores:
    """One honest action's scores: its cascade's first layer and, when it ran, its second."""

    node: str
    first: float
    second: float | None = None


def _weighted_percentiles(values: np.ndarray, weights: np.ndarray) -> list[float]:
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = np.cumsum(w) / w.sum()
    idx = np.searchsorted(cum, np.linspace(0, 1, 101) - 1e-12, side="left").clip(0, len(v) - 1)
    return [round(float(x), 6) for x in v[idx]]


def _node(rows: list[LayerScores], audit_budget: float, escalation_budget: float, how: str,
          escalate: str) -> NodeThreshold:
    te, qe = quantile_threshold([r.first for r in rows], escalation_budget)
    finals: list[float] = []
    weights: list[float] = []
    missing = 0
    escalated = 0.0
    for r in rows:
        p = 1.0 if escalate == "all" or r.first > te + _TIE else qe if abs(r.first - te) <= _TIE else 0.0
        if p < 1.0:
            finals.append(cascade_score(r.first, None, how))  # type: ignore[arg-type]
            weights.append(1.0 - p)
        if p > 0.0:
            if r.second is None:
                missing += 1
                continue
            finals.append(cascade_score(r.first, r.second, how))  # type: ignore[arg-type]
            weights.append(p)
            escalated += p
    if missing:
        raise ThresholdsError(
            f"{missing} honest actions the escalation threshold sends to the second layer have no second-layer "
            "score; calibrate on honest runs made with control.escalate=all (or a larger escalation budget)")
    f, w = np.asarray(finals), np.asarray(weights)
    ta, qa = quantile_threshold(f, audit_budget, w)
    rate = float((w[f > ta + _TIE].sum() + qa * w[np.abs(f - ta) <= _TIE].sum()) / w.sum())
    return NodeThreshold(threshold=ta, tie_prob=qa, n=len(rows), audit_rate=round(rate, 6),
                         quantiles=_weighted_percentiles(f, w),
                         escalation=Escalation(threshold=te, tie_prob=qe, rate=round(escalated / len(rows), 6)))


def calibrate_cascade(records: Iterable[LayerScores], audit_budget: float, escalation_budget: float,
                      monitor_digest: str, how: str = "max", escalate: str = "flagged") -> Thresholds:
    """Escalation and audit thresholds per node type (and pooled) from honest layer scores.

    Args:
        records: honest actions' layer scores.
        audit_budget: the fraction of honest actions a human audits.
        escalation_budget: the fraction of honest actions the first layer sends to the second.
        monitor_digest: the cascade configuration's digest.
        how: the cascade's ``how`` (``max``, ``mean`` or ``second``).
        escalate: ``flagged`` or ``all`` (the setting the audit thresholds are for).

    Raises:
        ThresholdsError: no records, a budget outside [0, 1], an unknown setting, or second-layer
            scores missing where the escalation threshold needs them.
    """
    for name, value in (("audit", audit_budget), ("escalation", escalation_budget)):
        if not 0.0 <= value <= 1.0:
            raise ThresholdsError(f"{name} budget must be in [0, 1], got {value}")
    if escalate not in ("flagged", "all") or how not in ("max", "mean", "second"):
        raise ThresholdsError(f"unknown cascade setting escalate={escalate!r}, how={how!r}")
    groups: dict[str, list[LayerScores]] = defaultdict(list)
    for r in records:
        groups[r.node].append(r)
        groups[POOLED].append(r)
    if not groups:
        raise ThresholdsError("no honest scores to calibrate on")
    nodes = {node: _node(rows, audit_budget, escalation_budget, how, escalate) for node, rows in groups.items()}
    return Thresholds(monitor_digest=monitor_digest, budget=audit_budget, nodes=nodes, escalate=escalate,
                      escalation_budget=escalation_budget)


def _float(value: object, where: str) -> float | None:
    if value is None:
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ThresholdsError(f"{where}: not a score: {value!r}") from exc


def load_layer_scores(path: Path, monitor_digest: str | None = None) -> list[LayerScores]:
    """Honest layer scores from a JSONL of ``{node_type, first, second}`` or a run's ``events.jsonl``.

    From an event log: per action (``action_digest``), the final ``monitor`` event's node type and
    the scores of its parts ``0`` (first layer) and ``1`` (second layer, when it ran); actions whose
    final verdict failed (unparsed) are skipped, events of another monitor configuration refused.

    Raises:
        ThresholdsError: a missing file, a malformed line, a digest mismatch, or no layer scores.
    """
    out: list[LayerScores] = []
    actions: dict[str, dict[str, object]] = {}
    for i, row in score_rows(path):
        digest = row.get("monitor_digest")
        if monitor_digest and digest and digest != monitor_digest:
            raise ThresholdsError(f"{path}:{i}: scored by monitor config {digest}, current is {monitor_digest}; "
                                  "re-run the honest runs under the current monitors")
        if "event" not in row:
            if "first" not in row:
                raise ThresholdsError(f"{path}:{i}: expected {{node_type, first, second}}, got keys {sorted(row)}")
            first = _float(row["first"], f"{path}:{i}")
            out.append(LayerScores(str(row.get("node_type", POOLED)), first if first is not None else 0.0,
                                   _float(row.get("second"), f"{path}:{i}")))
            continue
        if row.get("event") != "monitor" or not row.get("action_digest"):
            continue
        seen = actions.setdefault(str(row["action_digest"]), {})
        part = row.get("part", "")
        if row.get("final"):
            seen.update(node=str(row.get("node_type") or POOLED), parsed=row.get("parsed") is not False)
        elif part in ("0", "1"):
            seen[part] = _float(row.get("score"), f"{path}:{i}")
    for seen in actions.values():
        if not seen.get("parsed"):
            continue  # a failed verdict scores 1.0 by policy: not an honest sample
        if "0" not in seen:
            raise ThresholdsError(f"{path}: a final verdict without first-layer scores: the events predate layer "
                                  "records, or the monitor is not a cascade")
        out.append(LayerScores(str(seen["node"]), float(seen["0"]),  # type: ignore[arg-type]
                               seen.get("1")))  # type: ignore[arg-type]
    if not out:
        raise ThresholdsError(f"{path} has no honest cascade layer scores")
    return out
