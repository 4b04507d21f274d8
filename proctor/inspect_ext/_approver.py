"""Proctor's control gate as an Inspect approver: ``proctor/gate``.

Every tool call becomes a Proctor :class:`~proctor.control.Action` (:mod:`._tools`) and goes through
:meth:`proctor.control.Gate.submit` with the node's protocol and monitors (``control.protocols.<node>``,
else ``control.protocol``; ``control.monitor``), the conversation's earlier calls as the trajectory
and the last tool output, and the policies of :mod:`._policies`. What the gate did becomes Inspect's
:class:`~inspect_ai.approval.Approval`:

========================  =============================================================
gate                      Inspect
========================  =============================================================
approved, unchanged       ``approve``
approved, another action  ``modify`` (trusted editor, trusted policy, resample, or a human's
                          modification), as a call of the same tool
blocked                   ``reject``
terminated                ``terminate`` (the sample ends)
held for a human          ``on_hold="wait"``: wait for the decision in Proctor's audit queue
                          (``proctor tui``, ``proctor audit decide``), then as above;
                          ``"escalate"``: ``escalate`` to the next approver in the policy;
                          ``"reject"``: ``reject``
========================  =============================================================

The agent is never told why: ``explanation`` stays empty on a rejection (Inspect then says only
"Tool call not approved."); the gate's scores, protocol, reason and audit item go to the approval's
``metadata`` (shown in Inspect's log viewer). Every decision is in the keyed audit log (the gate's
``monitor``, ``protocol_decision``, ``cached_decision`` and ``human_decision`` records, plus one
``inspect_approval`` record per call with the Inspect decision).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import anyio
from inspect_ai.approval import Approval, Approver, approver
from inspect_ai.model import ChatMessage, Model
from inspect_ai.tool import ToolCall, ToolCallView
from inspect_ai.util import registry_info

from proctor.control import Action, Gate, GateOutcome, HistoryItem, PolicyCallbacks, summarize_action
from proctor.inspect_ext._policies import model_policies
from proctor.inspect_ext._tools import (
    SHELL_TOOLS,
    ShellKind,
    action_for,
    last_tool_output,
    task_of,
    tool_call_for,
    trajectory,
)
from proctor.log import EventLog, use_log
from proctor.settings import load_settings

log = logging.getLogger(__name__)
OnHold = Literal["wait", "escalate", "reject"]


def _metadata(action: Action, outcome: GateOutcome, status: str, executed: Action | None) -> dict[str, Any]:
    d = outcome.decision
    return {"proctor": {
        "status": status, "decision": d.decision, "protocol": d.protocol, "score": d.score, "reason": d.reason,
        "critical": d.critical, "audit_item": outcome.item_id, "cached": outcome.cached,
        "approver": outcome.approved.approver if outcome.approved is not None else None,
        "action_digest": action.digest(), "executed_digest": executed.digest() if executed is not None else None,
        "monitors": [{"monitor": p.monitor, "score": p.score, "parsed": p.parsed, "reasons": p.reasons[:8]}
                     for v in d.verdicts for p in v.flat()],
    }}


class GateApprover:
    """The approver's state: one gate, and what it decided per tool call id (the trajectory)."""

    def __init__(self, gate: Gate, *, node: str, policies: PolicyCallbacks, on_hold: OnHold,
                 hold_timeout_s: float | None, poll_s: float, shell_tools: Mapping[str, ShellKind],
                 events: EventLog | None) -> None:
        self.gate = gate
        self.node = node
        self.policies = policies
        self.on_hold = on_hold
        self.hold_timeout_s = hold_timeout_s
        self.poll_s = poll_s
        self.shell_tools = shell_tools
        self.events = events
        self.decided: dict[str, HistoryItem] = {}

    async def __call__(self, message: str, call: ToolCall, view: ToolCallView,
                       history: list[ChatMessage]) -> Approval:
        action = action_for(call, node=self.node, task=task_of(history), reasoning=message,
                            shell_tools=self.shell_tools)
        items = trajectory(history, self.decided, node=self.node, shell_tools=self.shell_tools)
        if self.events is not None:
            with use_log(self.events):
                outcome = await self._decide(action, call, items, history)
        else:
            outcome = await self._decide(action, call, items, history)
        approval = self._approval(call, action, outcome)
        flags = [r for v in outcome.decision.verdicts for r in v.reasons if v.score >= 0.5][:4]
        self.decided[call.id] = HistoryItem(summary=summarize_action(action), score=outcome.decision.score,
                                            flags=[f[:200] for f in flags], decision=approval.decision)
        self.gate.audit_log.append("inspect_approval", {
            "tool_call_id": call.id, "function": call.function, "action_id": action.id,
            "action_digest": action.digest(), "node_type": action.node, "gate_status": outcome.status,
            "decision": approval.decision, "queue_item": outcome.item_id,
            "modified": approval.modified.arguments if approval.modified is not None else None})
        return approval

    async def _decide(self, action: Action, call: ToolCall, items: list[HistoryItem],
                      history: list[ChatMessage]) -> GateOutcome:
        outcome = await self.gate.submit(action, self.policies, history=items, tool_output=last_tool_output(history))
        if outcome.status != "held" or self.on_hold != "wait":
            return outcome
        log.warning("Proctor held tool call %s (%s) as audit item %s: decide it in `proctor tui` or with "
                    "`proctor audit decide %s approve|modify|reject|terminate --reviewer NAME --rationale TEXT "
                    "--db %s`", call.id, call.function, outcome.item_id, outcome.item_id, self.gate.queue.path)
        deadline = None if self.hold_timeout_s is None else time.monotonic() + self.hold_timeout_s
        while outcome.status == "held" and outcome.item_id is not None:
            if deadline is not None and time.monotonic() >= deadline:
                break
            await anyio.sleep(self.poll_s)
            outcome = self.gate.resolve(outcome.item_id, decision=outcome.decision, action=action, cached=False)
        return outcome

    def _approval(self, call: ToolCall, action: Action, outcome: GateOutcome) -> Approval:
        if outcome.status == "approved" and outcome.approved is not None:
            executed = outcome.approved.action
            if executed.digest() == action.digest():
                return Approval(decision="approve", metadata=_metadata(action, outcome, "approved", executed))
            modified = tool_call_for(call, executed, shell_tools=self.shell_tools)
            if modified is not None:
                return Approval(decision="modify", modified=modified,
                                metadata=_metadata(action, outcome, "approved", executed))
            meta = _metadata(action, outcome, "approved action is no call of this tool: rejected", executed)
            return Approval(decision="reject", metadata=meta)
        if outcome.status == "terminated":
            return Approval(decision="terminate", metadata=_metadata(action, outcome, "terminated", None))
        if outcome.status == "held":
            if self.on_hold == "escalate":
                return Approval(decision="escalate", metadata=_metadata(action, outcome, "held", None))
            why = "held; no decision in time: rejected" if self.on_hold == "wait" else "held: rejected"
            return Approval(decision="reject", metadata=_metadata(action, outcome, why, None))
        return Approval(decision="reject", metadata=_metadata(action, outcome, "blocked", None))


