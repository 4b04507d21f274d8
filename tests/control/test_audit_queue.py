"""The audit queue: ordering, decisions, errors, the budget counter."""

from pathlib import Path

import pytest

from proctor.control import AuditQueue, Evidence, QueueError, QueueUnavailable
from tests.control.control_helpers import command


def _hold(queue: AuditQueue, name: str, percentile: float) -> str:
    action = command(name)
    ev = Evidence(task="t", node=action.node, action=action, rendered=name)
    return queue.enqueue(ev, digest=action.digest(), score=percentile, percentile=percentile,
                         protocol="trusted_monitoring", reason="r")


def test_ordered_by_percentile_and_idempotent(tmp_path: Path) -> None:
    q = AuditQueue(tmp_path / "q.sqlite")
    low, high = _hold(q, "ls", 0.5), _hold(q, "rm", 0.99)
    assert [i.id for i in q.list()] == [high, low]
    assert _hold(q, "ls", 0.5) == low


def test_decisions_and_errors(tmp_path: Path) -> None:
    q = AuditQueue(tmp_path / "q.sqlite")
    item = _hold(q, "rm", 0.9)
    with pytest.raises(QueueError, match="no audit item"):
        q.decide("nope", "approve", reviewer="a", rationale="r")
    with pytest.raises(QueueError, match="modified action"):
        q.decide(item, "modify", reviewer="a", rationale="r")
    with pytest.raises(QueueError, match="reviewer and a rationale"):
        q.decide(item, "approve", reviewer="", rationale="r")
    escalated = q.decide(item, "escalate", reviewer="junior", rationale="unsure")
    assert escalated.status == "escalated" and q.decision(item) is None
    done = q.decide(item, "reject", reviewer="senior", rationale="exfiltration")
    assert done.decision.decision == "reject" and len(done.decisions) == 2
    with pytest.raises(QueueError, match="already decided"):
        q.decide(item, "approve", reviewer="a", rationale="r")
    with pytest.raises(QueueError):
        q.get("nope")


def test_budget_counter(tmp_path: Path) -> None:
    q = AuditQueue(tmp_path / "q.sqlite", budget=0.1)
    for _ in range(20):
        q.count_action()
    _hold(q, "rm", 0.9)
    b = q.budget()
    assert (b.seen, b.used, b.allowed, b.over) == (20, 1, 2.0, False)
    _hold(q, "curl", 0.9)
    _hold(q, "nc", 0.9)
    assert q.budget().over


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite"
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(QueueUnavailable, match="corrupt"):
        AuditQueue(path).list()
