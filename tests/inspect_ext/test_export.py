"""``proctor runs export RUN --format inspect``: a run's events as an Inspect eval log, read back with
Inspect's own reader (``inspect_ai.log.read_eval_log``)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

pytest.importorskip("inspect_ai")

from click.testing import CliRunner  # noqa: E402
from inspect_ai.event import ApprovalEvent, ModelEvent, SandboxEvent, SpanBeginEvent, SpanEndEvent  # noqa: E402
from inspect_ai.log import read_eval_log  # noqa: E402

from proctor.cli.main import cli  # noqa: E402
from proctor.control import GateDecisionEvent, MonitorEvent, ProtocolDecisionEvent  # noqa: E402
from proctor.inspect_ext import run_eval_log  # noqa: E402
from proctor.log import ModelCallEvent, RunDir, StageEvent, utcnow  # noqa: E402
from proctor.sandboxes import SandboxExecEvent  # noqa: E402


def _run(root: Path) -> RunDir:
    run = RunDir.create(root, "grokking in small transformers", settings={"llm": {
        "untrusted": "openai/gpt-4o", "trusted": "openai/gpt-4o-mini", "reviewer": "openai/gpt-4o"}},
        settings_digest="d1")
    t0 = utcnow()

    def at(s: float) -> dict[str, object]:
        return {"ts": t0 + timedelta(seconds=s), "node": "run_experiments"}

    run.events.append(StageEvent(stage="run_experiments", status="started", **at(1)))  # type: ignore[arg-type]
    run.events.append(ModelCallEvent(role="untrusted", model="openai/gpt-4o", prompt_tokens=120,
                                     completion_tokens=30, cost_usd=0.002, latency_s=1.5, structured="ExperimentConfig",
                                     **at(3)))  # type: ignore[arg-type]
    run.events.append(MonitorEvent(monitor="static", score=0.45, reason="[harness 0.45] chmod", action_id="a1",
                                   action_digest="d" * 64, node_type="run_experiments", final=True, **at(3.1)))  # type: ignore[arg-type]
    run.events.append(ProtocolDecisionEvent(protocol="trusted_editing", decision="edit", action_id="a1",
                                            action_digest="d" * 64, executed_digest="e" * 64, score=0.45,
                                            reason="rewritten by the trusted editor", **at(3.2)))  # type: ignore[arg-type]
    run.events.append(GateDecisionEvent(action_id="a1", action_kind="shell", action_digest="d" * 64,
                                        origin="untrusted", decision="edit", approver="protocol:trusted_editing",
                                        protocol="trusted_editing", score=0.45, **at(3.3)))  # type: ignore[arg-type]
    run.events.append(SandboxExecEvent(provider="bubblewrap", sandbox_id="s1", action_id="a2",
                                       approver="protocol:trusted_editing", argv=["python", "experiment.py", "--seed=0"],
                                       exit_code=0, wall_s=2.0, cpu_s=1.8, peak_memory_mb=80.0,
                                       notes=["quota not enforced during the run"], **at(6)))  # type: ignore[arg-type]
    run.events.append(StageEvent(stage="run_experiments", status="finished", seconds=6.0, tokens=150, **at(7)))  # type: ignore[arg-type]
    run.events.append(ModelCallEvent(role="reviewer", model="openai/gpt-4o", prompt_tokens=900, completion_tokens=200,
                                     cost_usd=0.01, latency_s=4.0, ok=False, error="timeout", **at(12)))  # type: ignore[arg-type]
    run.write_artifact("summary.json", {"direction": "grokking", "outcomes": [
        {"idea": "warmup", "review": {"status": "ok", "overall": 6, "decision": "Accept"}}]})
    run.set_status("succeeded")
    return run


def test_the_cli_writes_a_log_inspect_reads_back(tmp_path: Path) -> None:
    run = _run(tmp_path / "runs")
    result = CliRunner().invoke(cli, ["runs", "export", str(run.path), "--format", "inspect",
                                      "--out", str(tmp_path / "logs")])
    assert result.exit_code == 0, result.output
    [path] = list((tmp_path / "logs").glob("*.eval"))
    assert path.name.endswith(f"_proctor-grokking-in-small-transformers_{run.id}.eval")
    log = read_eval_log(str(path))
    assert log.status == "success" and log.eval.model == "openai/gpt-4o"
    assert log.eval.metadata["proctor"]["models"]["trusted"] == "openai/gpt-4o-mini"  # type: ignore[index]
    [sample] = log.samples  # type: ignore[misc]
    assert sample.input == "grokking in small transformers"
    kinds = [e.event for e in sample.events]
    assert kinds.count("model") == 2 and kinds.count("sandbox") == 1 and kinds.count("approval") == 1
    assert kinds.count("span_begin") == kinds.count("span_end") == 1

    span = next(e for e in sample.events if isinstance(e, SpanBeginEvent))
    model, failed = [e for e in sample.events if isinstance(e, ModelEvent)]
    assert model.span_id == span.id and model.role == "untrusted"
    assert model.output.usage is not None
    assert model.output.usage.input_tokens == 120 and model.output.usage.total_cost == 0.002
    assert failed.error == "timeout" and failed.span_id is None

    approval = next(e for e in sample.events if isinstance(e, ApprovalEvent))
    assert approval.decision == "modify" and approval.approver == "protocol:trusted_editing"
    assert approval.metadata is not None
    verdict = approval.metadata["proctor"]["verdict"]
    assert verdict["monitors"] == [{"monitor": "static", "score": 0.45, "parsed": True,
                                    "reason": "[harness 0.45] chmod", "final": True}]
    assert verdict["reason"] == "rewritten by the trusted editor"

    sandbox = next(e for e in sample.events if isinstance(e, SandboxEvent))
    assert sandbox.cmd == "python experiment.py --seed=0" and sandbox.result == 0
    assert sandbox.options is not None and sandbox.options["peak_memory_mb"] == 80.0
    assert "quota" in (sandbox.output or "")
    assert sandbox.completed is not None and (sandbox.completed - sandbox.timestamp).total_seconds() == 2.0

    assert sample.scores["review_overall"].value == {"warmup": 6}  # type: ignore[index]
    assert log.stats.model_usage["openai/gpt-4o"].total_tokens == 1250
    assert log.stats.role_usage["reviewer"].input_tokens == 900


def test_json_format_and_a_run_stopped_mid_stage(tmp_path: Path) -> None:
    run = RunDir.create(tmp_path, "x", settings={}, settings_digest="d")
    run.events.append(StageEvent(stage="check_novelty", status="started", node="check_novelty"))
    run.set_status("paused", "held for a human")
    log = run_eval_log(run.path)
    assert log.status == "started" and log.samples[0].completed_at is None  # type: ignore[index]
    ends = [e for e in log.samples[0].events if isinstance(e, SpanEndEvent)]  # type: ignore[index]
    assert len(ends) == 1  # the open stage is closed at the last event
    out = tmp_path / "out.json"
    result = CliRunner().invoke(cli, ["runs", "export", str(run.path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["eval"]["task"] == "proctor/x"
    assert read_eval_log(str(out)).samples[0].metadata["status"] == "paused"  # type: ignore[index]


def test_export_of_a_corrupt_run_is_one_clear_error(tmp_path: Path) -> None:
    run = _run(tmp_path / "runs")
    with run.events.path.open("a", encoding="utf-8") as fh:
        fh.write('{"event": "stage", "ts": "torn')  # a killed writer's last line: skipped, not fatal
    ok = CliRunner().invoke(cli, ["runs", "export", str(run.path), "--format", "inspect", "--out", str(tmp_path / "a")])
    assert ok.exit_code == 0, ok.output
    run.header_path.write_text("not json\n", encoding="utf-8")
    bad = CliRunner().invoke(cli, ["runs", "export", str(run.path), "--format", "inspect", "--out", str(tmp_path / "b")])
    assert bad.exit_code == 1 and "reading the run header" in " ".join(bad.output.split())
    assert bad.exception is None or isinstance(bad.exception, SystemExit)
    assert not (tmp_path / "b").exists() or not list((tmp_path / "b").iterdir())
