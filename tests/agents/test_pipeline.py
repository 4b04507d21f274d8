"""The whole workflow with scripted models: ideas -> novelty -> sandboxed experiments -> paper -> review.

Real pieces: the LangGraph graph and checkpoints, the control gate (static monitor, audit log),
the bubblewrap sandbox on the built rootfs, a chromadb index (hashing embedder), the write-up and
the reviewer. Only the models are scripted. Skipped where bubblewrap or the rootfs is missing
(`proctor sandbox build-image --rootfs-only`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from proctor.agents import start_run
from proctor.llm import mock
from proctor.log import Event, ModelCallEvent
from proctor.settings import load_settings
from tests.helpers.schema_fake import fake

EXPERIMENT = '''
import argparse, json, os, random
p = argparse.ArgumentParser()
p.add_argument("--out_dir"); p.add_argument("--config"); p.add_argument("--seed", type=int, default=0)
a = p.parse_args()
scale = json.load(open(a.config))["scale"] if a.config else 1
random.seed(a.seed)
os.makedirs(a.out_dir, exist_ok=True)
acc = 0.5 + 0.04 * scale + random.random() * 0.01
json.dump({"toy": {"means": {"accuracy": acc, "loss": 1 - acc}}}, open(os.path.join(a.out_dir, "final_info.json"), "w"))
'''
PLOT = '''
import glob, json
import matplotlib; matplotlib.use("Agg")
import matplotlib.pyplot as plt
runs = sorted(glob.glob("run_*/final_info.json"))
plt.bar(range(len(runs)), [json.load(open(r))["toy"]["means"]["accuracy"] for r in runs])
plt.savefig("accuracy.png")
'''


def _template(root: Path) -> Path:
    root.mkdir()
    (root / "experiment.py").write_text(EXPERIMENT)
    (root / "plot.py").write_text(PLOT)
    (root / "prompt.json").write_text(json.dumps({"system": "You are a researcher.",
                                                  "task_description": "A toy accuracy experiment."}))
    (root / "seed_ideas.json").write_text(json.dumps([{
        "Name": "scale", "Title": "Scaling the toy knob", "Experiment": "Raise scale and measure accuracy.",
        "Interestingness": 3, "Feasibility": 9, "Novelty": 2}]))
    (root / "knobs.json").write_text(json.dumps([
        {"name": "scale", "type": "int", "default": 1, "min": 1, "max": 10, "help": "How much to scale."},
        {"name": "seed", "type": "int", "default": 0, "min": 0, "max": 1000, "help": "Random seed."}]))
    return root


def _respond(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    fmt = params["response_format"]["json_schema"]
    value = fake(fmt["schema"])
    name = fmt["name"]
    if name == "Idea":
        n = sum("Ideas already proposed" in m["content"] for m in messages)
        value.update(Name=f"toy idea {n}", Title=f"Scaling study number {n}", Experiment="Raise scale to 3.")
    elif name == "ExperimentConfig":
        value.update(scale=3, rationale="a larger scale should help")
    elif name == "PaperProse":
        value.update(results_discussion="Accuracy is higher with the idea, reaching 0.99 in one run.")
    elif name == "NoveltyDecision":
        value.update(novel=True, cited=[1], reasoning="No passage scales the toy knob.")
    return json.dumps(value)


def _rootfs_ready() -> bool:
    import shutil

    from proctor.sandboxes import SandboxSettings, rootfs_dir

    return shutil.which("bwrap") is not None and (rootfs_dir(SandboxSettings()) / "usr/bin/python3").exists()


@pytest.mark.bwrap
@pytest.mark.skipif(not _rootfs_ready(), reason="no sandbox rootfs: run `proctor sandbox build-image --rootfs-only`")
def test_full_pipeline_with_scripted_models(tmp_path: Path) -> None:
    from proctor.retrieval import Document, LiteratureIndex, add_documents

    overrides = [
        "llm.untrusted=mock/u", "llm.trusted=mock/t", "llm.reviewer=mock/r", "llm.allow_mock=true",
        f"runs_dir={tmp_path / 'runs'}", f"workflow.template={_template(tmp_path / 'toy')}",
        "workflow.num_ideas=2", "workflow.seeds=2", "workflow.novelty_rounds=1",
        "retrieval.embedder=hashing", f"retrieval.index_dir={tmp_path / 'index'}",
        "sandbox.provider=bubblewrap", "sandbox.timeout_s=120",
    ]
    settings = load_settings(None, overrides)
    index = LiteratureIndex(settings.retrieval)
    add_documents(index, [Document(paper_id=f"p{i}", title=f"Paper {i} on scaling", abstract=f"We scale knob {i}.",
                                   text=f"We scale knob {i}.\n\nScaling improves accuracy.", source="test")
                          for i in range(5)])
    del index
    for name in ("u", "t", "r"):
        mock.script(name, _respond)

    run = anyio.run(start_run, settings, "toy scaling")
    header = run.header()
    assert header.status == "succeeded", header.status_detail
    summary = json.loads((run.path / "summary.json").read_text())
    assert len(summary["outcomes"]) == 2
    for outcome in summary["outcomes"]:
        assert outcome["errors"] == [], outcome
        assert outcome["experiment"] == "ok" and outcome["novelty"]["status"] == "checked"
        assert outcome["review"]["status"] == "ok"
        name = outcome["idea"]
        exp = json.loads((run.path / f"experiments/{name}/experiment.json").read_text())
        assert {r["condition"] for r in exp["runs"].values()} == {"baseline", "idea"}
        assert len([r for r in exp["runs"].values() if r["condition"] == "idea"]) == 2  # two seeds
        assert exp["figures"]
        paper = (run.path / outcome["paper"]).read_text()
        assert "| idea |" in paper and "± " in paper  # numbers from the results, aggregated over seeds
        assert "0.99" in paper and "Claim check" in paper  # the invented number is flagged
        assert (run.path / f"papers/{name}/review.json").exists()
        novelty = json.loads((run.path / f"novelty/{name}.json").read_text())
        assert novelty["evidence"] and novelty["cited"]
    events: list[Event] = run.events.read()
    kinds = [e.event for e in events]
    assert kinds.count("sandbox_exec") == 2 * (2 + 2 + 1)  # per idea: baseline and idea on two seeds each, plot
    untrusted_runs = [e for e in events if e.event == "gate_decision" and getattr(e, "origin", "") == "untrusted"]
    assert untrusted_runs, "agent actions must pass the gate"
    roles = {e.role for e in events if isinstance(e, ModelCallEvent)}
    assert roles == {"untrusted", "reviewer"}


@pytest.mark.bwrap
@pytest.mark.skipif(not _rootfs_ready(), reason="no sandbox rootfs: run `proctor sandbox build-image --rootfs-only`")
def test_a_near_duplicate_idea_is_skipped_before_its_experiments(tmp_path: Path) -> None:
    from proctor.retrieval import Document, LiteratureIndex, add_documents

    def same_idea(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        value = json.loads(_respond(messages, params))
        if params["response_format"]["json_schema"]["name"] == "Idea":
            n = sum("Ideas already proposed" in m["content"] for m in messages)
            value.update(Name=f"toy idea {n}", Title="Tripling the knob", Experiment="Raise scale to 3.")
        return json.dumps(value)

    settings = load_settings(None, [
        "llm.untrusted=mock/u", "llm.trusted=mock/t", "llm.reviewer=mock/r", "llm.allow_mock=true",
        f"runs_dir={tmp_path / 'runs'}", f"workflow.template={_template(tmp_path / 'toy')}",
        "workflow.num_ideas=2", "workflow.seeds=1", "workflow.novelty_rounds=1",
        'workflow.stages=["novelty","experiments"]',
        "retrieval.embedder=hashing", f"retrieval.index_dir={tmp_path / 'index'}",
        "sandbox.provider=bubblewrap", "sandbox.timeout_s=120",
    ])
    add_documents(LiteratureIndex(settings.retrieval), [
        Document(paper_id="p0", title="Paper on scaling", abstract="We scale a knob.", text="We scale a knob.",
                 source="test")])
    for name in ("u", "t", "r"):
        mock.script(name, same_idea)
    run = anyio.run(start_run, settings, "toy scaling")
    assert run.header().status == "succeeded", run.header().status_detail
    outcomes = {o["idea"]: o for o in json.loads((run.path / "summary.json").read_text())["outcomes"]}
    first, second = outcomes["toy_idea_0"], outcomes["toy_idea_1"]
    assert first["experiment"] == "ok" and "near_duplicate" not in (first["novelty"]["flags"] or [])
    assert "near_duplicate" in second["novelty"]["flags"]
    assert second["experiment"] == "skipped" and "near-duplicate" in second["skipped"]
    assert not (run.path / "experiments" / "toy_idea_1").exists()  # nothing ran for it
