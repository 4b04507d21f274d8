"""Events the control gate emits."""

from __future__ import annotations

from typing import Literal

from proctor.log import Event


class GateDecisionEvent(Event):
    """The gate decided what happens to one action (and, if allowed, who approved it)."""

    event: Literal["gate_decision"] = "gate_decision"
    action_id: str
    action_kind: str
    action_digest: str
    origin: str
    decision: str
    approver: str
    protocol: str | None = None
    score: float | None = None
    detail: str = ""
