"""Evaluation integrity: knobs marked as evaluation settings are refused, others that measure are flagged,
code edits that touch a split or a metric are flagged; seeds fit the time budget."""

from __future__ import annotations

from types import SimpleNamespace

from proctor.agents._experiments import plan_seeds
from proctor.agents._integrity import code_flags, evaluation_knobs, forbidden_knobs, speaks_of_evaluation
from proctor.agents.template import Knob, load_template
from proctor.diffs import unified_diff


def test_the_shipped_template_forbids_its_splits_and_metric_bins() -> None:
    tabular = load_template("tabular_classification")
    assert forbidden_knobs(tabular, {"test_fraction": 0.05, "lr": 0.01}) == ["test_fraction"]
    assert forbidden_knobs(tabular, {"test_fraction": 0.2, "ece_bins": 15}) == []  # defaults are no change
    assert evaluation_knobs(tabular, {"test_fraction": 0.05}) == {}  # marked: refused, not re-measured


def test_an_unmarked_knob_that_measures_is_flagged_by_its_name() -> None:
    knobs = [Knob(name="eval_every", type="int", default=25), Knob(name="lr", type="float", default=0.1),
             Knob(name="holdout_size", type="int", default=100, evaluation=False)]
    template = SimpleNamespace(knobs=knobs, defaults=lambda: {k.name: k.default for k in knobs})
    assert evaluation_knobs(template, {"eval_every": 5, "lr": 0.3, "holdout_size": 10}) == {"eval_every": 5}
    assert speaks_of_evaluation("TEST_FRACTION") and speaks_of_evaluation("--val-split")
    assert speaks_of_evaluation("computeMetrics") and not speaks_of_evaluation("learning_rate")
    assert not speaks_of_evaluation("latest") and not speaks_of_evaluation("interval")  # words, not substrings


SOURCE = '''import numpy as np

LR = 0.1


def train(x):
    steps = 100
    return x * LR * steps


def evaluate(model, data):
    correct = sum(model(a) == b for a, b in data)
    return correct / len(data)


if __name__ == "__main__":
    X_train, X_test = train_test_split(np.arange(10), test_size=0.2)
'''


def test_code_edits_that_touch_a_split_or_a_metric_are_flagged() -> None:
    harmless = SOURCE.replace("LR = 0.1", "LR = 0.3").replace("steps = 100", "steps = 200")
    assert code_flags(SOURCE, unified_diff(SOURCE, harmless, "experiment.py")) == []
    split = SOURCE.replace("test_size=0.2", "test_size=0.05")
    flags = code_flags(SOURCE, unified_diff(SOURCE, split, "experiment.py"))
    assert len(flags) == 2 and "removed" in flags[0] and "test_size=0.2" in flags[0]
    metric = SOURCE.replace("return correct / len(data)", "return (correct + 5) / len(data)")
    flags = code_flags(SOURCE, unified_diff(SOURCE, metric, "experiment.py"))
    assert flags and all("(in evaluate())" in f for f in flags)


def test_seeds_fit_the_budget_and_an_unseeded_template_says_why_it_ran_once() -> None:
    wf = SimpleNamespace(seeds=3, seeds_budget_s=900.0)
    assert plan_seeds(wf, True, 10.0) == (3, "")
    n, note = plan_seeds(wf, True, 200.0)  # 2 conditions x 200 s per seed: two fit in 900 s
    assert n == 2 and "first baseline run took 200 s" in note
    assert plan_seeds(wf, True, 5000.0)[0] == 1
    n, note = plan_seeds(wf, False, 1.0)
    assert n == 1 and "takes no --seed" in note


def test_the_agents_schema_never_offers_an_evaluation_knob() -> None:
    from proctor.agents._change import agent_knobs, knob_model

    names = {k.name for k in agent_knobs(load_template("tabular_classification").knobs)}
    assert {"lr", "dropout", "label_smoothing"} <= names
    assert not names & {"test_fraction", "val_fraction", "ece_bins", "seed", "device"}
    schema = knob_model(agent_knobs(load_template("modular_arithmetic").knobs)).model_json_schema()
    assert "generalise_threshold" not in schema["properties"] and "weight_decay" in schema["properties"]
