"""`proctor sandbox redteam` end to end: attacks through the real experiment stage.

On bubblewrap the boundary holds; on the (opt-in, unisolated) host provider the same command
must report the attack that reads a host canary, so the checks are shown able to fail.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from proctor.cli.main import cli
from tests.agents.test_pipeline import _rootfs_ready

STAGES = '--set=workflow.stages=["experiments"]'  # no model: the boundary, not the prose


def _redteam(tmp_path: Path, *args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["sandbox", "redteam", "--json", "--timeout", "300", STAGES,
                                      f"--set=runs_dir={tmp_path / 'runs'}", "--set=sandbox.timeout_s=60", *args])
    out = result.stdout
    return result.exit_code, json.loads(out[out.index("{"):])


@pytest.mark.bwrap
@pytest.mark.skipif(not _rootfs_ready(), reason="no sandbox rootfs: run `proctor sandbox build-image --rootfs-only`")
def test_bubblewrap_contains_host_reads_and_baseline_falsification(tmp_path: Path) -> None:
    code, report = _redteam(tmp_path, "--set=sandbox.provider=bubblewrap",
                            "--only", "env-and-host-reads", "--only", "falsify-baseline", "--only", "final-info-fifo")
    assert report["control"]["contained"], report["control"]
    by_id = {a["id"]: a for a in report["attacks"]}
    assert set(by_id) == {"env-and-host-reads", "falsify-baseline", "final-info-fifo"}
    for attack in by_id.values():
        assert attack["contained"], attack
        assert Path(attack["run_dir"]).is_dir()  # kept
    assert code == 0


@pytest.mark.skipif(not _rootfs_ready(), reason="no sandbox rootfs")
def test_an_unisolated_provider_is_reported(tmp_path: Path) -> None:
    path = json.dumps({"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"})  # a `python` here
    code, report = _redteam(tmp_path, "--set=sandbox.provider=host", "--set=sandbox.allow_host=true",
                            f"--set=sandbox.env={path}", "--only", "env-and-host-reads")
    attack = report["attacks"][0]
    assert code == 1 and not attack["contained"]
    assert any("host secret" in v for v in attack["violations"]), attack["violations"]