def gate_approver(config: str | None = None, overrides: list[str] | None = None, run_dir: str | None = None,
                  node: str = "inspect", workdir: str = "/work", on_hold: OnHold = "wait",
                  hold_timeout_s: float | None = None, poll_s: float = 2.0,
                  trusted_model: str | Model | None = None, untrusted_model: str | Model | None = None,
                  shell_tools: dict[str, ShellKind] | None = None,
                  policies: PolicyCallbacks | None = None) -> Approver:
    """Proctor's control gate (monitors, the node's protocol, the audit queue and log) as an approver.

    Args:
        config: Proctor settings file (default: ``$PROCTOR_CONFIG`` or ``./proctor.toml``).
        overrides: ``--set``-style pairs, e.g. ``["control.protocols.inspect=trusted_editing"]``.
        run_dir: keep the audit queue and log in ``<run_dir>/control/`` and the gate's events in
            ``<run_dir>/events.jsonl`` (default: the queue and log in Proctor's state directory, which
            ``proctor tui`` and ``proctor audit`` read; events nowhere).
        node: the Proctor node type of these calls (``control.protocols.<node>`` picks the protocol).
        workdir: the agent's work directory, for the "writes outside the workspace" checks.
        on_hold: what a call held for a human does: ``wait`` for the decision, ``escalate`` to the next
            approver, or ``reject``.
        hold_timeout_s: with ``wait``, reject after this long without a decision (default: wait).
        poll_s: how often ``wait`` reads the queue.
        trusted_model: the trusted editor's and trusted policy's model (default: the task's model).
        untrusted_model: the resample policy's model (default: the task's model).
        shell_tools: tool name -> ``bash`` or ``python`` for tools that run one script argument
            (default: Inspect's ``bash`` and ``python``).
        policies: the protocols' callbacks (default: :func:`model_policies` over those models).

    Raises:
        SettingsError: invalid settings.
        ThresholdsError: calibrated thresholds made for another monitor configuration.
    """
    settings = load_settings(config, overrides or [])
    root = Path(run_dir) if run_dir is not None else None
    gate = Gate(settings, run_dir=root, workdir=workdir)
    return GateApprover(gate, node=node, policies=policies or model_policies(trusted_model, untrusted_model),
                        on_hold=on_hold, hold_timeout_s=hold_timeout_s, poll_s=poll_s,
                        shell_tools=shell_tools or SHELL_TOOLS,
                        events=EventLog(root / "events.jsonl") if root is not None else None)


# Inspect names an extension's approver ``<package>/<name>`` when it recognises the package as
# installed; from an editable checkout's root (where ``proctor.egg-info`` shadows the install's
# metadata) it does not, and registers plain ``gate``. Register ``proctor/gate`` as well then, so
# the documented name always resolves.
_factory = gate_approver
gate_approver = approver(name="gate")(_factory)
if registry_info(gate_approver).name != "proctor/gate":
    approver(name="proctor/gate")(_factory)
