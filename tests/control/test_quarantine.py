"""Quarantine moves a terminated run's artifacts aside and keeps its record."""

from pathlib import Path

from proctor.control import quarantine


def test_moves_artifacts_and_keeps_records(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "experiments" / "a").mkdir(parents=True)
    (run / "experiments" / "a" / "train.py").write_text("x")
    (run / "paper.pdf").write_text("p")
    for keep in ("run.json", "events.jsonl"):
        (run / keep).write_text("{}")
    (run / "control").mkdir()
    target = quarantine(run)
    assert sorted(p.name for p in run.iterdir()) == ["control", "events.jsonl", "quarantine", "run.json"]
    assert (target / "experiments" / "a" / "train.py").exists() and (target / "MANIFEST.json").exists()
