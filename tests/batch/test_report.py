"""The morning report: papers, novelty, audit items waiting, incidents, failures, cost and plots."""

from __future__ import annotations

import json
from pathlib import Path

from proctor.batch import BatchDir, BatchEntry, collect_report, write_report
from proctor.control import AuditQueue
from proctor.control.audit._queue import Evidence
from proctor.control.core._actions import Action, ShellCommand
from proctor.log import ErrorEvent, ModelCallEvent, RunDir, StageEvent


def _batch(tmp_path: Path) -> BatchDir:
    batch = BatchDir.create(tmp_path, "nightly", {"name": "nightly", "directions": ["a", "b", "c"],
                                                  "gpus": {"per_run": 1}})
    record = batch.load()
    good = RunDir.create(batch.runs_root, "a", settings={}, settings_digest="x", batch_id=record.id)
    good.write_artifact("summary.json", {"direction": "a", "outcomes": [
        {"idea": "idea_0", "title": "Sparse heads", "novelty": {"status": "checked", "novel": True, "flags": []},
         "experiment": "ok", "review": {"status": "ok", "overall": 6, "decision": "Accept"}},
        {"idea": "idea_1", "title": "Dense heads", "novelty": {"status": "checked", "novel": False,
                                                               "flags": ["near_duplicate"]},
         "experiment": "failed", "review": {"status": "skipped"}}]})
    good.write_artifact("papers/idea_0/review.json", {"review": {"Overall": 7, "Decision": "Accept"}})
    good.events.append(ModelCallEvent(role="untrusted", model="m", prompt_tokens=90, completion_tokens=10,
                                      cost_usd=0.25))
    good.events.append(StageEvent(stage="review", status="finished", seconds=3.0, cost_usd=0.25))
    good.set_status("succeeded")
    paused = RunDir.create(batch.runs_root, "b", settings={}, settings_digest="x", batch_id=record.id)
    queue = AuditQueue(paused.path / "control" / "audit.sqlite")
    action = Action(node="run_experiment", payload=ShellCommand(argv=["rm", "-rf", "/data"]))
    queue.enqueue(Evidence(task="t", node="run_experiment", action=action, rendered="rm -rf /data"),
                  digest="d1", score=9.0, percentile=0.99, protocol="trusted_monitoring", reason="deletes data")
    paused.set_status("paused", "waiting for audit item")
    failed = RunDir.create(batch.runs_root, "c", settings={}, settings_digest="x", batch_id=record.id)
    failed.events.append(ErrorEvent(where="model", message="provider down", recoverable=True))
    failed.set_status("failed", "ModelUnavailable: provider down")
    for key, run in (("d0-t0", good), ("d1-t0", paused), ("d2-t0", failed)):
        record.runs.append(BatchEntry(key=key, direction=run.header().direction, run_dir=str(run.path),
                                      seconds=1800))
    batch.save(record)
    return batch


def test_report_collects_every_section(tmp_path: Path) -> None:
    report = collect_report(_batch(tmp_path))
    by_idea = {p.idea: p for p in report.papers}
    assert by_idea["idea_0"].overall == 7 and by_idea["idea_0"].novel is True  # review.json wins
    assert by_idea["idea_1"].flags == ["near_duplicate"] and by_idea["idea_1"].overall is None
    runs = {r.key: r for r in report.runs}
    assert runs["d1-t0"].audit_waiting == 1 and runs["d1-t0"].status == "paused"
    assert runs["d0-t0"].cost_usd == 0.25 and runs["d0-t0"].tokens == 100 and runs["d0-t0"].gpu_hours == 0.5
    assert [(i.run, i.where) for i in report.incidents] == [("d2-t0", "model")]
    assert report.stage_cost == {"review": 0.25}


def test_report_files(tmp_path: Path) -> None:
    paths = write_report(_batch(tmp_path))
    names = {p.name for p in paths}
    assert {"report.md", "report.html", "report.json", "scores.png", "stage_cost.png"} <= names
    md = (paths[0].parent / "report.md").read_text()
    assert "| d0-t0 | idea_0 | Sparse heads | 7 | Accept | True |" in md
    assert "ModelUnavailable: provider down" in md and "| d1-t0 | paused | 1 |" in md
    html = (paths[0].parent / "report.html").read_text()
    assert "<table>" in html and "scores.png" in html
    assert json.loads((paths[0].parent / "report.json").read_text())["batch"]["name"] == "nightly"
