"""Runs: a complete run, kill -9 then resume, budget exhaustion then resume with more."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from proctor.agents import resume_run, start_run
from proctor.llm import BudgetExceeded, mock
from proctor.log import ModelCallEvent, RunDir, StageEvent
from proctor.settings import load_settings

HERE = Path(__file__).parent


def idea(i: int) -> str:
    return json.dumps({"Name": f"Idea {i}!", "Title": f"Idea title number {i}", "Experiment": "e" * 40,
                       "Interestingness": 5, "Feasibility": 6, "Novelty": 7})


def _settings(tmp_path: Path, *extra: str):  # type: ignore[no-untyped-def]
    return load_settings(None, ["llm.untrusted=mock/u", "llm.allow_mock=true",
                                f"runs_dir={tmp_path}", "workflow.num_ideas=2", "workflow.stages=[]", *extra])


def test_run_writes_ideas_ledger_and_results(tmp_path: Path) -> None:
    mock.script("u", [idea(0), idea(1)])
    run = anyio.run(start_run, _settings(tmp_path), "tiny transformers")
    header = run.header()
    assert header.status == "succeeded" and len(header.settings_digest) == 16
    ideas = json.loads((run.path / "ideas/ideas.json").read_text())
    assert [i["Name"] for i in ideas] == ["idea_0", "idea_1"]  # normalised to snake_case
    calls = [e for e in run.events.read() if isinstance(e, ModelCallEvent)]
    assert len(calls) == 2 and all(c.node == "propose_idea" and c.structured == "Idea" for c in calls)
    assert json.loads((run.path / "results.json").read_text())["ideas"] == ideas
    # the second prompt lists the first idea so the model proposes something different
    assert "Idea title number 0" in mock.requests("u")[1]["messages"][0]["content"]


def test_kill_9_then_resume_finishes_without_redoing_work(tmp_path: Path) -> None:
    marker = tmp_path / "hanging"
    proc = subprocess.Popen([sys.executable, str(HERE / "_hang_on_second_idea.py"), str(tmp_path), str(marker)])
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, "the run exited before it hung"
        assert time.monotonic() < deadline, "the run never reached its second idea"
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    [run] = RunDir.all(tmp_path)
    assert run.header().status == "running"  # killed: nobody updated it
    assert not (run.path / "results.json").exists()

    mock.script("u", [idea(1)])
    anyio.run(resume_run, run)
    assert run.header().status == "succeeded"
    ideas = json.loads((run.path / "ideas/ideas.json").read_text())
    assert [i["Name"] for i in ideas] == ["idea_0", "idea_1"]
    assert len(mock.requests("u")) == 1  # the first idea came from the checkpoint, not a new call
    stages = [e for e in run.events.read() if isinstance(e, StageEvent) and e.status == "finished"]
    assert [s.stage for s in stages] == ["propose_idea", "propose_idea", "save_ideas", "summarize"]


def test_budget_exhaustion_stops_cleanly_and_resume_with_more(tmp_path: Path) -> None:
    mock.script("u", [idea(0), idea(1)])
    settings = _settings(tmp_path, "llm.budget.max_tokens=10")
    with pytest.raises(BudgetExceeded):
        anyio.run(start_run, settings, "budgeted")
    [run] = RunDir.all(tmp_path)
    assert run.header().status == "budget_exhausted"
    assert "llm.budget.max_tokens" in run.header().status_detail
    anyio.run(resume_run, run, ["llm.budget.max_tokens=100000"])
    assert run.header().status == "succeeded"
    assert run.header().settings["llm"]["budget"]["max_tokens"] == 100000
    assert len(json.loads((run.path / "ideas/ideas.json").read_text())) == 2


def test_pause_request_pauses_between_stages_and_resume_continues(tmp_path: Path) -> None:
    mock.script("u", [idea(0), idea(1)])
    settings = _settings(tmp_path)

    calls = {"n": 0}

    def respond(messages: list[dict[str, str]]) -> str:
        calls["n"] += 1
        if calls["n"] == 1:  # ask for a pause while the first idea is being written
            [run_dir] = [p for p in tmp_path.iterdir() if (p / "run.json").exists()]
            (run_dir / "control").mkdir(exist_ok=True)
            (run_dir / "control" / "pause").write_text("")
        return idea(calls["n"] - 1)

    mock.script("u", respond)
    run = anyio.run(start_run, settings, "pausable")
    assert run.header().status == "paused" and "on request" in run.header().status_detail
    assert run.header().extra["pid"] > 0
    anyio.run(resume_run, run)
    assert run.header().status == "succeeded"
    assert not (run.path / "control" / "pause").exists()
    assert calls["n"] == 2


def test_reflection_rounds_revise_each_idea(tmp_path: Path) -> None:
    revised = json.loads(idea(9))
    revised["Title"] = "A sharper revised title"
    mock.script("u", [idea(0), json.dumps(revised), idea(1), json.dumps({**revised, "Name": "other"})])
    run = anyio.run(start_run, _settings(tmp_path, "workflow.reflection_rounds=1"), "reflective")
    ideas = json.loads((run.path / "ideas/ideas.json").read_text())
    assert [i["Title"] for i in ideas] == ["A sharper revised title"] * 2
    assert "Round 1 of 1" in mock.requests("u")[1]["messages"][0]["content"]
    assert len(mock.requests("u")) == 4


def test_ideas_avoid_the_batch_archive(tmp_path: Path) -> None:
    from proctor.agents import execute

    settings = _settings(tmp_path, "workflow.num_ideas=1")
    mock.script("u", [idea(0)])
    first = anyio.run(start_run, settings, "batch member one")
    header = first.header()
    header.batch_id = "nightly"
    first.write_header(header)
    second = RunDir.create(tmp_path, "batch member two", settings=settings.public_dump(),
                           settings_digest=settings.digest(), batch_id="nightly")
    outsider = RunDir.create(tmp_path, "not in the batch", settings=settings.public_dump(),
                             settings_digest=settings.digest())
    mock.script("u", [idea(1), idea(2)])
    for run in (second, outsider):
        anyio.run(execute, run, settings, {"direction": "d", "ideas": [], "stages": [], "outcomes": []})
    prompts = [r["messages"][0]["content"] for r in mock.requests("u")]
    assert "Idea title number 0" in prompts[0].split("other runs of this batch")[1]  # the sibling's idea
    assert "Ideas already proposed" not in prompts[1]  # a run outside the batch has nothing to avoid
