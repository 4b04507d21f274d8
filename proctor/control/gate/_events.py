"""Events the control gate emits: monitor scores, protocol decisions, gate decisions."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

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


class MonitorEvent(Event):
    """One monitor's verdict on one action."""

    event: Literal["monitor"] = "monitor"
    monitor: str
    score: float
    parsed: bool = True
    reason: str = ""
    action_id: str = ""
    action_digest: str = ""
    node_type: str = ""
    final: bool = Field(default=False, description="The verdict the protocol used (calibration reads these).")
    part: str = Field(default="", description="Where in the verdict tree: '' the verdict, '0', '1', '0.1'... its "
                      "parts (a cascade's layers are '0' and '1'); 'v1', 'v1.0'... for a protocol's later verdicts.")
    monitor_digest: str = ""


class ProtocolDecisionEvent(Event):
    """A protocol's decision for one action."""

    event: Literal["protocol_decision"] = "protocol_decision"
    protocol: str
    decision: str
    action_id: str
    action_digest: str
    executed_digest: str | None = None
    score: float
    reason: str = ""
    critical: list[str] = Field(default_factory=list)
    queue_item: str | None = None
