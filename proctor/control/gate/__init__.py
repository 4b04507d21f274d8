"""The gate: the only place that turns an :class:`~proctor.control.core.Action` into an
:class:`ApprovedAction`. Executors accept nothing else (:func:`require_approved`).
"""

from proctor.control.gate._approval import ApprovalError, ApprovedAction, require_approved
from proctor.control.gate._events import GateDecisionEvent, MonitorEvent, ProtocolDecisionEvent
from proctor.control.gate._gate import (
    Gate,
    GateOutcome,
    GateStatus,
    approve_harness,
)

__all__ = [
    "ApprovalError",
    "ApprovedAction",
    "Gate",
    "GateDecisionEvent",
    "GateOutcome",
    "GateStatus",
    "MonitorEvent",
    "ProtocolDecisionEvent",
    "approve_harness",
    "require_approved",
]
