"""Run directories: naming, lookup, header updates, artifacts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from proctor.log import ArtifactEvent, RunDir, RunNotFound, RunStatusEvent


def _run(root: Path, direction: str = "Sparse attention, tiny tasks!") -> RunDir:
    return RunDir.create(root, direction, settings={"a": 1}, settings_digest="d1")


def test_directory_name_is_utc_slug_id(tmp_path: Path) -> None:
    run = _run(tmp_path)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ_sparse-attention-tiny-tasks_[0-9a-f]{6}", run.path.name)
    header = run.header()
    assert header.status == "created" and header.settings == {"a": 1} and header.created.tzinfo is not None


def test_open_by_id_name_or_path(tmp_path: Path) -> None:
    run = _run(tmp_path)
    other = _run(tmp_path, "other")
    assert RunDir.open(tmp_path, run.header().id).path == run.path
    assert RunDir.open(tmp_path, run.path.name).path == run.path
    assert RunDir.open(tmp_path, str(other.path)).path == other.path
    with pytest.raises(RunNotFound):
        RunDir.open(tmp_path, "nope")


def test_status_is_recorded_in_header_and_events(tmp_path: Path) -> None:
    run = _run(tmp_path)
    run.set_status("failed", "boom")
    assert run.header().status == "failed" and run.header().status_detail == "boom"
    assert [e.status for e in run.events.read() if isinstance(e, RunStatusEvent)] == ["failed"]


def test_artifacts_are_hashed_and_confined(tmp_path: Path) -> None:
    run = _run(tmp_path)
    path = run.write_artifact("ideas/ideas.json", [{"x": 1}])
    assert path.read_text().startswith("[")
    [event] = [e for e in run.events.read() if isinstance(e, ArtifactEvent)]
    assert event.path == "ideas/ideas.json" and len(event.sha256) == 64
    with pytest.raises(ValueError, match="leaves the run directory"):
        run.write_artifact("../escape.txt", "x")
    assert not (tmp_path / "escape.txt").exists()
