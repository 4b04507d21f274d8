"""Bad inputs to the gate never let an action run unapproved: a deleted held item, an action changed
since it was held (digest mismatch), a missing or rotated audit key."""

from __future__ import annotations

import json
import sqlite3

import pytest

from proctor.control import AuditLogError, Gate, QueueError, verify_log
from proctor.control.audit import AUDIT_KEY_ENV, audit_key_path
from tests.control.control_helpers import LabelMonitor, command


def _gate(settings) -> Gate:
    s = settings.model_copy(update={"control": settings.control.model_copy(update={"fallback_audit_threshold": 0.5})})
    return Gate(s, monitor=LabelMonitor({"rm": 0.95}))


def _sql(gate: Gate, statement: str, *args: object) -> None:
    db = sqlite3.connect(gate.queue.path)
    db.execute(statement, args)
    db.commit()
    db.close()


def _records(gate: Gate, kind: str) -> list[dict]:
    lines = [json.loads(x) for x in gate.audit_log.path.read_text().splitlines()]
    return [r["data"] for r in lines if r["kind"] == kind]


@pytest.mark.anyio
async def test_a_deleted_held_item_is_held_again(settings) -> None:
    gate = _gate(settings)
    first = await gate.submit(command("rm", "-rf", "data"))
    assert first.status == "held"
    _sql(gate, "DELETE FROM items WHERE id=?", first.item_id)
    fresh = _gate(settings)  # a resumed run: another process
    again = await fresh.submit(command("rm", "-rf", "data"))
    assert again.status == "held" and again.approved is None and again.item_id != first.item_id
    item = fresh.queue.get(again.item_id)
    assert "no longer in the queue" in item.reason and item.evidence.action.payload.argv == ["rm", "-rf", "data"]
    assert [r["old_item"] for r in _records(fresh, "rehold")] == [first.item_id]
    fresh.queue.decide(again.item_id, "approve", reviewer="alice", rationale="checked again")
    assert (await fresh.submit(command("rm", "-rf", "data"))).status == "approved"
    assert verify_log(fresh.audit_log.path).ok


def _tamper_evidence(gate: Gate, item_id: str, argv: list[str], *, digest_too: bool = False) -> None:
    db = sqlite3.connect(gate.queue.path)
    evidence = json.loads(db.execute("SELECT evidence FROM items WHERE id=?", (item_id,)).fetchone()[0])
    evidence["action"]["payload"]["argv"] = argv
    db.execute("UPDATE items SET evidence=? WHERE id=?", (json.dumps(evidence), item_id))
    if digest_too:  # a consistent rewrite: the item's digest matches its new action
        from proctor.control import Action

        new = Action.model_validate(evidence["action"]).digest()
        db.execute("UPDATE items SET action_digest=? WHERE id=?", (new, item_id))
    db.commit()
    db.close()


@pytest.mark.anyio
@pytest.mark.parametrize(("when", "digest_too", "says"), [
    ("before_decision", False, "changed after it was held"),
    ("after_decision", False, "changed after it was held"),
    ("before_decision", True, "holds another action"),
], ids=["changed-then-approved", "approved-then-changed", "rewritten-with-its-digest"])
async def test_a_decision_on_a_changed_action_is_not_applied(settings, when: str, digest_too: bool, says: str) -> None:
    gate = _gate(settings)
    held = await gate.submit(command("rm", "-rf", "data"))
    if when == "after_decision":
        gate.queue.decide(held.item_id, "approve", reviewer="alice", rationale="ok")
    _tamper_evidence(gate, held.item_id, ["rm", "-rf", "/"], digest_too=digest_too)
    if when == "before_decision":
        gate.queue.decide(held.item_id, "approve", reviewer="alice", rationale="looks fine")
    fresh = _gate(settings)
    outcome = await fresh.submit(command("rm", "-rf", "data"))
    assert outcome.status == "held" and outcome.approved is None, "a decision on another action must not apply"
    assert outcome.item_id != held.item_id
    rehold = fresh.queue.get(outcome.item_id)
    assert says in rehold.reason and rehold.evidence.action.payload.argv == ["rm", "-rf", "data"]
    old = fresh.queue.get(held.item_id)
    assert old.status == "void" and outcome.item_id in old.reason and "no decision on it is applied" in old.reason
    with pytest.raises(QueueError, match="void"):
        fresh.queue.decide(held.item_id, "approve", reviewer="alice", rationale="again")
    assert held.item_id not in [i.id for i in fresh.queue.list("open")]
    fresh.queue.decide(outcome.item_id, "reject", reviewer="alice", rationale="no")
    assert (await fresh.submit(command("rm", "-rf", "data"))).status == "blocked"


@pytest.mark.anyio
async def test_the_decision_records_the_action_it_was_made_on(settings) -> None:
    gate = _gate(settings)
    held = await gate.submit(command("rm", "x"))
    item = gate.queue.decide(held.item_id, "approve", reviewer="bob", rationale="fine")
    assert item.decisions[-1].action_digest == command("rm", "x").digest()


@pytest.mark.anyio
async def test_a_missing_audit_key_is_a_clear_error_and_no_new_key_is_made(settings) -> None:
    gate = _gate(settings)
    await gate.submit(command("ls"))
    written = gate.audit_log.key().key_id
    audit_key_path().unlink()
    fresh = _gate(settings)  # a resumed run after the key was lost
    with pytest.raises(AuditLogError, match=f"audit key is missing.*written with key {written}.*{AUDIT_KEY_ENV}"):
        await fresh.submit(command("python", "train.py"))
    assert not audit_key_path().exists()  # a fresh key would never verify this log


@pytest.mark.anyio
async def test_a_rotated_audit_key_approves_nothing(settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AUDIT_KEY_ENV, "the old key")
    gate = _gate(settings)
    await gate.submit(command("ls"))
    monkeypatch.setenv(AUDIT_KEY_ENV, "a new key")
    with pytest.raises(AuditLogError, match="written with key"):
        await _gate(settings).submit(command("python", "train.py"))
