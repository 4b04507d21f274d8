"""A Proctor run as an Inspect eval log, for Inspect's log viewer (``inspect view``).

The run is one sample: its direction is the input, ``summary.json`` the metadata, the automated
reviews' overall scores the scores, and every event of ``events.jsonl`` an Inspect event in order:

===================  ==========================================================================
Proctor event        Inspect event
===================  ==========================================================================
``stage``            a span per stage run (``span_begin`` / ``span_end``), failures as ``info``
``model_call``       ``model`` (role, model, tokens, cost, latency, error; prompts are not
                     recorded by Proctor, so the input says so)
``gate_decision``    ``approval`` (decision, approver, protocol and score, with the monitors'
                     verdicts and the protocol's reason for that action in its metadata)
``protocol_decision``  ``info`` (``proctor.protocol``, with the monitors' scores and reasons)
``sandbox_exec``     ``sandbox`` (``exec``: the command, exit code, limits hit, timings, notes)
``review``           ``info`` (``proctor.review``); the final overall scores become sample scores
anything else        ``info`` (``proctor.<event>``) with the event's fields
===================  ==========================================================================
"""

from __future__ import annotations

import json
import shlex
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from inspect_ai.event import (
    ApprovalEvent,
    Event,
    InfoEvent,
    ModelEvent,
    SandboxEvent,
    SpanBeginEvent,
    SpanEndEvent,
)
from inspect_ai.log import EvalConfig, EvalDataset, EvalLog, EvalSample, EvalSpec, EvalStats, write_eval_log
from inspect_ai.model import ChatMessageAssistant, ChatMessageUser, GenerateConfig, ModelOutput, ModelUsage
from inspect_ai.scorer import Score
from inspect_ai.tool import ToolCall

from proctor import __version__
from proctor.log import Event as ProctorEvent
from proctor.log import RunDir

_STATUS = {"succeeded": "success", "failed": "error", "budget_exhausted": "error", "terminated": "cancelled"}
_APPROVAL = {"allow": "approve", "approved": "approve", "approve": "approve", "edit": "modify",
             "defer_to_trusted": "modify", "resample": "modify", "modify": "modify", "block": "reject",
             "blocked": "reject", "reject": "reject", "terminate": "terminate", "terminated": "terminate",
             "escalate": "escalate", "held": "escalate"}


def _fields(e: ProctorEvent) -> dict[str, Any]:
    return e.model_dump(mode="json", exclude={"event", "ts", "seq"})


