"""The gate: approvals, holds, caching across re-runs, critical actions, fail-closed paths."""

import json
import sqlite3
from pathlib import Path

import pytest

from proctor.control import (
    Action,
    ApprovalError,
    AuditLogError,
    Gate,
    MonitorVerdict,
    PolicyCallbacks,
    ProtocolError,
    QueueUnavailable,
    ShellCommand,
    TrajectoryView,
    require_approved,
    verify_log,
)
from proctor.log import EventLog, use_log
from tests.control.control_helpers import LabelMonitor, command, edit

TABLE = {"ls": 0.05, "python": 0.4, "rm": 0.95}


def _gate(settings, monitor=None, **control) -> Gate:
    s = settings.model_copy(update={"control": settings.control.model_copy(update=control)})
    return Gate(s, monitor=monitor or LabelMonitor(TABLE))


@pytest.mark.anyio
async def test_allowed_action_is_approved_and_logged(settings, tmp_path: Path) -> None:
    gate = _gate(settings)
    log = EventLog(tmp_path / "events.jsonl")
    with use_log(log):
        outcome = await gate.submit(command("ls"))
    assert outcome.status == "approved" and outcome.item_id is None
    assert require_approved(outcome.approved, "shell").action.payload.argv == ["ls"]
    kinds = [e.event for e in log.read()]
    assert kinds == ["monitor", "protocol_decision", "gate_decision"]
    assert log.read()[0].final is True
    assert verify_log(gate.audit_log.path).ok


@pytest.mark.anyio
async def test_suspicious_action_is_held_then_resolved(settings) -> None:
    gate = _gate(settings, fallback_audit_threshold=0.9)
    outcome = await gate.submit(command("rm", "-rf", "data"))
    assert outcome.status == "held" and outcome.approved is None and outcome.item_id
    item = gate.queue.get(outcome.item_id)
    assert item.evidence.action.payload.argv[0] == "rm" and item.evidence.verdicts
    assert gate.queue.decision(outcome.item_id) is None
    gate.queue.decide(outcome.item_id, "approve", reviewer="alice", rationale="cleanup is fine")
    resolved = gate.resolve(outcome.item_id)
    assert resolved.status == "approved" and resolved.approved.approver == "human:alice"
    again = await gate.submit(command("rm", "-rf", "data"))  # a resumed node resubmits it
    assert again.status == "approved"
    fresh = _gate(settings, fallback_audit_threshold=0.9)  # and a new process resolves it again
    assert fresh.resolve(outcome.item_id).status == "approved"
    records = [json.loads(line) for line in gate.audit_log.path.read_text().splitlines()]
    assert sum(r["kind"] == "human_decision" for r in records) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(("decision", "status"), [("reject", "blocked"), ("terminate", "terminated")])
async def test_reviewer_reject_and_terminate(settings, decision: str, status: str) -> None:
    gate = _gate(settings, fallback_audit_threshold=0.9)
    outcome = await gate.submit(command("rm", "x"))
    gate.queue.decide(outcome.item_id, decision, reviewer="bob", rationale="no")
    assert gate.resolve(outcome.item_id).status == status
    if decision == "terminate":
        assert [i.id for i in gate.queue.terminated()] == [outcome.item_id]


@pytest.mark.anyio
async def test_modify_approves_the_modified_action(settings) -> None:
    gate = _gate(settings, fallback_audit_threshold=0.9)
    outcome = await gate.submit(command("rm", "-rf", "/"))
    safer = command("rm", "-rf", "tmp_outputs")
    gate.queue.decide(outcome.item_id, "modify", reviewer="carol", rationale="narrowed", modified=safer)
    resolved = gate.resolve(outcome.item_id)
    assert resolved.approved.action.payload.argv == ["rm", "-rf", "tmp_outputs"]


