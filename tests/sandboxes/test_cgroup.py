"""cgroup setup degrades with a note where the hierarchy is missing or read-only."""

from __future__ import annotations

from pathlib import Path

from proctor.sandboxes._cgroup import make_cgroup


def test_missing_hierarchy_degrades(tmp_path: Path) -> None:
    cg, note = make_cgroup("x", 2**28, 64, 1.0, root=tmp_path)
    assert cg is None and note and "rlimits" in note


def test_unwritable_v1_degrades(tmp_path: Path) -> None:
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("")
    (tmp_path / "pids").mkdir()
    (tmp_path / "memory" / "proctor").write_text("not a directory")  # mkdir fails like a read-only tree
    cg, note = make_cgroup("x", 2**28, 64, 1.0, root=tmp_path)
    assert cg is None and note and "not writable" in note