class _Converter:
    """Proctor events -> Inspect events, with one span per stage run."""

    def __init__(self, started: datetime) -> None:
        self.started = started
        self.open: dict[str, list[str]] = defaultdict(list)
        self.verdicts: dict[str, dict[str, Any]] = {}
        self.monitors: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.usage: dict[str, ModelUsage] = {}
        self.role_usage: dict[str, ModelUsage] = {}
        self.reviews: dict[str, int] = {}
        self.n = 0

    def _base(self, e: ProctorEvent, at: datetime | None = None) -> dict[str, Any]:
        at = at or e.ts
        spans = self.open.get(e.node or "")
        return {"timestamp": at, "working_start": max(0.0, (at - self.started).total_seconds()),
                "span_id": spans[-1] if spans else None}

    def convert(self, e: ProctorEvent) -> list[Event]:
        handler = getattr(self, f"_on_{e.event}", None)
        if handler is not None:
            return handler(e)  # type: ignore[no-any-return]
        return [InfoEvent(source=f"proctor.{e.event}", data=_fields(e), **self._base(e))]

    def _on_stage(self, e: Any) -> list[Event]:
        if e.status == "started":
            self.n += 1
            span = f"{e.stage}-{self.n}"
            event: Event = SpanBeginEvent(id=span, name=e.stage, type="proctor_stage", **self._base(e))
            self.open[e.node or e.stage].append(span)
            return [event]
        out: list[Event] = []
        if e.status != "finished" or e.detail:
            out.append(InfoEvent(source="proctor.stage", data=_fields(e), **self._base(e)))
        spans = self.open.get(e.node or e.stage)
        if spans:
            out.append(SpanEndEvent(id=spans.pop(0), **self._base(e)))
        return out

    def _on_model_call(self, e: Any) -> list[Event]:
        usage = ModelUsage(input_tokens=e.prompt_tokens, output_tokens=e.completion_tokens,
                           total_tokens=e.prompt_tokens + e.completion_tokens, total_cost=e.cost_usd)
        self.usage[e.model] = self.usage[e.model] + usage if e.model in self.usage else usage
        self.role_usage[e.role] = self.role_usage[e.role] + usage if e.role in self.role_usage else usage
        what = f"structured output {e.structured}" if e.structured else "text"
        note = (f"[{e.role} call for {what}, attempt {e.attempt}; Proctor records tokens, cost and latency, "
                "not the prompt]")
        output = ModelOutput.from_content(e.model, "" if not e.ok else f"[{e.completion_tokens} tokens]",
                                          error=e.error)
        output.usage, output.time = usage, e.latency_s
        return [ModelEvent(model=e.model, role=e.role, input=[ChatMessageUser(content=note)], tools=[],
                           tool_choice="none", config=GenerateConfig(), output=output, error=e.error,
                           completed=e.ts, working_time=e.latency_s,
                           **self._base(e, e.ts - timedelta(seconds=e.latency_s)))]

    def _on_monitor(self, e: Any) -> list[Event]:
        self.monitors[e.action_digest].append({"monitor": e.monitor, "score": e.score, "parsed": e.parsed,
                                               "reason": e.reason, "final": e.final})
        return []

    def _on_protocol_decision(self, e: Any) -> list[Event]:
        data = {**_fields(e), "monitors": self.monitors.pop(e.action_digest, [])}
        self.verdicts[e.action_digest] = data
        return [InfoEvent(source="proctor.protocol", data=data, **self._base(e))]

    def _on_gate_decision(self, e: Any) -> list[Event]:
        call = ToolCall(id=e.action_id, function=e.action_kind,
                        arguments={"action_digest": e.action_digest, "origin": e.origin, "node": e.node})
        meta = {"proctor": {"decision": e.decision, "protocol": e.protocol, "score": e.score,
                            "verdict": self.verdicts.get(e.action_digest)}}
        return [ApprovalEvent(message=f"{e.origin} {e.action_kind} action {e.action_id} ({e.node})", call=call,
                              approver=e.approver, decision=_APPROVAL.get(e.decision, "escalate"),  # type: ignore[arg-type]
                              explanation=e.detail or None, metadata=meta, **self._base(e))]

    def _on_sandbox_exec(self, e: Any) -> list[Event]:
        flags = [f for f in ("timed_out", "oom_killed", "killed", "truncated", "disk_quota_exceeded") if getattr(e, f)]
        output = "\n".join([*(f"[{f}]" for f in flags), *e.notes, *([f"error: {e.error}"] if e.error else [])])
        options = {"provider": e.provider, "sandbox_id": e.sandbox_id, "approver": e.approver,
                   "action_id": e.action_id, "wall_s": e.wall_s, "cpu_s": e.cpu_s, "peak_memory_mb": e.peak_memory_mb}
        return [SandboxEvent(action="exec", cmd=shlex.join(e.argv), result=e.exit_code, output=output or None,
                             options=options, completed=e.ts, **self._base(e, e.ts - timedelta(seconds=e.wall_s)))]

    def _on_review(self, e: Any) -> list[Event]:
        return [InfoEvent(source="proctor.review", data=_fields(e), **self._base(e))]

    def close(self, at: datetime) -> list[Event]:
        """End the spans still open (a run that stopped mid-stage)."""
        ends: list[Event] = [SpanEndEvent(id=s, timestamp=at) for spans in self.open.values() for s in spans]
        self.open.clear()
        return ends


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_eval_log(run_dir: Path) -> EvalLog:
    """The Inspect eval log of the run in ``run_dir`` (one sample holding every event).

    Raises:
        OSError, ValueError: when ``run.json`` is missing or unreadable.
    """
    run = RunDir(run_dir)
    header = run.header()
    events = run.events.read()
    conv = _Converter(header.created)
    converted = [x for e in events for x in conv.convert(e)]
    ended = events[-1].ts if events else header.updated
    converted += conv.close(ended)
    summary = _read_json(run.path / "summary.json") or {}
    reviews = {o["idea"]: o["review"]["overall"] for o in summary.get("outcomes", [])
               if isinstance(o, dict) and isinstance(o.get("review"), dict)
               and isinstance(o["review"].get("overall"), int | float)}
    scores = {"review_overall": Score(value=reviews, explanation="overall score (1-10) of each idea's automated review")} \
        if reviews else None
    llm = header.settings.get("llm", {}) if isinstance(header.settings, dict) else {}
    status = _STATUS.get(header.status, "started")
    outcome = json.dumps(summary.get("outcomes", []), indent=1)[:20_000] if summary else f"status: {header.status}"
    sample = EvalSample(
        id=header.id, epoch=1, input=header.direction, target="",
        messages=[ChatMessageUser(content=header.direction), ChatMessageAssistant(content=outcome)],
        metadata={"summary": summary, "status": header.status, "status_detail": header.status_detail},
        scores=scores, events=converted, model_usage=conv.usage, role_usage=conv.role_usage,
        started_at=header.created.isoformat(), completed_at=ended.isoformat() if status != "started" else None,
        total_time=(ended - header.created).total_seconds(), uuid=f"proctor-{header.id}")
    spec = EvalSpec(
        created=header.created.isoformat(), task=f"proctor/{header.slug}", task_id=header.id, run_id=header.id,
        eval_id=header.id, dataset=EvalDataset(name="proctor", samples=1, sample_ids=[header.id]),
        model=str(llm.get("untrusted", "unknown")), config=EvalConfig(),
        packages={"proctor": header.proctor_version or __version__},
        metadata={"proctor": {"run_dir": str(run.path), "direction": header.direction, "template": header.template,
                              "status": header.status, "settings_digest": header.settings_digest,
                              "git_sha": header.git_sha, "models": {k: v for k, v in llm.items()
                                                                    if k in ("untrusted", "trusted", "reviewer")}}})
    stats = EvalStats(started_at=header.created.isoformat(), completed_at=ended.isoformat(),
                      model_usage=conv.usage, role_usage=conv.role_usage)
    return EvalLog(status=status, eval=spec, stats=stats, samples=[sample])  # type: ignore[arg-type]


def export_run(run_dir: Path, out: Path | None = None, *, fmt: str = "eval") -> Path:
    """Write the run's Inspect eval log; returns its path.

    Args:
        run_dir: the run directory.
        out: the file, or a directory for it (default: ``<run_dir>/inspect/``); the file's name
            follows Inspect's ``<created>_<task>_<id>.eval`` convention.
        fmt: ``eval`` (Inspect's zipped format) or ``json``.
    """
    log = run_eval_log(Path(run_dir))
    created = datetime.fromisoformat(log.eval.created)
    name = f"{created:%Y-%m-%dT%H-%M-%S}-00-00_proctor-{log.eval.task.split('/')[-1]}_{log.eval.task_id}.{fmt}"
    target = Path(out) if out is not None else Path(run_dir) / "inspect"
    if target.suffix not in (".eval", ".json"):
        target = target / name
    target.parent.mkdir(parents=True, exist_ok=True)
    write_eval_log(log, target, format="json" if target.suffix == ".json" else "eval")
    return target
