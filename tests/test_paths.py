"""State and cache directories (defaults and environment overrides) and the shared-data finder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from proctor import paths
from proctor.paths import cache_dir, find_shared_data, machine_dir, shared_candidates, state_dir


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    for name in (paths.STATE_ENV, paths.MODEL_CACHE_ENV, "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    return home


def test_state_dir_default_and_overrides(home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert state_dir() == home / ".local" / "state" / "proctor"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_dir() == tmp_path / "xdg" / "proctor"
    monkeypatch.setenv(paths.STATE_ENV, str(tmp_path / "named"))
    assert state_dir() == tmp_path / "named"  # wins over XDG_STATE_HOME
    assert not (tmp_path / "named").exists()  # nothing is created


def test_cache_dir_default_and_model_override(home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert cache_dir("index") == home / ".cache" / "proctor" / "index"
    assert cache_dir("models") == home / ".cache" / "proctor" / "models"
    monkeypatch.setenv(paths.MODEL_CACHE_ENV, "~/elsewhere")
    assert cache_dir("models") == home / "elsewhere"  # expanded
    assert cache_dir("index") == home / ".cache" / "proctor" / "index"  # only models follow it


def test_machine_dir_is_var_lib_for_root_only(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "getuid", lambda: 0)
    assert machine_dir("sandboxes") == Path("/var/lib/proctor/sandboxes")
    monkeypatch.setattr(os, "getuid", lambda: 1000)
    assert machine_dir("sandboxes") == home / ".cache" / "proctor" / "sandboxes"


def test_settings_defaults_use_these_directories(home: Path) -> None:
    from proctor.settings import RetrievalSettings, SandboxSettings

    assert Path(RetrievalSettings().index_dir) == cache_dir("index")
    assert SandboxSettings().state_dir == machine_dir("sandboxes")


def test_control_state_outside_a_run_is_in_the_state_dir(home: Path, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    from proctor.control.audit import control_paths

    assert control_paths(None, None, None) == (home / ".local/state/proctor/audit.sqlite",
                                               home / ".local/state/proctor/audit_log.jsonl")
    monkeypatch.setenv(paths.STATE_ENV, str(tmp_path / "state"))
    assert control_paths(None, None, None)[0] == tmp_path / "state" / "audit.sqlite"
    assert control_paths(None, None, tmp_path / "run")[0] == tmp_path / "run" / "control" / "audit.sqlite"


def test_shared_candidates_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "a" / "work"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    checkout = Path(paths.__file__).resolve().parents[1]
    assert shared_candidates() == [checkout.parent / "shared", tmp_path / "a" / "shared", work / "shared"]


def test_find_shared_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "a" / "work"
    (work / "shared").mkdir(parents=True)
    monkeypatch.chdir(work)
    monkeypatch.setattr(paths, "shared_candidates", lambda: [tmp_path / "a" / "shared", work / "shared"])
    assert find_shared_data() == work / "shared"  # first candidate is missing
    (tmp_path / "a" / "shared").mkdir()
    assert find_shared_data() == tmp_path / "a" / "shared"
    (work / "shared" / "data").mkdir()
    assert find_shared_data(holding="data") == work / "shared"  # the first lacks data/
    assert find_shared_data(holding="data/nope") is None
    assert find_shared_data(tmp_path / "explicit") is None  # an explicit folder is the only candidate
    (tmp_path / "explicit").mkdir()
    assert find_shared_data(str(tmp_path / "explicit")) == tmp_path / "explicit"
