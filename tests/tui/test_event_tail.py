"""Following an event log incrementally: appends, a torn last line, a replaced file."""

from __future__ import annotations

from pathlib import Path

from proctor.log import EventLog, ModelCallEvent, StageEvent
from proctor.tui._event_tail import EventTail


def test_reads_only_what_was_appended(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    tail = EventTail(log.path, keep=3)
    log.append(StageEvent(stage="ideas", status="started"))
    log.append(ModelCallEvent(role="untrusted", model="m", cost_usd=0.5))
    assert tail.update() and tail.stage == "ideas" and tail.cost_usd == 0.5
    assert not tail.update()
    log.append(StageEvent(stage="ideas", status="finished"))
    log.append(ModelCallEvent(role="trusted", model="m", cost_usd=0.25))
    assert tail.update()
    assert tail.cost_usd == 0.75 and tail.stage == "ideas (finished)" and tail.done == {"ideas"}
    assert [e.seq for e in tail.events] == [1, 2, 3]


def test_torn_line_waits_and_garbage_is_skipped(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    log.append(StageEvent(stage="a", status="started"))
    with log.path.open("ab") as fh:
        fh.write(b'{"event": "stage", "stage": "b", "sta')
    tail = EventTail(log.path)
    tail.update()
    assert [e.stage for e in tail.events] == ["a"]  # type: ignore[attr-defined]
    log.append(StageEvent(stage="c", status="started"))  # seals the torn line first
    tail.update()
    assert [e.stage for e in tail.events] == ["a", "c"]  # type: ignore[attr-defined]


def test_a_replaced_log_is_read_from_the_start(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    for _ in range(3):
        log.append(ModelCallEvent(role="untrusted", model="m", cost_usd=1.0))
    tail = EventTail(log.path)
    tail.update()
    log.path.unlink()
    EventLog(log.path).append(ModelCallEvent(role="untrusted", model="m", cost_usd=2.0))
    tail.update()
    assert tail.cost_usd == 2.0 and len(tail.events) == 1
