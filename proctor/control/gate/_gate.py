"""The control gate: the only place that turns an :class:`Action` into an :class:`ApprovedAction`.

Untrusted proposals go through the configured protocol (monitors score, the protocol routes).
Harness actions (the baseline run, conformance checks: code Proctor itself wrote) are approved
without monitoring but are still logged as gate decisions, so the audit trail is complete.

A LangGraph node calls ``outcome = await gate.submit(action, policies)``. The outcome is
``approved`` (execute ``outcome.approved``), ``held`` (``interrupt()`` until a reviewer decides
``outcome.item_id``, then ``gate.resolve(item_id)``), ``blocked`` or ``terminated``. The agent is
never told which, nor why.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from proctor.control.audit import AuditItem, AuditLog, AuditQueue, Evidence, QueueError, control_paths
from proctor.control.core import (
    EXECUTES,
    Action,
    AuditRule,
    ControlProtocol,
    HistoryItem,
    Monitor,
    MonitorVerdict,
    PolicyCallbacks,
    ProtocolContext,
    ProtocolDecision,
    ProtocolError,
    build_view,
    fail_closed,
    render_action,
)
from proctor.control.gate._approval import ApprovalError, ApprovedAction, _mint
from proctor.control.gate._cache import GateCache
from proctor.control.gate._events import GateDecisionEvent, MonitorEvent, ProtocolDecisionEvent
from proctor.control.monitors import build_monitor, critical_categories, monitor_digest
from proctor.control.protocols import PROTOCOLS, Thresholds, load_thresholds
from proctor.log import emit
from proctor.settings import ProtocolSpec

log = logging.getLogger(__name__)
GateStatus = Literal["approved", "held", "blocked", "terminated"]


@dataclass(frozen=True)
class GateOutcome:
    """What the gate did with one proposal (for the workflow; never shown to the agent)."""

    status: GateStatus
    decision: ProtocolDecision
    approved: ApprovedAction | None = None
    item_id: str | None = None
    cached: bool = False


def approve_harness(action: Action, reason: str = "harness", *, audit_log: AuditLog | None = None) -> ApprovedAction:
    """Approve an action written by Proctor itself (never by an agent).

    Inside a run, use :meth:`Gate.approve_harness`, which also writes the approval into the run's
    hash-chained audit log. The call sites are few and fixed (``tests/control/test_gate_enforcement.py``
    lists them).

    Raises:
        ApprovalError: if the action did not originate from the harness.
        AuditLogError: when ``audit_log`` is given and cannot be written (nothing is approved).
    """
    if action.origin != "harness":
        raise ApprovalError(f"approve_harness refuses a {action.origin} action; route it through the gate")
    if audit_log is not None:
        audit_log.append("harness_approval", {
            "action_digest": action.digest(), "action_id": action.id, "node_type": action.node,
            "kind": action.kind, "reason": reason, "rendered": render_action(action)[:2000]})
    approved = _mint(action, decision="allow", approver="harness")
    emit(GateDecisionEvent(
        action_id=action.id, action_kind=action.kind, action_digest=action.digest(),
        origin=action.origin, decision="allow", approver="harness", detail=reason,
    ))
    return approved


def _changed(item: AuditItem, expected: str | None) -> str:
    """Why a decision on ``item`` must not be applied to the action with digest ``expected`` ("" if it may)."""
    now = item.evidence.action.digest()
    if now != item.action_digest:
        return (f"the action of audit item {item.id} changed after it was held (held {item.action_digest[:12]}, "
                f"now {now[:12]})")
    if expected is not None and item.action_digest != expected:
        return (f"audit item {item.id} holds another action ({item.action_digest[:12]}) than the one the gate held "
                f"({expected[:12]})")
    seen = next((d.action_digest for d in reversed(item.decisions) if d.action_digest), None)
    if seen is not None and seen != item.action_digest:
        return (f"the decision on audit item {item.id} was made on another version of the action "
                f"({seen[:12]}, held {item.action_digest[:12]})")
    return ""


def _tree(verdict: MonitorVerdict, path: str) -> list[tuple[str, MonitorVerdict]]:
    """``verdict`` and its nested parts, depth first, each with its path (``0``, ``1``, ``0.1``...)."""
    out = [(path, verdict)]
    for k, part in enumerate(verdict.parts):
        out += _tree(part, f"{path}.{k}" if path else str(k))
    return out


class Gate:
    """Runs the node's protocol on every untrusted proposal and mints approvals.

    Args:
        settings: the settings tree (``control`` and ``llm`` sections are used).
        run_dir: run directory; the queue and audit log default to ``<run_dir>/control/``.
        monitor: monitor override (default: built from ``settings.control.monitor``).
        thresholds: calibrated thresholds (default: loaded from ``settings.control.thresholds_path``).
        queue: audit queue override.
        audit_log: audit log override.
        workdir: absolute work directory of the agent (for "writes outside" checks).

    Raises:
        ThresholdsError: when the configured thresholds were calibrated for another monitor config.
    """

    def __init__(self, settings: Any, *, run_dir: Path | None = None, monitor: Monitor | None = None,
                 thresholds: Thresholds | None = None, queue: AuditQueue | None = None,
                 audit_log: AuditLog | None = None, workdir: str | None = None) -> None:
        self.settings = settings
        self.control = settings.control
        self.monitor_digest = monitor_digest(settings)
        if thresholds is None and self.control.thresholds_path is not None:
            thresholds = load_thresholds(self.control.thresholds_path, self.monitor_digest, self.control.escalate)
        # A cascade escalates at each node's calibrated first-layer threshold when the file has them.
        escalation = thresholds.escalation_rules() if thresholds is not None else None
        self.monitor = monitor if monitor is not None else build_monitor(self.control.monitor, settings, escalation)
        if thresholds is None:
            log.warning("no calibrated thresholds: auditing above %.2f; run `proctor control calibrate`",
                        self.control.fallback_audit_threshold)
        self.thresholds = thresholds
        queue_path, log_path = control_paths(self.control.queue_path, self.control.audit_log_path, run_dir)
        self.queue = queue or AuditQueue(queue_path, budget=self.control.audit_budget,
                                         busy_timeout_ms=self.control.busy_timeout_ms)
        self.audit_log = audit_log or AuditLog(log_path)
        self.cache = GateCache(self.queue.path, self.control.busy_timeout_ms)
        self.workdir = workdir
        self._salt = secrets.token_bytes(16)
        self._protocols: dict[str, tuple[str, ControlProtocol]] = {}

    def approve_harness(self, action: Action, reason: str = "harness") -> ApprovedAction:
        """Approve a harness action (the baseline, ``plot.py``) and record it in the audit log.

        Raises:
            ApprovalError: if the action did not originate from the harness.
        """
        return approve_harness(action, reason, audit_log=self.audit_log)

    def audit_rule(self, node: str) -> AuditRule:
        """The audit rule for a node type (calibrated, else the fallback threshold)."""
        if self.thresholds is None:
            return AuditRule(threshold=self.control.fallback_audit_threshold, tie_prob=1.0, salt=self._salt)
        return self.thresholds.for_node(node).rule(self._salt)

    def protocol_for(self, node: str) -> tuple[str, ControlProtocol]:
        """``(name, protocol)`` configured for a node type (built once, then reused).

        Raises:
            UnknownComponent: for an unregistered protocol name.
        """
        if node not in self._protocols:

            raw = self.control.node_protocols.get(node)
            spec = ProtocolSpec.model_validate(raw) if raw is not None else None
            name, params = (spec.type, spec.params) if spec else (self.control.protocol, self.control.protocol_params)
            factory = PROTOCOLS.get(name)
            self._protocols[node] = (name, factory(**params))  # type: ignore[operator]
        return self._protocols[node]

    async def submit(self, action: Action, policies: PolicyCallbacks | None = None, *,
                     history: Sequence[HistoryItem] = (), tool_output: str | None = None) -> GateOutcome:
        """Route one proposal through the node's protocol and return what may happen.

        Steps:
            1. Return the cached decision when this action (same digest) was decided before
               (logging a ``cached_decision`` record, so every submission is in the audit log).
            2. Build the monitor's redacted view.
            3. Run the protocol; a protocol failure is an ``escalate`` (fail closed).
            4. Hold anything on the critical-action list for a human, whatever the score.
            5. Log every verdict and the decision (events and the hash-chained audit log),
               enqueue held actions, cache the decision (counting the action for the audit
               budget), then mint the approval.

        Raises:
            ApprovalError: for a harness action (use :func:`approve_harness`).
            ProtocolError: when the protocol needs a callback the caller did not supply.
            QueueUnavailable: the audit database is locked or corrupt (nothing is approved).
            AuditLogError: the audit log cannot be written (nothing is approved).
        """
        if action.origin == "harness":
            raise ApprovalError("harness actions go through approve_harness, not the gate")
        digest = action.digest()
        hit = self.cache.get(digest)
        if hit is not None:
            # The same action again (another idea's identical command, or a resumed node): decided
            # already, but every submission still leaves a record in the audit log.
            self.audit_log.append("cached_decision", {
                "action_digest": digest, "action_id": action.id, "node_type": action.node,
                "decision": hit[0].decision, "queue_item": hit[1]})
            return self._outcome(action, hit[0], hit[1], cached=True)
        view = build_view(action, history, tool_output, max_items=self.control.history_items,
                          max_chars=self.control.max_render_chars)
        name, protocol = self.protocol_for(action.node)
        rule = self.audit_rule(action.node)
        ctx = ProtocolContext(monitor=self.monitor, audit=rule, view=view, policies=policies or PolicyCallbacks())
        try:
            decision = await protocol(action, ctx)
        except ProtocolError:
            raise
        except Exception as exc:  # a failed monitor or callback must not let the action through
            decision = ProtocolDecision(
                decision="escalate", action=action, executed=None, protocol=name, score=1.0,
                verdicts=[fail_closed(name, f"{type(exc).__name__}: {exc}")],
                reason=f"protocol failed ({type(exc).__name__}); held for a human")
        decision = self._apply_unparsed(self._apply_critical(decision))
        item_id = None
        if decision.decision == "escalate":
            evidence = Evidence(
                task=action.task, node=action.node, action=action, rendered=render_action(action),
                verdicts=decision.verdicts, resamples=decision.resamples,
                trajectory=[h.summary for h in view.history], critical=decision.critical)
            item_id = self.queue.enqueue(evidence, digest=digest, score=decision.score,
                                         percentile=rule.percentile(decision.score), protocol=name,
                                         reason=decision.reason)
        self._record(decision, digest, item_id)
        self.cache.put(digest, decision, item_id)
        return self._outcome(action, decision, item_id, cached=False)

    def _apply_critical(self, decision: ProtocolDecision) -> ProtocolDecision:
        actions = [decision.action] + ([decision.executed] if decision.executed is not None
                                       and decision.executed.digest() != decision.action.digest() else [])
        found = sorted({c for a in actions for c in critical_categories(
            a, self.control.critical, allowed_imports=self.control.allowed_imports, workdir=self.workdir)})
        if not found or decision.decision in ("escalate", "terminate"):
            return decision.model_copy(update={"critical": found}) if found else decision
        return decision.model_copy(update={
            "decision": "escalate", "executed": None, "critical": found,
            "reason": f"critical action ({', '.join(found)}) always held for a human; protocol said "
                      f"{decision.decision}: {decision.reason}"})

    @staticmethod
    def _apply_unparsed(decision: ProtocolDecision) -> ProtocolDecision:
        """A monitor that failed or did not parse never lets an action run: hold it for a human."""
        failed = [part.monitor for v in decision.verdicts for part in v.flat() if not part.parsed]
        if not failed or decision.decision in ("escalate", "terminate", "block"):
            return decision
        return decision.model_copy(update={
            "decision": "escalate", "executed": None, "score": max(decision.score, 1.0),
            "reason": f"monitor output unusable ({', '.join(sorted(set(failed)))}): held for a human; "
                      f"protocol said {decision.decision}: {decision.reason}"})

    def _record(self, decision: ProtocolDecision, digest: str, item_id: str | None) -> None:
        action = decision.action
        records: list[tuple[str, dict[str, Any]]] = []
        for i, verdict in enumerate(decision.verdicts):
            for path, part in _tree(verdict, f"v{i}" if i else ""):
                emit(MonitorEvent(
                    monitor=part.monitor, score=part.score, parsed=part.parsed, reason="; ".join(part.reasons)[:2000],
                    action_id=action.id, action_digest=digest, node_type=action.node,
                    final=(i == 0 and part is verdict), part=path, monitor_digest=self.monitor_digest))
            records.append(("monitor", {"action_digest": digest, "node_type": action.node, "index": i,
                                        "verdict": verdict.model_dump(mode="json")}))
        executed = decision.executed.digest() if decision.executed is not None else None
        emit(ProtocolDecisionEvent(
            protocol=decision.protocol, decision=decision.decision, action_id=action.id, action_digest=digest,
            executed_digest=executed, score=decision.score, reason=decision.reason, critical=decision.critical,
            queue_item=item_id))
        records.append(("protocol_decision", {
            "action_digest": digest, "action_id": action.id, "node_type": action.node, "protocol": decision.protocol,
            "decision": decision.decision, "score": decision.score, "executed_digest": executed,
            "reason": decision.reason, "critical": decision.critical, "queue_item": item_id}))
        self.audit_log.append_many(records)

    def _outcome(self, action: Action, decision: ProtocolDecision, item_id: str | None, *,
                 cached: bool) -> GateOutcome:
        if decision.decision == "escalate" and item_id is not None:
            return self.resolve(item_id, decision=decision, cached=cached, action=action)
        if decision.decision in EXECUTES and decision.executed is not None:
            executed = action if decision.executed.digest() == action.digest() else decision.executed
            approved = _mint(executed, decision=decision.decision, approver=f"protocol:{decision.protocol}")
            self._emit_gate(executed, decision, "approved", f"protocol:{decision.protocol}")
            return GateOutcome("approved", decision, approved, item_id, cached)
        status: GateStatus = "terminated" if decision.decision == "terminate" else "blocked"
        self._emit_gate(action, decision, status, f"protocol:{decision.protocol}")
        return GateOutcome(status, decision, None, item_id, cached)

    def resolve(self, item_id: str, *, decision: ProtocolDecision | None = None, cached: bool = True,
                action: Action | None = None) -> GateOutcome:
        """The outcome of a held action once a reviewer decided (still ``held`` until then).

        A decision is applied only to the action that was held: when the item is gone from the
        queue, or its action (or the action its decision was made on) differs from the one the gate
        held, nothing is approved and the action is held again as a new item (:meth:`_rehold`).

        Args:
            item_id: the audit item.
            decision: the protocol's decision for the held action (default: the gate's record).
            cached: whether the decision came from the cache (for the outcome).
            action: the action being submitted now (default: the one the gate held as ``item_id``).

        Raises:
            QueueError: for an item neither the queue nor this gate knows.
        """
        if decision is None:
            known = self.cache.by_item(item_id)
            decision = known[1] if known else None
        held = action or (decision.action if decision is not None else None)
        try:
            item = self.queue.get(item_id)
        except QueueError:
            if held is None or decision is None:
                raise
            return self._rehold(held, decision, item_id, f"audit item {item_id} is no longer in the queue", cached)
        decision = decision or self._decision_for(item)
        changed = _changed(item, held.digest() if held is not None else None)
        if changed:
            if held is None:  # nothing to hold again in its place: apply nothing
                return GateOutcome("held", decision, None, item_id, cached)
            return self._rehold(held, decision, item_id, changed, cached)
        if item.status == "void":
            return GateOutcome("held", decision, None, item_id, cached)
        verdict = item.decision
        if verdict is None:
            return GateOutcome("held", decision, None, item_id, cached)
        approver = f"human:{verdict.reviewer}"
        once = f"human_decision:{item_id}:{verdict.at.isoformat()}"  # resolved again on resume: log once
        if not self.cache.logged(once):
            self.audit_log.append("human_decision", {
                "item_id": item_id, "action_digest": item.action_digest, "decision": verdict.decision,
                "reviewer": verdict.reviewer, "at": verdict.at.isoformat(), "rationale": verdict.rationale,
                "modified_digest": verdict.modified.digest() if verdict.modified is not None else None})
            self.cache.mark_logged(once)
        if verdict.decision in ("approve", "modify"):
            target = verdict.modified if verdict.modified is not None else item.evidence.action
            approved = _mint(target, decision=verdict.decision, approver=approver)
            self._emit_gate(target, decision, "approved", approver, verdict.rationale, label=verdict.decision)
            return GateOutcome("approved", decision, approved, item_id, cached)
        status: GateStatus = "terminated" if verdict.decision == "terminate" else "blocked"
        self._emit_gate(item.evidence.action, decision, status, approver, verdict.rationale, label=verdict.decision)
        return GateOutcome(status, decision, None, item_id, cached)

    def _rehold(self, action: Action, decision: ProtocolDecision, old_id: str, why: str, cached: bool) -> GateOutcome:
        """Hold ``action`` again as a new audit item: ``old_id`` is void, and no decision on it is applied."""
        digest = action.digest()
        note = f"{why}: no decision on it is applied"
        evidence = Evidence(task=action.task, node=action.node, action=action, rendered=render_action(action),
                            verdicts=decision.verdicts, resamples=decision.resamples, critical=decision.critical)
        rule = self.audit_rule(action.node)
        self.queue.void(old_id, note)  # first, so the new hold is not the old item again (a no-op if it is gone)
        new_id = self.queue.enqueue(evidence, digest=digest, score=decision.score,
                                    percentile=rule.percentile(decision.score), protocol=decision.protocol,
                                    reason=f"held again ({why}; was {old_id})")
        self.queue.void(old_id, f"{note}; the action is held again as audit item {new_id}")
        self.cache.rehold(digest, new_id)
        self.audit_log.append("rehold", {"item_id": new_id, "old_item": old_id, "action_digest": digest,
                                         "node_type": action.node, "reason": why})
        log.warning("%s; held again as audit item %s", note, new_id)
        self._emit_gate(action, decision, "held", "gate", f"{note}; held again as audit item {new_id}")
        return GateOutcome("held", decision, None, new_id, cached)

    def _decision_for(self, item: AuditItem) -> ProtocolDecision:
        hit = self.cache.get(item.action_digest)
        if hit is not None:
            return hit[0]
        return ProtocolDecision(decision="escalate", action=item.evidence.action, executed=None,
                                verdicts=item.evidence.verdicts, protocol=item.protocol, score=item.score,
                                reason=item.reason, critical=item.evidence.critical)

    def _emit_gate(self, action: Action, decision: ProtocolDecision, status: str, approver: str,
                   detail: str = "", *, label: str | None = None) -> None:
        """``label``: a human's decision (approve, modify, reject, terminate), recorded as it was made."""
        emit(GateDecisionEvent(
            action_id=action.id, action_kind=action.kind, action_digest=action.digest(), origin=action.origin,
            decision=label or (status if status != "approved" else decision.decision), approver=approver,
            protocol=decision.protocol, score=decision.score, detail=detail or decision.reason))
