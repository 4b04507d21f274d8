"""Evaluation integrity in a real experiment node (bubblewrap sandbox, scripted proposer): a marked
evaluation knob is refused before the gate; an unmarked one that measures gets a baseline measured the
same way, which the paper's statistics compare the idea with; every condition runs on the same seeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from proctor.agents import Change, RunContext
from proctor.agents.template import load_template
from proctor.log import RunDir, use_log
from proctor.paper import aggregate, compare
from proctor.settings import load_settings
from tests.agents.test_pipeline import PLOT, _rootfs_ready

# Accuracy measured on a "test share": a smaller share reads higher here, as a lucky small test set can.
EXPERIMENT = '''
import argparse, json, os, random
p = argparse.ArgumentParser()
p.add_argument("--out_dir"); p.add_argument("--config"); p.add_argument("--seed", type=int, default=0)
a = p.parse_args()
c = {"scale": 1, "test_share": 0.2, "bins": 10}
c.update(json.load(open(a.config)) if a.config else {})
random.seed(a.seed)
os.makedirs(a.out_dir, exist_ok=True)
acc = 0.5 + 0.01 * c["scale"] + (0.2 - c["test_share"]) + random.random() * 0.01
json.dump({"toy": {"means": {"accuracy": acc}}}, open(os.path.join(a.out_dir, "final_info.json"), "w"))
'''


def _template(root: Path) -> Path:
    root.mkdir()
    (root / "experiment.py").write_text(EXPERIMENT)
    (root / "plot.py").write_text(PLOT)
    (root / "prompt.json").write_text(json.dumps({"system": "s", "task_description": "A toy accuracy experiment."}))
    (root / "seed_ideas.json").write_text(json.dumps([{
        "Name": "scale", "Title": "Scaling", "Experiment": "Raise scale.", "Interestingness": 3,
        "Feasibility": 9, "Novelty": 2}]))
    (root / "knobs.json").write_text(json.dumps([
        {"name": "scale", "type": "int", "default": 1, "min": 1, "max": 10},
        {"name": "test_share", "type": "float", "default": 0.2, "min": 0.05, "max": 0.5},
        {"name": "bins", "type": "int", "default": 10, "min": 2, "max": 50, "evaluation": True},
        {"name": "seed", "type": "int", "default": 0, "min": 0, "max": 1000}]))
    return root


def _proposer(configs: list[dict[str, Any]]) -> Any:
    async def propose(ctx: Any, template: Any, idea: dict[str, Any], baseline: str, last_error: str,
                      attempt: int, history: list[str], *, role: str = "untrusted", draw: int = 0) -> Any:
        config = template.validate_config(configs[min(attempt, len(configs)) - 1])
        name = f"config_{attempt}.json"
        return Change(path=name, old="", new=json.dumps(config) + "\n", rationale="try", config=config,
                      config_path=name, defaults=template.validate_config({}))
    return propose


@pytest.mark.bwrap
@pytest.mark.skipif(not _rootfs_ready(), reason="no sandbox rootfs: run `proctor sandbox build-image --rootfs-only`")
def test_evaluation_knobs_are_refused_or_measured_the_same_way(tmp_path: Path) -> None:
    from proctor.agents._experiments import run_experiments

    root = _template(tmp_path / "toy")
    settings = load_settings(None, [
        f"runs_dir={tmp_path / 'runs'}", f"workflow.template={root}", "workflow.seeds=3",
        "sandbox.provider=bubblewrap", "sandbox.timeout_s=60", "control.audit_budget=0",
        "control.fallback_audit_threshold=1.0"])
    run = RunDir.create(Path(settings.runs_dir), "integrity", settings=settings.public_dump(),
                        settings_digest=settings.digest(), template=str(root))
    # First the marked knob (refused before the gate), then the unmarked test_share with the idea's scale.
    ctx = RunContext(settings=settings, run=run, propose=_proposer([{"bins": 20}, {"scale": 2, "test_share": 0.05}]))
    idea = load_template(str(root)).seed_ideas[0].model_dump()

    async def go() -> dict[str, Any]:
        with use_log(run.events):
            return await run_experiments(ctx, idea, str(root))

    record = anyio.run(go)
    first, second = record["attempts"]
    assert "bins: evaluation setting" in first["error"] and not first.get("ok_runs")
    assert len(second["ok_runs"]) == 3 and record["seeds"] == 3
    by_condition: dict[str, list[int]] = {}
    for run_rec in record["runs"].values():
        by_condition.setdefault(run_rec["condition"], []).append(run_rec["seed"])
    assert by_condition == {"baseline": [0, 1, 2], "idea": [0, 1, 2],
                            "baseline (same evaluation as idea)": [0, 1, 2]}
    assert any("test_share from 0.2 to 0.05" in f for f in record["integrity"])
    # The statistics compare the idea with the baseline measured on the same test share: only +0.01.
    conditions: dict[str, Any] = {}
    for name, rec in sorted(record["runs"].items()):
        conditions.setdefault(rec["condition"], {"runs": []})["runs"].append((name, rec["final_info"]))
    (cmp,) = compare(aggregate(conditions))
    assert "same evaluation" in cmp.note and cmp.difference == pytest.approx(0.01, abs=0.011)
