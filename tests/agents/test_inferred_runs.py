"""An AI Scientist style template (parameters only as literals in ``__main__``) end to end in the sandbox:
search ideas become in-place edits that run; a run in which no idea produced a result fails, exit 1.

Real pieces: the bubblewrap sandbox on the built rootfs, the control gate, the CLI. The models are scripted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner

from proctor.agents import _ideation, start_run
from proctor.cli.main import cli
from proctor.llm import mock
from proctor.settings import load_settings
from tests.agents.test_pipeline import _rootfs_ready
from tests.agents.test_search import EXPERIMENT, make_template
from tests.helpers.schema_fake import fake

pytestmark = [pytest.mark.bwrap, pytest.mark.skipif(
    not _rootfs_ready(), reason="no sandbox rootfs: run `proctor sandbox build-image --rootfs-only`")]


def _overrides(tmp_path: Path, template: Path) -> list[str]:
    return ["llm.untrusted=mock/u", "llm.trusted=mock/t", "llm.reviewer=mock/r", "llm.allow_mock=true",
            f"runs_dir={tmp_path / 'runs'}", f"workflow.template={template}", "workflow.num_ideas=1",
            "workflow.max_experiment_attempts=2", 'workflow.stages=["experiments"]',
            "workflow.experiment_mode=constants", "sandbox.provider=bubblewrap", "sandbox.timeout_s=120",
            # the static monitor: the learned one's first call may time out on a busy machine, which holds it
            'control.monitor={"type": "static"}']


def test_a_search_idea_runs_as_its_one_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ideation, "is_embedded", lambda _model: True)
    template = make_template(tmp_path / "toy", EXPERIMENT)

    def respond(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        fmt = params["response_format"]["json_schema"]
        value = fake(fmt["schema"])
        if fmt["name"] == "ParameterChoice":
            value = {"change": "population[1] 10 -> 20"}
        return json.dumps(value)

    for name in ("u", "t", "r"):
        mock.script(name, respond)
    run = anyio.run(start_run, load_settings(None, _overrides(tmp_path, template)), "epidemic growth")
    assert run.header().status == "succeeded", run.header().status_detail
    [idea] = json.loads((run.path / "ideas/ideas.json").read_text())
    assert idea["Title"] == "Raising population[1] from 10 to 20 (x2)"
    exp = json.loads((run.path / f"experiments/{idea['Name']}/experiment.json").read_text())
    assert "-    population = np.array([1000, 10])\n+    population = np.array([1000, 20])\n" in exp["change"]
    base, new = (exp["runs"][r]["final_info"]["toy"]["means"]["peak"] for r in ("run_0", "run_1"))
    assert new == pytest.approx(2 * base)  # the edit really ran
    assert [c["structured"] for c in (e.model_dump() for e in run.events.read()) if c.get("event") == "model_call"] \
        == ["ParameterChoice"]  # the model chose the change; the harness wrote it


def test_a_run_in_which_no_idea_produced_a_result_fails_with_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    template = make_template(tmp_path / "toy", EXPERIMENT)

    def respond(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        fmt = params["response_format"]["json_schema"]
        value = fake(fmt["schema"])
        if fmt["name"] == "Idea":
            value.update(Name="fast", Title="Fast growth", Experiment="Raise the rate above one.")
        elif fmt["name"] == "ConstantValues":
            value = {k: p["default"] for k, p in fmt["schema"]["properties"].items() if "default" in p}
            value.update(rate=3.0, rationale="faster")
        return json.dumps(value)

    for name in ("u", "t", "r"):
        mock.script(name, respond)
    args = ["run", "epidemic growth"] + [a for o in _overrides(tmp_path, template) for a in ("--set", o)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "failed no idea produced a result (fast: attempt 2: run_2: exit 1; ValueError: rate above 1" in text
