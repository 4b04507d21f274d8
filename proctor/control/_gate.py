"""The control gate: the only place that turns an :class:`Action` into an :class:`ApprovedAction`.

Untrusted proposals go through the configured protocol (monitors score, the protocol routes).
Harness actions (the baseline run, conformance checks: code Proctor itself wrote) are approved
without monitoring but are still logged as gate decisions, so the audit trail is complete.
"""

from __future__ import annotations

from proctor.control._actions import Action
from proctor.control._approval import ApprovalError, ApprovedAction, _mint
from proctor.control._gate_events import GateDecisionEvent
from proctor.log import emit


def approve_harness(action: Action, reason: str = "harness") -> ApprovedAction:
    """Approve an action written by Proctor itself (never by an agent).

    Raises:
        ApprovalError: if the action did not originate from the harness.
    """
    if action.origin != "harness":
        raise ApprovalError(f"approve_harness refuses a {action.origin} action; route it through the gate")
    approved = _mint(action, decision="allow", approver="harness")
    emit(GateDecisionEvent(
        action_id=action.id, action_kind=action.kind, action_digest=action.digest(),
        origin=action.origin, decision="allow", approver="harness", detail=reason,
    ))
    return approved
