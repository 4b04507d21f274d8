"""Calibrated audit thresholds: per node type, from honest scores, for an audit budget.

The threshold is the score quantile at which the audit rate on honest data equals the budget.
Discrete scores make exact quantiles rare, so the threshold score itself is audited with a
probability (``tie_prob``) that makes ``P(score > t) + tie_prob * P(score == t) == budget``.
Thresholds carry the digest of the monitor configuration that produced the scores; loading them
under a different configuration is refused.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from proctor.control.core import AuditRule
from proctor.log import atomic_write, utcnow

POOLED = "*"


class ThresholdsError(ValueError):
    """The thresholds or score file is missing, malformed, or for another monitor configuration."""


class NodeThreshold(BaseModel):
    """The audit rule for one node type."""

    threshold: float = Field(description="Scores above this are audited.")
    tie_prob: float = Field(ge=0.0, le=1.0, description="Audit probability of a score equal to the threshold.")
    n: int = Field(description="Honest scores it was calibrated on.")
    audit_rate: float = Field(description="Expected audit rate on honest actions (the budget).")
    quantiles: list[float] = Field(default_factory=list, description="Honest score percentiles 0..100.")

    def rule(self, salt: bytes = b"") -> AuditRule:
        """As an :class:`AuditRule`."""
        return AuditRule(threshold=self.threshold, tie_prob=self.tie_prob, salt=salt,
                         percentiles=tuple(self.quantiles))


class Thresholds(BaseModel):
    """Versioned thresholds for every node type (``*`` pools all of them)."""

    version: int = 1
    monitor_digest: str
    budget: float
    created: datetime = Field(default_factory=utcnow)
    nodes: dict[str, NodeThreshold]

    def for_node(self, node: str) -> NodeThreshold:
        """The node type's rule, else the pooled one."""
        return self.nodes.get(node) or self.nodes[POOLED]


def quantile_threshold(scores: Iterable[float], budget: float) -> tuple[float, float]:
    """``(threshold, tie_prob)`` so that the honest audit rate equals ``budget`` exactly."""
    s = np.sort(np.asarray(list(scores), dtype=float))
    if s.size == 0:
        raise ThresholdsError("no scores to calibrate on")
    n = s.size
    for value in np.unique(s):
        above = float(np.sum(s > value)) / n
        if above <= budget + 1e-12:
            equal = float(np.sum(s == value)) / n
            tie = min(1.0, max(0.0, (budget - above) / equal))
            return float(value), round(tie, 6)
    raise AssertionError("unreachable: nothing is above the maximum")  # pragma: no cover


def calibrate(records: Iterable[tuple[str, float]], budget: float, monitor_digest: str) -> Thresholds:
    """Thresholds per node type (and pooled) from honest ``(node_type, score)`` records.

    Raises:
        ThresholdsError: when there are no records or the budget is not in [0, 1].
    """
    if not 0.0 <= budget <= 1.0:
        raise ThresholdsError(f"audit budget must be in [0, 1], got {budget}")
    groups: dict[str, list[float]] = defaultdict(list)
    for node, score in records:
        groups[node].append(float(score))
        groups[POOLED].append(float(score))
    if not groups:
        raise ThresholdsError("no honest scores to calibrate on")
    nodes = {}
    for node, scores in groups.items():
        t, q = quantile_threshold(scores, budget)
        arr = np.asarray(scores)
        rate = float(np.mean(arr > t) + q * np.mean(arr == t))
        nodes[node] = NodeThreshold(threshold=t, tie_prob=q, n=len(scores), audit_rate=round(rate, 6),
                                    quantiles=[round(float(x), 6) for x in np.quantile(arr, np.linspace(0, 1, 101))])
    return Thresholds(monitor_digest=monitor_digest, budget=budget, nodes=nodes)


def load_scores(path: Path, monitor_digest: str | None = None) -> list[tuple[str, float]]:
    """``(node_type, score)`` from a JSONL of ``{node_type, score}`` or a run's ``events.jsonl``.

    From an event log, the final verdict of each action (``monitor`` events with ``final``) is
    used, skipping failed (unparsed) ones; events recorded under another monitor configuration
    are refused.

    Raises:
        ThresholdsError: for a missing file, a malformed line, or a digest mismatch.
    """
    if not Path(path).is_file():
        raise ThresholdsError(f"score file {path} does not exist")
    out: list[tuple[str, float]] = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ThresholdsError(f"{path}:{i}: not JSON ({exc})") from exc
        if "event" in row:
            if row.get("event") != "monitor" or not row.get("final") or row.get("parsed") is False:
                continue  # failed monitor calls score 1.0 by policy: they are not honest samples
            digest = row.get("monitor_digest")
            if monitor_digest and digest and digest != monitor_digest:
                raise ThresholdsError(f"{path}:{i}: scored by monitor config {digest}, current is {monitor_digest}; "
                                      "re-run the honest runs under the current monitors")
            out.append((str(row.get("node_type") or row.get("node") or POOLED), float(row["score"])))
            continue
        if "score" not in row:
            raise ThresholdsError(f"{path}:{i}: expected {{node_type, score}}, got keys {sorted(row)}")
        if monitor_digest and row.get("monitor_digest") not in (None, monitor_digest):
            raise ThresholdsError(f"{path}:{i}: scored by monitor config {row['monitor_digest']}, current is {monitor_digest}")
        out.append((str(row.get("node_type", POOLED)), float(row["score"])))
    if not out:
        raise ThresholdsError(f"{path} has no honest monitor scores")
    return out


def save_thresholds(thresholds: Thresholds, path: Path) -> None:
    """Write thresholds atomically as JSON."""
    atomic_write(Path(path), thresholds.model_dump_json(indent=2).encode())


def load_thresholds(path: Path, monitor_digest: str) -> Thresholds:
    """Read thresholds, refusing ones calibrated under another monitor configuration.

    Raises:
        ThresholdsError: missing or malformed file, or a digest mismatch (the message says how to fix it).
    """
    try:
        thresholds = Thresholds.model_validate_json(Path(path).read_bytes())
    except FileNotFoundError as exc:
        raise ThresholdsError(f"thresholds file {path} does not exist; run `proctor control calibrate`") from exc
    except ValidationError as exc:
        raise ThresholdsError(f"thresholds file {path} is malformed: {exc}") from exc
    if thresholds.monitor_digest != monitor_digest:
        raise ThresholdsError(
            f"thresholds in {path} were calibrated for monitor config {thresholds.monitor_digest}, but the "
            f"current config is {monitor_digest}; re-run `proctor control calibrate` on honest scores "
            "from the current monitors")
    if POOLED not in thresholds.nodes:
        raise ThresholdsError(f"thresholds file {path} has no pooled ('*') entry")
    return thresholds
