"""Ideas that are ideas: refusal of restated directions and copied seeds; the parameter search; the
planned change reaching the experiment as exactly that edit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from proctor.agents import _ideation
from proctor.agents._context import RunContext
from proctor.agents._idea_filter import not_an_idea, similarity
from proctor.agents._ideation import IdeationError, propose_idea
from proctor.agents._proposers import PROPOSERS
from proctor.agents._search import Dimension, candidates, dimensions, measures
from proctor.agents.template import load_template
from proctor.llm import mock
from proctor.settings import load_settings
from tests.helpers.schema_fake import fake

EXPERIMENT = '''import argparse, json, os
import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--out_dir", type=str, default="run_0")
args = parser.parse_args()

if __name__ == "__main__":
    os.makedirs(args.out_dir, exist_ok=True)
    population = np.array([1000, 10])
    rate = 0.3
    test_fraction = 0.2
    if rate > 1:
        raise ValueError("rate above 1 diverges")
    peak = float(population[1] * np.exp(rate * 10))
    with open(os.path.join(args.out_dir, "final_info.json"), "w") as f:
        json.dump({"toy": {"means": {"peak": peak}}}, f)
'''
SEED = {"Name": "faster_spread", "Title": "Faster spread with a higher contact rate",
        "Experiment": "Double the contact rate and measure the peak.", "Interestingness": 5, "Feasibility": 8,
        "Novelty": 3}


def make_template(root: Path, experiment: str = EXPERIMENT) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "experiment.py").write_text(experiment)
    (root / "plot.py").write_text("print('no plots')\n")
    (root / "prompt.json").write_text(json.dumps({"system": "You study epidemics.",
                                                  "task_description": "A toy growth model."}))
    (root / "seed_ideas.json").write_text(json.dumps([SEED]))
    return root


def test_similarity_and_refusals() -> None:
    direction = "small-scale training dynamics of neural networks"
    assert similarity(direction, "Small-scale training dynamics of neural networks.") == 1.0
    assert similarity("warmup for small MLPs", direction) < 0.5
    restated = {"Title": "Small-scale training dynamics of neural networks", "Experiment": "Train networks."}
    assert "restates the research direction" in (not_an_idea(restated, direction, [SEED]) or "")
    only_words = {"Title": "Training dynamics in networks", "Experiment": "Train a 2-layer MLP with warmup."}
    assert "only repeats words" in (not_an_idea(only_words, direction, [SEED]) or "")
    copied = {"Title": "Faster spread with a higher contact rate!", "Experiment": "Something else entirely here."}
    assert "copies the example idea 'faster_spread'" in (not_an_idea(copied, "epidemics", [SEED]) or "")
    fine = {"Title": "Learning-rate warmup in two-layer MLPs", "Experiment": "Train with and without warmup."}
    assert not_an_idea(fine, direction, [SEED]) is None


def test_candidates_cover_each_parameter_before_a_second_move_and_skip_evaluation_settings(tmp_path: Path) -> None:
    template = load_template(make_template(tmp_path / "toy"))
    dims = dimensions(template)
    assert [d.name for d in dims] == ["population[0]", "population[1]", "rate"]  # not test_fraction
    labels = [c.label for c in candidates(dims)]
    assert labels == ["rate 0.3 -> 3", "population[0] 1000 -> 2000", "population[1] 10 -> 20",  # floats lead
                      "rate 0.3 -> 0.03", "population[0] 1000 -> 500", "population[1] 10 -> 5",
                      "population[0] 1000 -> 4000", "population[1] 10 -> 40"]
    def dim(name: str, marked: bool | None = None) -> Dimension:
        return Dimension(name, name, "float", 0.2, 0.0, 1.0, (), "", "knob", marked)

    assert measures(dim("TEST_FRACTION")) and measures(dim("--eval_batch_size")) and measures(dim("datasets"))
    assert not measures(dim("learning_rate")) and measures(dim("learning_rate", True))
    assert not measures(dim("test_fraction", False))  # the template says it is not one
    assert not measures(dim("get_data.batch_size")) and measures(dim("load.dataset"))  # the parameter's own name
    knobbed = [c.label for c in candidates(dimensions(load_template("tabular_classification")))]
    assert "lr 0.001 -> 0.01" in knobbed
    assert not any(c.startswith(("seed", "device", "datasets", "test_fraction", "ece_bins")) for c in knobbed)


def _settings(template: Path | str, *extra: str) -> Any:
    return load_settings(None, ["llm.untrusted=mock/u", "llm.trusted=mock/t", "llm.allow_mock=true",
                                f"workflow.template={template}", "workflow.reflection_rounds=0", *extra])


def test_embedded_model_ideas_come_from_the_search_one_untried_change_each(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_ideation, "is_embedded", lambda _model: True)
    template = make_template(tmp_path / "toy")
    options: list[list[str]] = []

    def respond(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        fmt = params["response_format"]["json_schema"]
        assert fmt["name"] == "ParameterChoice"
        enum = fmt["schema"]["properties"]["change"]["enum"]
        options.append(enum)
        return json.dumps({"change": "rate 0.3 -> 0.03" if len(options) == 1 else enum[0]})

    mock.script("u", respond)
    state: dict[str, Any] = {"direction": "epidemic growth", "ideas": []}
    for _ in range(2):
        state["ideas"] += anyio.run(propose_idea, state, _settings(template))["ideas"]
    first, second = state["ideas"]
    assert first["Title"] == "Lowering rate from 0.3 to 0.03 (x0.1)" and first["Name"] == "rate_0_03"
    assert "line 11 of experiment.py: rate = 0.3" in first["Experiment"]
    assert first["Planned_change"] == {"parameter": "rate", "name": "rate", "current": 0.3, "value": 0.03,
                                       "kind": "parameter", "label": "rate 0.3 -> 0.03"}
    assert "rate 0.3 -> 0.03" not in options[1]  # taken: the second idea is another change
    assert second["Planned_change"]["label"] == "rate 0.3 -> 3"


def test_a_refused_idea_is_proposed_again_with_the_reason(tmp_path: Path) -> None:
    template = make_template(tmp_path / "toy")
    answers = [{"Title": "Epidemic growth", "Experiment": "Study epidemic growth."},
               {"Title": SEED["Title"], "Experiment": SEED["Experiment"]},
               {"Title": "Vaccination halves the contact rate", "Experiment": "Lower rate to 0.15."}]
    prompts: list[str] = []

    def respond(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        prompts.append(messages[-1]["content"])
        value = fake(params["response_format"]["json_schema"]["schema"])
        value.update(Name="idea", **answers[len(prompts) - 1])
        return json.dumps(value)

    mock.script("u", respond)
    [idea] = anyio.run(propose_idea, {"direction": "epidemic growth", "ideas": []}, _settings(template))["ideas"]
    assert idea["Title"] == "Vaccination halves the contact rate" and "Planned_change" not in idea
    assert "refused" not in prompts[0] and "restates the research direction" in prompts[1]
    assert "copies the example idea" in prompts[2]


def test_when_every_try_is_refused_the_search_steps_in_or_ideation_fails(tmp_path: Path) -> None:
    template = make_template(tmp_path / "toy")

    def restate(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        fmt = params["response_format"]["json_schema"]
        value = fake(fmt["schema"])
        if fmt["name"] == "Idea":
            value.update(Title="Epidemic growth", Experiment="Epidemic growth.")
        return json.dumps(value)

    mock.script("u", restate)
    [idea] = anyio.run(propose_idea, {"direction": "epidemic growth", "ideas": []}, _settings(template))["ideas"]
    assert idea["Planned_change"]["label"] == "rate 0.3 -> 3"
    # An ideation-only run (no experiment stage, e.g. a batch's) still searches the template's parameters.
    mock.script("u", restate)
    [idea] = anyio.run(propose_idea, {"direction": "epidemic growth", "ideas": []},
                       _settings(template, 'workflow.stages=["novelty"]'))["ideas"]
    assert idea["Planned_change"]["label"] == "rate 0.3 -> 3"
    mock.script("u", restate)
    with pytest.raises(IdeationError, match="no acceptable idea after 3 tries"):
        anyio.run(propose_idea, {"direction": "epidemic growth", "ideas": []},
                  _settings(tmp_path / "no-such-template", 'workflow.stages=["novelty"]'))


def test_the_planned_change_is_the_edit_and_a_retry_asks_for_that_parameter_only(tmp_path: Path) -> None:
    template_dir = make_template(tmp_path / "toy")
    settings = _settings(template_dir, "workflow.experiment_mode=constants", f"runs_dir={tmp_path / 'runs'}")
    from proctor.log import RunDir

    run = RunDir.create(tmp_path / "runs", "d", settings=settings.public_dump(), settings_digest="x", template="toy")
    ctx = RunContext(settings=settings, run=run)
    template = load_template(template_dir)
    idea = {"Name": "rate_0_03", "Title": "t", "Experiment": "e",
            "Planned_change": {"parameter": "rate", "name": "rate", "current": 0.3, "value": 0.03,
                               "kind": "parameter", "label": "rate 0.3 -> 0.03"}}
    propose = PROPOSERS["constants"]
    change = anyio.run(lambda: propose(ctx, template, idea, "", "", 1, []))
    assert not isinstance(change, str)
    assert change.diff.count("\n-") == 1 and "-    rate = 0.3\n+    rate = 0.03\n" in change.diff
    assert mock.requests("u") == []  # the harness wrote the idea's own change: no model call

    schemas: list[dict[str, Any]] = []

    def pick(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        schemas.append(params["response_format"]["json_schema"]["schema"])
        return json.dumps({"rate": 0.1, "rationale": "smaller step"})

    mock.script("u", pick)
    retry = anyio.run(lambda: propose(ctx, template, idea, "", "exit 1", 2, []))
    assert not isinstance(retry, str) and "+    rate = 0.1\n" in retry.diff
    assert list(schemas[0]["properties"]) == ["rate", "rationale"]
    stale = {**idea, "Planned_change": {**idea["Planned_change"], "current": 0.5}}  # the code changed since
    mock.script("u", pick)
    assert not isinstance(anyio.run(lambda: propose(ctx, template, stale, "", "", 3, [])), str)
    assert "population_0" in json.dumps(schemas[-1])  # a stale plan is ignored: every parameter offered


def test_search_ideas_are_not_skipped_as_near_duplicates_of_each_other() -> None:
    from proctor.agents._idea_graph import _duplicate_of

    novelty = {"flags": ["near_duplicate"], "signal": {"duplicates": [{"similarity": 0.97, "text": "Raising a"}]}}
    assert "near-duplicate of an earlier idea (similarity 0.97" in (_duplicate_of(novelty, {"Title": "t"}) or "")
    planned = {"Title": "Raising b", "Planned_change": {"label": "b 1 -> 2"}}
    assert _duplicate_of(novelty, planned) is None  # its change differs from every earlier one by construction
