"""Experiment templates: loading, knob validation, final_info parsing, and real tiny runs."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from proctor.agents._state import Idea
from proctor.agents.template import (
    Template,
    TemplateError,
    list_templates,
    load_template,
    parse_final_info,
    run_argv,
)
from proctor.agents.template._format import REQUIRED_FILES
from proctor.registry import UnknownComponent

SHIPPED = ["modular_arithmetic", "tabular_classification"]
# The smallest settings that still exercise every code path (a few seconds on a busy CPU).
FAST: dict[str, dict[str, Any]] = {
    "modular_arithmetic": {"p": 11, "d_model": 16, "n_heads": 2, "steps": 30, "eval_every": 10,
                           "device": "cpu"},
    "tabular_classification": {"datasets": "wine", "hidden_size": 16, "epochs": 3,
                               "temperature_scaling": True, "device": "cpu"},
}


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_template_loads_and_ships_as_package_data(name: str) -> None:
    assert name in list_templates()
    template = load_template(name)
    assert template.name == name and template.has_latex and template.supports_config
    assert 3 <= len(template.seed_ideas) <= 5
    for idea in template.seed_ideas:  # shipped ideas also fit the grammar-bounded Idea
        Idea.model_validate(idea.model_dump())
    packaged = resources.files("proctor") / "templates" / name
    for filename in [*REQUIRED_FILES, "knobs.json", "README.md", "latex/template.tex"]:
        assert (packaged / filename).is_file(), filename
    assert {"seed", "device"} <= set(template.defaults())


def test_validate_config_fills_defaults_and_widens_floats() -> None:
    template = load_template("modular_arithmetic")
    config = template.validate_config({"weight_decay": 1, "n_layers": 2})
    assert config["weight_decay"] == 1.0 and isinstance(config["weight_decay"], float)
    assert config["n_layers"] == 2 and config["p"] == template.defaults()["p"]
    assert set(template.validate_config({})) == set(template.defaults())


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ({"learning_rate": 0.1}, "unknown knob 'learning_rate'"),
        ({"lr": 5.0}, "above the maximum"),
        ({"n_layers": 0}, "below the minimum"),
        ({"n_layers": 1.5}, "must be an integer"),
        ({"n_layers": True}, "must be an integer"),
        ({"lr": "fast"}, "must be a number"),
        ({"lr": float("nan")}, "must be finite"),
        ({"operation": "div"}, "must be one of"),
        ({"stop_when_generalised": 1}, "true or false"),
    ],
    ids=["unknown", "above-max", "below-min", "float-for-int", "bool-for-int", "str-for-float", "nan",
         "bad-choice", "int-for-bool"],
)
def test_validate_config_rejects(config: dict[str, Any], needle: str) -> None:
    with pytest.raises(TemplateError, match=needle):
        load_template("modular_arithmetic").validate_config(config)


def test_validate_config_reports_every_problem_at_once() -> None:
    with pytest.raises(TemplateError) as info:
        load_template("tabular_classification").validate_config({"depth": -1, "nope": 1})
    assert "unknown knob 'nope'" in str(info.value) and "depth=-1" in str(info.value)


def test_run_argv() -> None:
    template = load_template("tabular_classification")
    assert run_argv(template, "run_0") == ["python", "experiment.py", "--out_dir=run_0"]
    assert run_argv(template, "run_3", "run_3.json", seed=7) == [
        "python", "experiment.py", "--out_dir=run_3", "--config=run_3.json", "--seed=7"]
    for bad in ["../x", "a/b", "-rf", ""]:
        with pytest.raises(TemplateError, match="plain name"):
            run_argv(template, bad)


def _write_ai_scientist_template(root: Path, **overrides: str) -> Path:
    files = {
        "experiment.py": "import argparse, json, os\np = argparse.ArgumentParser()\n"
                         "p.add_argument('--out_dir')\na = p.parse_args()\nos.makedirs(a.out_dir)\n"
                         "json.dump({'toy': {'means': {'acc': 0.5}}}, open(f'{a.out_dir}/final_info.json', 'w'))\n",
        "plot.py": "print('plots')\n",
        "prompt.json": json.dumps({"system": "You are a scientist.", "task_description": "Toy task."}),
        "seed_ideas.json": json.dumps([{"Name": "x", "Title": "A title", "Experiment": "E" * 400,
                                        "Interestingness": 5, "Feasibility": 5, "Novelty": 5}]),
    }
    files.update(overrides)
    for name, text in files.items():
        (root / name).write_text(text)
    (root / "run_0").mkdir()
    (root / "run_0" / "final_info.json").write_text("{}")
    return root


def test_ai_scientist_template_without_knobs_loads(tmp_path: Path) -> None:
    (tmp_path / "toy_template").mkdir()
    template = load_template(_write_ai_scientist_template(tmp_path / "toy_template"))
    assert template.name == "toy_template" and not template.knobs and not template.has_latex
    assert template.validate_config({}) == {}
    with pytest.raises(TemplateError, match="no knobs.json"):
        template.validate_config({"lr": 0.1})
    with pytest.raises(TemplateError, match="no knobs.json"):
        run_argv(template, "run_1", "cfg.json")
    assert run_argv(template, "run_1", seed=1) == ["python", "experiment.py", "--out_dir=run_1"]
    work = template.copy_to(tmp_path / "work")
    assert (work / "experiment.py").is_file() and not (work / "run_0").exists()
    with pytest.raises(FileExistsError):
        template.copy_to(work)
    subprocess.run([sys.executable, *run_argv(template, "run_0")[1:]], cwd=work, check=True, timeout=60)
    assert parse_final_info(work / "run_0" / "final_info.json").means() == {"toy": {"acc": 0.5}}


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"prompt.json": "{not json"}, "prompt.json: not valid JSON"),
        ({"prompt.json": json.dumps({"system": "s"})}, "prompt.json: task_description"),
        ({"seed_ideas.json": json.dumps([{"Name": "x"}])}, "seed_ideas.json: 0.Title"),
        ({"knobs.json": json.dumps([{"name": "lr", "type": "float", "default": 9, "max": 1}])},
         "knobs.json: .*default is invalid"),
        ({"knobs.json": json.dumps([{"name": "a", "type": "choice", "default": "x"}])}, "non-empty 'choices'"),
        ({"knobs.json": json.dumps([{"name": "a", "type": "bool", "default": True}] * 2)}, "duplicate knob"),
    ],
    ids=["prompt-syntax", "prompt-key", "idea-keys", "knob-default", "choice-empty", "knob-dupe"],
)
def test_malformed_template_names_file(tmp_path: Path, overrides: dict[str, str], needle: str) -> None:
    _write_ai_scientist_template(tmp_path, **overrides)
    with pytest.raises(TemplateError, match=needle):
        load_template(tmp_path)


def test_missing_files_and_unknown_names(tmp_path: Path) -> None:
    (tmp_path / "experiment.py").write_text("")
    with pytest.raises(TemplateError, match="lacks plot.py, prompt.json, seed_ideas.json"):
        load_template(tmp_path)
    with pytest.raises(TemplateError, match="does not exist"):
        load_template(tmp_path / "nope")
    with pytest.raises(UnknownComponent, match="modular_arithmetic"):
        load_template("no_such_template")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"d": {"means": {"acc": NaN}}}', "finite"),
        ('{"d": {"means": {"acc": Infinity}}}', "finite"),
        ('{"d": {"means": {"acc": "0.9"}}}', "must be a number"),
        ('{"d": {"means": {"acc": true}}}', "must be a number"),
        ('{"d": {"means": {}}}', "non-empty"),
        ('{"d": {"acc": 0.9}}', "means"),
        ("{}", "no datasets"),
        ("[1, 2]", "expected"),
        ("{trunc", "not valid JSON"),
    ],
    ids=["nan", "inf", "string", "bool", "empty-means", "no-means", "empty", "list", "syntax"],
)
def test_parse_final_info_rejects(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "final_info.json"
    path.write_text(text)
    with pytest.raises(TemplateError, match=needle) as info:
        parse_final_info(path)
    assert str(path) in str(info.value)


def test_parse_final_info_accepts_ai_scientist_shape(tmp_path: Path) -> None:
    path = tmp_path / "final_info.json"
    path.write_text(json.dumps({"shakespeare_char": {"means": {"val_loss": 1.47, "iters": 5000},
                                                     "stderrs": {"val_loss": 0.01}}}))
    info = parse_final_info(path)
    assert info.means() == {"shakespeare_char": {"val_loss": 1.47, "iters": 5000.0}}
    assert info.root["shakespeare_char"].model_extra == {"stderrs": {"val_loss": 0.01}}
    with pytest.raises(TemplateError, match="not found"):
        parse_final_info(tmp_path / "missing.json")


def _run(template: Template, work: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv[1:]], cwd=work, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", SHIPPED)
def test_template_runs_fast_config_and_plots(tmp_path: Path, name: str) -> None:
    template = load_template(name)
    work = template.copy_to(tmp_path / "work")
    (work / "fast.json").write_text(json.dumps(template.validate_config(FAST[name])))
    done = _run(template, work, run_argv(template, "run_0", "fast.json", seed=1))
    assert done.returncode == 0, done.stderr[-2000:]
    info = parse_final_info(work / "run_0" / "final_info.json")
    assert all(math.isfinite(v) for means in info.means().values() for v in means.values())
    assert json.loads((work / "run_0" / "config.json").read_text())["seed"] == 1
    assert json.loads((work / "run_0" / "notes.json").read_text())["wall_time_s"] > 0
    plotted = subprocess.run([sys.executable, "plot.py"], cwd=work, capture_output=True, text=True, timeout=120)
    assert plotted.returncode == 0, plotted.stderr[-2000:]
    assert list(work.glob("*.png"))


@pytest.mark.parametrize("name", SHIPPED)
def test_template_rejects_bad_config_with_exit_2(tmp_path: Path, name: str) -> None:
    template = load_template(name)
    work = template.copy_to(tmp_path / "work")
    (work / "bad.json").write_text(json.dumps({"no_such_knob": 1}))
    done = _run(template, work, run_argv(template, "run_1", "bad.json"))
    assert done.returncode == 2 and "config error: unknown knob" in done.stderr
    assert not (work / "run_1" / "final_info.json").exists()


def test_modular_arithmetic_is_deterministic_given_a_seed(tmp_path: Path) -> None:
    template = load_template("modular_arithmetic")
    work = template.copy_to(tmp_path / "work")
    (work / "fast.json").write_text(json.dumps(FAST["modular_arithmetic"]))
    for run in ("run_1", "run_2"):
        assert _run(template, work, run_argv(template, run, "fast.json", seed=5)).returncode == 0
    first, second = (json.loads((work / r / "final_info.json").read_text()) for r in ("run_1", "run_2"))
    assert first == second


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_template_default_run(tmp_path: Path, name: str) -> None:
    template = load_template(name)
    work = template.copy_to(tmp_path / "work")
    done = _run(template, work, run_argv(template, "run_0"))
    assert done.returncode == 0, done.stderr[-2000:]
    parse_final_info(work / "run_0" / "final_info.json")
