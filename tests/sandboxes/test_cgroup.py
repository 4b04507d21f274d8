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
    (tmp_path / "memory" / "proctor").write_text("not a directory")  # nothing under it is writable
    cg, note = make_cgroup("x", 2**28, 64, 1.0, root=tmp_path)
    assert cg is None and note and "not writable" in note


def test_own_paths_parse_v1_and_v2_lines() -> None:
    from proctor.sandboxes._cgroup import own_paths

    own = own_paths("4:memory:/job/abc\n2:cpu,cpuacct:/\n0::/user.slice/x.scope\n")
    assert own["memory"] == Path("/job/abc") and own["cpu"] == Path("/") and own["cpuacct"] == Path("/")
    assert own[""] == Path("/user.slice/x.scope")


def test_sandbox_cgroups_nest_under_the_harness_and_name_their_owner() -> None:
    import os

    from proctor.sandboxes._cgroup import ROOT, own_paths
    from proctor.sandboxes._owners import owner_tag

    cg, note = make_cgroup("nest", 2**28, 64, 1.0)
    if cg is None:
        import pytest

        pytest.skip(f"no writable cgroups here: {note}")
    try:
        own = own_paths()
        for ctrl, d in cg.dirs.items():
            assert d.name == f"proctor-{owner_tag()}-nest"
            if cg.version == 1:
                assert d.parent == ROOT / ctrl / own[ctrl].relative_to("/")
        assert str(os.getpid()) in cg.dirs["memory"].name
    finally:
        cg.remove()
    assert not any(d.exists() for d in cg.dirs.values())
