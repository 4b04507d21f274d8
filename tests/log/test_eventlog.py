"""The append-only event log: numbering, torn lines, concurrent writers, unknown events."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

from proctor.log import EventLog, StageEvent, UnknownEvent, parse_event


def test_events_are_numbered_in_order(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    for i in range(5):
        log.append(StageEvent(stage=f"s{i}", status="started"))
    events = log.read()
    assert [e.seq for e in events] == [0, 1, 2, 3, 4]
    assert all(isinstance(e, StageEvent) for e in events)
    assert [e.stage for e in events] == [f"s{i}" for i in range(5)]  # type: ignore[attr-defined]


def test_torn_line_is_skipped_and_sealed(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(path)
    log.append(StageEvent(stage="a", status="started"))
    with path.open("ab") as fh:  # a writer killed mid-line
        fh.write(b'{"event":"stage","stage":"tor')
    assert [e.seq for e in log.read()] == [0]
    fresh = EventLog(path)
    event = fresh.append(StageEvent(stage="b", status="started"))
    assert event.seq == 2  # the torn line keeps its slot; nothing before it is lost
    assert [e.stage for e in fresh.read()] == ["a", "b"]  # type: ignore[attr-defined]


def test_unknown_event_types_are_kept(tmp_path: Path) -> None:
    event = parse_event({"event": "from_the_future", "ts": "2026-01-01T00:00:00Z", "x": 1})
    assert isinstance(event, UnknownEvent)
    assert event.model_dump()["x"] == 1


def _writer(path: str, tag: str, n: int) -> None:
    log = EventLog(Path(path))
    for i in range(n):
        log.append(StageEvent(stage=f"{tag}{i}", status="started"))


def test_concurrent_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    procs = [multiprocessing.get_context("spawn").Process(target=_writer, args=(str(path), t, 60))
             for t in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    lines = path.read_text().splitlines()
    assert len(lines) == 120
    seqs = sorted(json.loads(line)["seq"] for line in lines)
    assert seqs == list(range(120))
