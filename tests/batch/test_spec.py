"""Batch specs: validation errors name the field, durations parse, runs expand to directions x templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.batch import SpecError, create_batch, load_spec, parse_spec, plan_runs
from proctor.settings import load_settings

EXAMPLE = Path(__file__).parents[2] / "examples" / "nightly.yaml"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"name": "x"}, "directions: Field required"),
        ({"name": "x", "directions": []}, "directions: List should have at least 1 item"),
        ({"name": "x", "directions": ["a"], "budgets": {"run": {"usd": -1}}}, "budgets.run.usd: Input should be greater than 0"),
        ({"name": "x", "directions": ["a"], "budgets": {"batch": {"wall_time": "soon"}}}, "budgets.batch.wall_time"),
        ({"name": "x", "directions": ["a"], "gpus": {"per_run": 1, "bogus": 2}}, "gpus.bogus: Extra inputs are not permitted"),
        ({"name": "x", "directions": ["a"], "executor": {"executor": "slurm"}}, "executor"),
    ],
    ids=["no-directions", "empty-directions", "negative-usd", "bad-duration", "unknown-field", "bad-executor"],
)
def test_errors_name_the_field(data: dict[str, object], expected: str) -> None:
    with pytest.raises(SpecError, match="invalid batch spec") as info:
        parse_spec(data, "spec.yaml")
    assert expected in str(info.value)


def test_yaml_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(bad)
    with pytest.raises(SpecError, match="top level must be a mapping"):
        parse_spec(["a"], "list.yaml")


def test_example_spec_is_valid_and_expands() -> None:
    spec = load_spec(EXAMPLE)
    runs = plan_runs(spec)
    assert len(runs) == len(spec.directions) * len(spec.templates)
    assert spec.budgets.run.wall_time == 2 * 3600
    first = runs[0].overrides
    assert "workflow.num_ideas=2" in first and any(o.startswith("llm.budget.max_usd=") for o in first)
    assert any(o.startswith("workflow.template=") for o in first)


def test_invalid_run_settings_fail_before_anything_is_written(tmp_path: Path) -> None:
    spec = parse_spec({"name": "x", "directions": ["a"], "settings": {"workflow.num_ideas": 0}})
    with pytest.raises(SpecError, match="workflow.num_ideas"):
        create_batch(spec, load_settings(None, [f"runs_dir={tmp_path}"]))
    assert not (tmp_path / "batches").exists()


def test_chroma_url_reaches_every_runs_retrieval_settings(tmp_path: Path) -> None:
    spec = parse_spec({"name": "x", "directions": ["a", "b"], "executor": {"chroma_url": "http://chroma:8000"}})
    batch = create_batch(spec, load_settings(None, [f"runs_dir={tmp_path}"]))
    urls = {batch.run_of(e).header().settings["retrieval"]["server_url"] for e in batch.load().runs}
    assert urls == {"http://chroma:8000"}
