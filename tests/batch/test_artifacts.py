"""Run directories copied back to the coordinator (``batch.artifacts="copy"``): the layout unchanged, the audit
log verifiable there with ``proctor audit verify`` (its head anchored anew), a broken copy refused whole.

The Ray executor ships directories this way end to end in tests/scale/test_ray_cluster.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from proctor.batch import BatchSettings
from proctor.batch._artifacts import CopyBackFailed, audit_heads, land, pack, unpack_for_worker
from proctor.control.audit import AuditLog, control_paths, verify_log
from proctor.log import RunDir

KEY = "ab" * 32


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _verify_cli(log: Path, state: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PROCTOR_STATE_DIR=str(state), PROCTOR_AUDIT_KEY=KEY)
    return subprocess.run([sys.executable, "-m", "proctor.cli", "audit", "verify", str(log)], env=env,
                          capture_output=True, text=True, timeout=120)


def test_copied_back_run_keeps_its_layout_and_a_verifiable_audit_log(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCTOR_AUDIT_KEY", KEY)  # the same key on every host
    home = RunDir.create(tmp_path / "coordinator" / "batch" / "runs", "alpha", settings={}, settings_digest="x")
    before = _files(home.path)

    monkeypatch.setenv("PROCTOR_STATE_DIR", str(tmp_path / "worker-state"))  # the worker node
    local = unpack_for_worker(pack(home.path), tmp_path / "node-local", "batch", home.path.name)
    assert _files(local) == before
    log = AuditLog(control_paths(None, None, local)[1])
    for i in range(3):
        log.append("gate_decision", {"action_digest": f"d{i}", "decision": "allow"})
    (local / "ideas").mkdir()
    (local / "ideas" / "ideas.json").write_text('[{"Name": "idea_0"}]')
    RunDir(local).set_status("succeeded")
    shipped, heads = pack(local), audit_heads(local)
    assert list(heads) == ["control/audit_log.jsonl"]

    coordinator_state = tmp_path / "coordinator-state"
    monkeypatch.setenv("PROCTOR_STATE_DIR", str(coordinator_state))
    land(home.path, shipped, heads)
    assert _files(home.path) == _files(local)  # the same layout, byte for byte
    assert home.header().status == "succeeded"
    landed_log = control_paths(None, None, home.path)[1]
    result = verify_log(landed_log)
    assert result.ok and result.records == 4 and result.anchored, result.reason  # its header + 3
    cli = _verify_cli(landed_log, coordinator_state)
    said = " ".join(cli.stdout.split())  # rich wraps long paths
    assert cli.returncode == 0 and "intact: 4 records" in said and "note" not in said, said

    lines = landed_log.read_text().splitlines()  # the check is real: an edited record is caught
    landed_log.write_text("\n".join([lines[0], lines[1].replace('"allow"', '"deny"'), lines[2]]) + "\n")
    assert _verify_cli(landed_log, coordinator_state).returncode == 1


def test_a_broken_copy_leaves_the_coordinators_copy_whole(tmp_path: Path) -> None:
    home = RunDir.create(tmp_path / "runs", "alpha", settings={}, settings_digest="x")
    before = _files(home.path)
    with pytest.raises(CopyBackFailed, match=f"could not be copied back into {home.path}"):
        land(home.path, pack(home.path)[:40], {})  # truncated in transit
    assert _files(home.path) == before
    assert [p.name for p in home.path.parent.iterdir()] == [home.path.name]  # nothing half-unpacked left


def test_copy_refuses_a_shared_checkpointer() -> None:
    with pytest.raises(ValueError, match="carries each run's checkpoints inside its directory"):
        BatchSettings(artifacts="copy", checkpointer_url="postgresql://db/x")
