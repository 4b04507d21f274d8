"""The morning report's data: what each run of a batch produced, cost, and what needs a human.

Read-only: everything comes from the run directories (``run.json``, ``events.jsonl``,
``summary.json``, ``papers/<idea>/review.json``, ``novelty/<idea>.json``) and each run's audit queue.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from proctor.batch._record import BatchDir, BatchRecord
from proctor.log import ErrorEvent, ModelCallEvent, RunDir, StageEvent


class PaperRow(BaseModel):
    """One idea of one run, with its paper's review and novelty verdict."""

    run: str
    idea: str
    title: str = ""
    overall: float | None = Field(default=None, description="Review's Overall score (1-10).")
    decision: str | None = None
    novel: bool | None = None
    novelty_status: str | None = None
    flags: list[str] = Field(default_factory=list)
    experiment: str | None = None


class RunRow(BaseModel):
    """One run's outcome and cost."""

    key: str
    direction: str
    template: str | None
    status: str
    detail: str = ""
    run_dir: str
    cost_usd: float = 0.0
    tokens: int = 0
    gpu_hours: float = 0.0
    audit_waiting: int = 0


class Incident(BaseModel):
    """An error event or a terminated run."""

    run: str
    where: str
    message: str
    recoverable: bool


class BatchReport(BaseModel):
    """Everything the morning report shows."""

    batch: BatchRecord
    runs: list[RunRow]
    papers: list[PaperRow]
    incidents: list[Incident]
    stage_cost: dict[str, float] = Field(default_factory=dict, description="USD per stage, over all runs.")
    stage_seconds: dict[str, float] = Field(default_factory=dict)


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _audit_waiting(run: RunDir, settings: dict[str, Any]) -> int:
    from proctor.control import AuditQueue
    from proctor.control.audit import control_paths

    control = settings.get("control") or {}
    queue, _ = control_paths(control.get("queue_path"), control.get("audit_log_path"), run.path)
    if not queue.exists():
        return 0
    try:
        return len(AuditQueue(queue).list("open"))
    except Exception:  # noqa: BLE001 - a locked or corrupt queue must not break the report
        return -1


def _papers(key: str, run: RunDir) -> list[PaperRow]:
    rows: dict[str, PaperRow] = {}
    summary = _json(run.path / "summary.json") or {}
    for outcome in summary.get("outcomes") or []:
        review, novelty = outcome.get("review") or {}, outcome.get("novelty") or {}
        rows[outcome["idea"]] = PaperRow(
            run=key, idea=outcome["idea"], title=outcome.get("title") or "", overall=review.get("overall"),
            decision=review.get("decision"), novel=novelty.get("novel"), novelty_status=novelty.get("status"),
            flags=novelty.get("flags") or [], experiment=outcome.get("experiment"))
    for path in sorted(run.path.glob("papers/*/review.json")):
        data, idea = _json(path) or {}, path.parent.name
        final = data.get("review") or {}
        row = rows.setdefault(idea, PaperRow(run=key, idea=idea))
        row.overall = final.get("Overall", row.overall)
        row.decision = final.get("Decision", row.decision)
    for path in sorted(run.path.glob("novelty/*.json")):
        data, idea = _json(path) or {}, path.stem
        row = rows.setdefault(idea, PaperRow(run=key, idea=idea))
        row.novel, row.novelty_status = data.get("novel", row.novel), data.get("status", row.novelty_status)
        row.flags = data.get("flags") or row.flags
    return list(rows.values())


def collect_report(batch: BatchDir) -> BatchReport:
    """Gather the report's data from the batch and its runs."""
    record = batch.refresh(batch.load())
    per_run_gpus = int((record.spec.get("gpus") or {}).get("per_run") or 0)
    runs, papers, incidents = [], [], []
    stage_cost: dict[str, float] = {}
    stage_seconds: dict[str, float] = {}
    for entry in record.runs:
        run = batch.run_of(entry)
        row = RunRow(key=entry.key, direction=entry.direction, template=entry.template, status=entry.status,
                     detail=entry.detail, run_dir=str(run.path), gpu_hours=per_run_gpus * entry.seconds / 3600)
        if run.header_path.exists():
            row.audit_waiting = _audit_waiting(run, run.header().settings)
            for event in run.events.iter():
                if isinstance(event, ModelCallEvent):
                    row.cost_usd += event.cost_usd
                    row.tokens += event.prompt_tokens + event.completion_tokens
                elif isinstance(event, StageEvent) and event.status in ("finished", "failed"):
                    stage_cost[event.stage] = stage_cost.get(event.stage, 0.0) + (event.cost_usd or 0.0)
                    stage_seconds[event.stage] = stage_seconds.get(event.stage, 0.0) + (event.seconds or 0.0)
                elif isinstance(event, ErrorEvent):
                    incidents.append(Incident(run=entry.key, where=event.where, message=event.message,
                                              recoverable=event.recoverable))
            papers += _papers(entry.key, run)
        if entry.status == "terminated" and not any(i.run == entry.key and i.where == "control" for i in incidents):
            incidents.append(Incident(run=entry.key, where="control", message=entry.detail, recoverable=False))
        runs.append(row)
    return BatchReport(batch=record, runs=runs, papers=papers, incidents=incidents,
                       stage_cost=stage_cost, stage_seconds=stage_seconds)
