"""The protocol vocabulary: decisions, the typed record a protocol returns, and its inputs.

Policies propose, monitors score, protocols route. A protocol is an async callable
``(action, ctx) -> ProtocolDecision``; it never edits a message history and never talks to the
agent (the agent is not told that, or why, it was blocked).
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from proctor.control.core._actions import Action
from proctor.control.core._verdict import Monitor, MonitorVerdict, TrajectoryView

Decision = Literal["allow", "edit", "defer_to_trusted", "resample", "block", "escalate", "terminate"]
EXECUTES: frozenset[str] = frozenset({"allow", "edit", "defer_to_trusted", "resample"})

TrustedPolicy = Callable[[Action, TrajectoryView], Awaitable[Action]]
ResamplePolicy = Callable[[Action, TrajectoryView], Awaitable[Action]]
TrustedEditor = Callable[[Action, MonitorVerdict, TrajectoryView], Awaitable[Action]]


class ProtocolError(RuntimeError):
    """A protocol cannot run as configured (e.g. defer_to_trusted without a trusted policy)."""


class ProtocolDecision(BaseModel):
    """What a protocol decided for one proposed action."""

    decision: Decision
    action: Action = Field(description="What the untrusted policy proposed.")
    executed: Action | None = Field(description="What will run (edited, trusted or resampled); None if nothing.")
    verdicts: list[MonitorVerdict] = Field(description="Every monitor verdict, resamples included.")
    protocol: str = Field(description="Registry name of the protocol.")
    score: float = Field(default=0.0, description="Suspicion the audit decision used.")
    reason: str = Field(default="", description="Why (for the audit trail; never shown to the agent).")
    resamples: list[Action] = Field(default_factory=list, description="Resampled proposals, if any.")
    critical: list[str] = Field(default_factory=list, description="Critical categories that forced a hold.")


@dataclass(frozen=True)
class PolicyCallbacks:
    """Callbacks a protocol may need; the workflow supplies the ones its protocol uses."""

    trusted_policy: TrustedPolicy | None = None
    resample: ResamplePolicy | None = None
    trusted_editor: TrustedEditor | None = None


@dataclass(frozen=True)
class AuditRule:
    """Calibrated audit threshold for a node type, with the tie-splitting probability.

    Scores above ``threshold`` are audited; scores equal to it are audited with probability
    ``tie_prob``, drawn by a keyed hash of the action digest so a resubmission cannot re-roll.
    """

    threshold: float
    tie_prob: float = 1.0
    salt: bytes = field(default=b"", repr=False)
    percentiles: tuple[float, ...] = ()

    def draw(self, key: str) -> float:
        """A uniform number in [0, 1) determined by ``key`` and the secret salt."""
        digest = hashlib.sha256(self.salt + key.encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def should_audit(self, score: float, key: str) -> bool:
        """Whether an action with suspicion ``score`` goes to a human."""
        if score > self.threshold + 1e-9:
            return True
        if abs(score - self.threshold) <= 1e-9:
            return self.draw(key) < self.tie_prob
        return False

    def percentile(self, score: float) -> float:
        """Fraction of calibration (honest) scores at or below ``score``; 1.0 without data."""
        if not self.percentiles:
            return 1.0 if score >= self.threshold else score
        below = sum(1 for q in self.percentiles if q <= score)
        return below / len(self.percentiles)


@dataclass
class ProtocolContext:
    """Everything a protocol needs besides the action."""

    monitor: Monitor
    audit: AuditRule
    view: TrajectoryView
    policies: PolicyCallbacks = field(default_factory=PolicyCallbacks)


class ControlProtocol(Protocol):
    """Routes one proposed action."""

    async def __call__(self, action: Action, ctx: ProtocolContext) -> ProtocolDecision: ...
