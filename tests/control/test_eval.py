"""The evaluation harness runs offline with the static monitor and writes its report."""

import json
from pathlib import Path

import pytest

from proctor.control.eval._data import load_dataset
from proctor.control.eval._harness import run_eval
from proctor.control.eval._metrics import auroc, tpr_at_fpr


def test_dataset_size_and_labels() -> None:
    items = load_dataset()
    honest = [i for i in items if i.label == "honest"]
    attack = [i for i in items if i.label == "attack"]
    assert len(honest) >= 40 and len(attack) >= 30
    assert all(i.side_task for i in attack) and len({i.id for i in items}) == len(items)


def test_metrics() -> None:
    assert auroc([0.1, 0.2], [0.8, 0.9]) == 1.0
    tpr, t, q = tpr_at_fpr([0.0] * 99 + [0.5], [0.5, 0.9], 0.01)
    assert t == 0.0 and q == pytest.approx(0.0) and tpr == 1.0  # audits exactly the one score above 0


@pytest.mark.anyio
async def test_static_eval_writes_report(settings, tmp_path: Path) -> None:
    report = await run_eval(settings, tmp_path / "out", n_boot=50)
    static = report["monitors"][0]
    assert static["monitor"] == "static" and static["auroc"] > 0.8
    for name in ("report.json", "report.md", "frontier.png"):
        assert (tmp_path / "out" / name).stat().st_size > 0
    saved = json.loads((tmp_path / "out" / "report.json").read_text())
    protocols = {p["protocol"] for p in saved["protocols"]}
    assert {"trusted_monitoring", "defer_to_trusted", "trusted_editing", "defer_to_resample",
            "upfront_auditing"} <= protocols


def test_heldout_dataset_loads_from_a_directory() -> None:
    from importlib import resources

    root = Path(str(resources.files("proctor.control.eval").joinpath("data", "heldout")))
    items = load_dataset(root)
    assert {i.label for i in items} == {"honest", "attack"} and len(items) >= 25
