"""Parameters inferred from an AI Scientist style experiment.py: what counts, names, spans, edits, schema."""

from __future__ import annotations

import pytest

from proctor.agents._code_edits import EditError
from proctor.agents._params import infer_parameters, parameters_schema, set_parameters
from proctor.diffs import unified_diff

# The shapes of Sakana's templates, written for this test: literals in the __main__ block and in calls,
# argparse defaults (one with choices), module constants, a function body with counters.
SOURCE = '''import argparse
import os

import numpy as np

STEP_SIZE = 0.05  # integration step
N_SEEDS = 3
USE_BIAS = True
DATA_PATH = "data/train.csv"

parser = argparse.ArgumentParser()
parser.add_argument("--out_dir", type=str, default="run_0")
parser.add_argument("--learning_rate", type=float, default=3e-4)
parser.add_argument("--schedule", type=str, default="linear", choices=["linear", "cosine"])
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--fast", action="store_true")


def simulate(rate, delay):
    total = 0
    for step in range(100):
        total += rate * step
    window = 12
    return total / delay + window


def fit(x):
    return np.polyfit(x, x, deg=3)


if __name__ == "__main__":
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    state = np.array([900, 0, 7])
    result = simulate(rate=0.002, delay=-1.5)
    grid = np.linspace(0, 50, 1)
    print(result[0], 2 * result, result[1:3])
    for seed in range(3):
        np.random.seed(seed)
    scales = (0.5, 2)
'''


def _by_name() -> dict[str, object]:
    return {p.name: p for p in infer_parameters(SOURCE)}


def test_each_kind_of_literal_is_found_with_a_readable_name_and_type() -> None:
    found = {name: (p.type, p.value, p.origin) for name, p in _by_name().items()}  # type: ignore[attr-defined]
    assert found == {
        "--learning_rate": ("float", 3e-4, "argparse"),
        "--schedule": ("choice", "linear", "argparse"),
        "STEP_SIZE": ("float", 0.05, "constant"),
        "USE_BIAS": ("bool", True, "constant"),
        "window": ("int", 12, "function"),
        "polyfit.deg": ("int", 3, "function"),
        "state[0]": ("int", 900, "main"),
        "state[1]": ("int", 0, "main"),
        "state[2]": ("int", 7, "main"),
        "simulate.rate": ("float", 0.002, "main"),
        "simulate.delay": ("float", -1.5, "main"),
        "linspace.arg1": ("int", 50, "main"),
        "scales[0]": ("float", 0.5, "main"),
        "scales[1]": ("int", 2, "main"),
    }
    # left out: seeds and the output directory (the harness's), a string path, a flag, the counter `total`,
    # 0/1 positional arguments, indices, arithmetic, range() and print().
    params = _by_name()
    assert params["--schedule"].choices == ["linear", "cosine"]  # type: ignore[attr-defined]
    assert params["state[0]"].key == "state_0" and params["--learning_rate"].key == "learning_rate"  # type: ignore[attr-defined]


def test_spans_point_at_the_literal_and_edits_rewrite_only_it() -> None:
    params = infer_parameters(SOURCE)
    by_key = {p.key: p for p in params}
    rate = by_key["simulate_rate"]
    assert rate.line[rate.col:rate.end_col] == "0.002"
    new = set_parameters(SOURCE, params, {"simulate_rate": 0.02, "simulate_delay": -3.0, "state_1": 4,
                                          "schedule": "cosine", "learning_rate": 0.001})
    assert "result = simulate(rate=0.02, delay=-3.0)\n" in new
    assert "state = np.array([900, 4, 7])\n" in new
    assert 'default="linear"' not in new and "default='cosine', choices=" in new
    assert 'parser.add_argument("--learning_rate", type=float, default=0.001)\n' in new
    diff = unified_diff(SOURCE, new, "experiment.py")
    assert sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")) == 4
    compile(new, "experiment.py", "exec")


def test_an_int_given_for_a_float_stays_a_float_and_no_change_is_refused() -> None:
    params = infer_parameters(SOURCE)
    new = set_parameters(SOURCE, params, {"STEP_SIZE": 1})
    assert "STEP_SIZE = 1.0  # integration step\n" in new
    with pytest.raises(EditError, match="nothing would change"):
        set_parameters(SOURCE, params, {"STEP_SIZE": 0.05, "state_0": 900})


def test_schema_bounds_types_and_choices() -> None:
    params = infer_parameters(SOURCE)
    schema = parameters_schema(params)
    props = schema.model_json_schema()["properties"]
    assert props["STEP_SIZE"]["minimum"] == pytest.approx(5e-5) and props["STEP_SIZE"]["maximum"] == 50
    assert props["state_0"]["type"] == "integer" and props["state_0"]["minimum"] == 1
    assert props["state_0"]["maximum"] == 90000 and props["state_1"]["maximum"] == 10
    assert props["schedule"]["enum"] == ["linear", "cosine"] and props["simulate_delay"]["maximum"] < 0
    with pytest.raises(ValueError):
        schema.model_validate({"STEP_SIZE": 1e6, "rationale": "r"})
    with pytest.raises(ValueError):
        schema.model_validate({"schedule": "step", "rationale": "r"})


def test_a_name_used_twice_is_told_apart_by_its_line() -> None:
    source = "import torch\nif __name__ == '__main__':\n    a = torch.nn.Linear(4, 8)\n    b = torch.nn.Linear(8, 2)\n"
    names = [p.name for p in infer_parameters(source)]
    assert names == ["Linear.arg0@L3", "Linear.arg1@L3", "Linear.arg0@L4", "Linear.arg1@L4"]
    assert len({p.key for p in infer_parameters(source)}) == 4


def test_a_variable_reassigned_anywhere_in_its_function_is_a_counter_not_a_parameter() -> None:
    source = "def f():\n    best = 0.0\n    for i in range(3):\n        best = 0.5\n    limit = 7\n    return best, limit\n"
    assert [p.name for p in infer_parameters(source)] == ["limit"]


def test_bad_sources() -> None:
    with pytest.raises(EditError, match="does not parse"):
        infer_parameters("def broken(:\n")
    assert infer_parameters("import os\nprint(os.getcwd())\n") == []