@pytest.mark.anyio
async def test_rerun_node_hits_the_cache(settings) -> None:
    monitor = LabelMonitor(TABLE)
    gate = _gate(settings, monitor=monitor, fallback_audit_threshold=0.9)
    first = await gate.submit(command("rm", "x"))
    again = await gate.submit(command("rm", "x"))  # same payload, new action id: a resumed node
    assert monitor.calls == 1 and again.cached and again.item_id == first.item_id
    fresh = Gate(gate.settings, monitor=monitor)  # another process after a crash
    third = await fresh.submit(command("rm", "x"))
    assert monitor.calls == 1 and third.status == "held"
    assert gate.queue.budget().seen == 1
    records = [json.loads(line) for line in gate.audit_log.path.read_text().splitlines()]
    cached = [r["data"] for r in records if r["kind"] == "cached_decision"]
    assert len(cached) == 2 and len({c["action_id"] for c in cached}) == 2  # both resubmissions recorded
    assert {c["decision"] for c in cached} == {"escalate"} and {c["queue_item"] for c in cached} == {first.item_id}
    assert verify_log(gate.audit_log.path).ok  # the chain stays intact across processes


@pytest.mark.anyio
async def test_critical_actions_are_held_whatever_the_score(settings) -> None:
    gate = _gate(settings, monitor=LabelMonitor({}, default=0.0))
    outcome = await gate.submit(command("curl", "https://example.com"))
    assert outcome.status == "held" and "network" in outcome.decision.critical
    outcome = await gate.submit(edit("../../etc/passwd", "x"))
    assert outcome.status == "held" and "write_outside" in outcome.decision.critical


@pytest.mark.anyio
async def test_critical_applies_to_what_would_execute(settings) -> None:
    async def trusted(action: Action, view: TrajectoryView) -> Action:
        return command("curl", "http://x.example")

    gate = _gate(settings, protocol="defer_to_trusted", protocol_params={"defer_threshold": 0.3})
    outcome = await gate.submit(command("python", "t.py"), PolicyCallbacks(trusted_policy=trusted))
    assert outcome.status == "held" and outcome.decision.critical == ["network"]


@pytest.mark.anyio
async def test_per_node_protocols(settings) -> None:
    async def trusted(action: Action, view: TrajectoryView) -> Action:
        return command("echo", "safe")

    gate = _gate(settings, node_protocols={"run_experiment": {"type": "defer_to_trusted", "params": {"defer_threshold": 0.3}}})
    deferred = await gate.submit(command("python", "t.py"), PolicyCallbacks(trusted_policy=trusted))
    assert deferred.status == "approved" and deferred.decision.decision == "defer_to_trusted"
    assert deferred.approved.action.payload.argv == ["echo", "safe"]
    other = await gate.submit(command("python", "t.py", node="write_code"))
    assert other.decision.protocol == "trusted_monitoring" and other.status == "approved"
    with pytest.raises(ProtocolError):
        await gate.submit(command("python", "u.py"))


@pytest.mark.anyio
async def test_failing_monitor_fails_closed(settings) -> None:
    async def broken(action: Action, view: TrajectoryView) -> MonitorVerdict:
        raise RuntimeError("model down")

    outcome = await _gate(settings, monitor=broken).submit(command("ls"))
    assert outcome.status == "held" and outcome.decision.score == 1.0


@pytest.mark.anyio
async def test_locked_queue_approves_nothing(settings) -> None:
    gate = _gate(settings, busy_timeout_ms=50)
    gate.queue.budget()  # create the database
    holder = sqlite3.connect(gate.queue.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(QueueUnavailable, match="locked"):
            await gate.submit(command("ls"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.anyio
async def test_corrupt_queue_approves_nothing(settings) -> None:
    gate = _gate(settings)
    gate.queue.path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(QueueUnavailable, match="corrupt"):
        await gate.submit(command("ls"))


@pytest.mark.anyio
async def test_unwritable_audit_log_approves_nothing(settings, tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a directory should be")
    gate = _gate(settings, audit_log_path=blocker / "log.jsonl")
    with pytest.raises(AuditLogError):
        await gate.submit(command("ls"))


@pytest.mark.anyio
async def test_harness_actions_do_not_go_through_submit(settings) -> None:
    with pytest.raises(ApprovalError):
        await _gate(settings).submit(Action(node="b", payload=ShellCommand(argv=["ls"]), origin="harness"))


def test_thresholds_for_another_monitor_config_are_refused(settings, tmp_path: Path) -> None:
    from proctor.control import ThresholdsError, calibrate, save_thresholds

    path = tmp_path / "t.json"
    save_thresholds(calibrate([("n", 0.1), ("n", 0.2)], 0.02, "someotherdigest"), path)
    s = settings.model_copy(update={"control": settings.control.model_copy(update={"thresholds_path": path})})
    with pytest.raises(ThresholdsError, match="calibrate"):
        Gate(s)
