"""Calibrated audit thresholds: per node type, from honest scores, for an audit budget.

The threshold is the score quantile at which the audit rate on honest data equals the budget.
Discrete scores make exact quantiles rare, so the threshold score itself is audited with a
probability (``tie_prob``) that makes ``P(score > t) + tie_prob * P(score == t) == budget``.
Thresholds carry the digest of the monitor configuration that produced the scores; loading them
under a different configuration is refused. For a cascade monitor each node also carries the first
layer's escalation threshold (``_escalation.py`` calibrates both).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from proctor.control.core import AuditRule
from proctor.log import atomic_write, utcnow

POOLED = "*"


class ThresholdsError(ValueError):
    """The thresholds or score file is missing, malformed, or for another monitor configuration."""


ESCALATION_SALT = b"cascade-escalation"


class Escalation(BaseModel):
    """When a cascade's first layer sends an action of one node type to its second layer."""

    threshold: float = Field(description="First-layer scores above this are escalated.")
    tie_prob: float = Field(ge=0.0, le=1.0, description="Escalation probability of a score equal to it.")
    rate: float = Field(description="Expected escalation rate on honest actions (the escalation budget).")

    def rule(self) -> AuditRule:
        """As an :class:`AuditRule` (ties split by a fixed-salt draw on the action digest)."""
        return AuditRule(threshold=self.threshold, tie_prob=self.tie_prob, salt=ESCALATION_SALT)


class NodeThreshold(BaseModel):
    """The audit rule for one node type."""

    threshold: float = Field(description="Scores above this are audited.")
    tie_prob: float = Field(ge=0.0, le=1.0, description="Audit probability of a score equal to the threshold.")
    n: int = Field(description="Honest scores it was calibrated on.")
    audit_rate: float = Field(description="Expected audit rate on honest actions (the budget).")
    quantiles: list[float] = Field(default_factory=list, description="Honest score percentiles 0..100.")
    escalation: Escalation | None = Field(
        default=None, description="A cascade's first-layer escalation threshold for this node type.")

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
    escalate: str | None = Field(default=None, description="The cascade's escalation setting the audit "
                                 "thresholds were calibrated for (``flagged`` or ``all``); None: no cascade.")
    escalation_budget: float | None = None

    def for_node(self, node: str) -> NodeThreshold:
        """The node type's rule, else the pooled one."""
        return self.nodes.get(node) or self.nodes[POOLED]

    def escalation_rules(self) -> dict[str, AuditRule]:
        """The cascade's escalation rule per node type (``*`` pooled); empty without a cascade."""
        return {node: t.escalation.rule() for node, t in self.nodes.items() if t.escalation is not None}


def quantile_threshold(scores: Iterable[float], budget: float,
                       weights: Iterable[float] | None = None) -> tuple[float, float]:
    """``(threshold, tie_prob)`` so that the honest audit rate equals ``budget`` exactly.

    ``weights`` (default all 1) weigh each score, for scores that stand for a share of an action
    (a cascade's final score when a tie decides whether its second layer ran).
    """
    s = np.asarray(list(scores), dtype=float)
    if s.size == 0:
        raise ThresholdsError("no scores to calibrate on")
    w = np.ones_like(s) if weights is None else np.asarray(list(weights), dtype=float)
    order = np.argsort(s, kind="stable")
    values, first = np.unique(s[order], return_index=True)
    at = np.add.reduceat(w[order], first) / float(w.sum())  # weight share of each distinct score
    above = np.clip(1.0 - np.cumsum(at), 0.0, None)  # share strictly above each distinct score
    k = int(np.argmax(above <= budget + 1e-12))  # the lowest score with at most the budget above it
    tie = min(1.0, max(0.0, (budget - float(above[k])) / float(at[k])))
    return float(values[k]), round(tie, 6)


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


def score_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, row)`` of a JSONL score or event file, blank lines skipped.

    Raises:
        ThresholdsError: for a missing file or a line that is not a JSON object.
    """
    if not Path(path).is_file():
        raise ThresholdsError(f"score file {path} does not exist")
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ThresholdsError(f"{path}:{i}: not JSON ({exc})") from exc
        if not isinstance(row, dict):
            raise ThresholdsError(f"{path}:{i}: expected a JSON object")
        yield i, row


def load_scores(path: Path, monitor_digest: str | None = None) -> list[tuple[str, float]]:
    """``(node_type, score)`` from a JSONL of ``{node_type, score}`` or a run's ``events.jsonl``.

    From an event log, the final verdict of each action (``monitor`` events with ``final``) is
    used, skipping failed (unparsed) ones; events recorded under another monitor configuration
    are refused.

    Raises:
        ThresholdsError: for a missing file, a malformed line, or a digest mismatch.
    """
    out: list[tuple[str, float]] = []
    for i, row in score_rows(path):
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


def load_thresholds(path: Path, monitor_digest: str, escalate: str | None = None) -> Thresholds:
    """Read thresholds, refusing ones calibrated under another monitor configuration.

    Args:
        path: the thresholds JSON.
        monitor_digest: the current monitor configuration's digest.
        escalate: the current cascade escalation setting; thresholds calibrated for a cascade under
            the other one are refused (its final scores differ).

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
    if escalate is not None and thresholds.escalate not in (None, escalate):
        raise ThresholdsError(
            f"thresholds in {path} were calibrated for a cascade with control.escalate={thresholds.escalate}, "
            f"the current setting is {escalate}; re-run `proctor control calibrate` under the current setting")
    return thresholds
