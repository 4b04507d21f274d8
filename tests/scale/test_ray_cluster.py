"""A batch on a real multi-node Ray cluster: a head and two worker nodes, each its own ``ray start`` process tree.

Runs are placed by the resources they ask for (a fake GPU, a custom resource), spread over the nodes, and
each run's node is in the batch record. A worker node killed mid-run (SIGKILL to its whole process
group) costs nothing but time: the run is resumed from its checkpoint on the node that is left, with no
model call made twice. The batches use the scripted mock model (``tests/batch/_mock_worker.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from proctor.batch import BatchDir, BatchRecord

from ..batch.conftest import ideas_and_calls, mock_spec
from ._ray_cluster import RayCluster
from ._services import need, wait_for

pytestmark = pytest.mark.scale

AUDIT_KEY = "9f" * 32  # shared by every host, as docs/batch.md asks: audit logs verify anywhere


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RayCluster]:
    try:
        import ray  # noqa: F401
    except ImportError:
        need(False, "Ray is not installed (pip install 'proctor[scale]')")
    hang = tmp_path_factory.mktemp("hang")
    (hang / "release").write_text("")  # no run hangs until a test takes this away
    env = {"PROCTOR_TEST_HANG_DIR": str(hang), "PROCTOR_AUDIT_KEY": AUDIT_KEY,
           "PROCTOR_STATE_DIR": str(tmp_path_factory.mktemp("ray-state"))}
    ray_cluster = RayCluster(env)
    ray_cluster.hang = hang  # type: ignore[attr-defined]
    try:
        ray_cluster.start_head()
        ray_cluster.add_workers(w1={"num_cpus": 1, "resources": {"big_disk": 1}},
                                w2={"num_cpus": 1, "num_gpus": 1})
        yield ray_cluster
    finally:
        ray_cluster.close()


def _batch_cli(cluster: RayCluster, spec: dict[str, Any], root: Path) -> subprocess.Popen[str]:
    spec["executor"].update({"executor": "ray", "ray_address": cluster.address})
    path = root / f"{spec['name']}.yaml"
    path.write_text(yaml.safe_dump(spec))
    env = dict(os.environ, PROCTOR_AUDIT_KEY=AUDIT_KEY, RAY_AUTH_MODE="disabled")
    return subprocess.Popen([sys.executable, "-m", "proctor.cli", "batch", "run", str(path), "--no-live",
                             "--set", f"runs_dir={root / 'runs'}"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _record(root: Path, name: str) -> tuple[BatchDir, BatchRecord]:
    [batch] = [b for b in BatchDir.all(root / "runs" / "batches") if b.path.name.split("_")[1] == name]
    return batch, batch.refresh(batch.load())


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _node_name(cluster: RayCluster, label: str) -> str:
    return cluster.node_of(label.rsplit("node=", 1)[1])


def test_runs_are_placed_by_gpu_and_custom_resources(cluster: RayCluster, tmp_path: Path) -> None:
    gpu = mock_spec(name="gpu", directions=["alpha"], gpus={"ids": [0], "per_run": 1})
    disk = mock_spec(name="disk", directions=["beta"])  # and its run directory shipped to the node and back
    disk["executor"].update({"ray_resources": {"big_disk": 1}, "artifacts": "copy",
                             "worker_runs_dir": str(tmp_path / "node-local")})
    drivers = [_batch_cli(cluster, gpu, tmp_path), _batch_cli(cluster, disk, tmp_path)]
    for driver in drivers:
        out, _ = driver.communicate(timeout=300)
        assert driver.returncode == 0, out[-3000:]
    batch, record = _record(tmp_path, "gpu")
    [entry] = record.runs
    assert entry.status == "succeeded" and _node_name(cluster, entry.node or "") == "w2"  # the only GPU
    assert batch.run_of(entry).header().settings["sandbox"]["gpu_ids"] == [0]  # the id Ray assigned there
    batch, record = _record(tmp_path, "disk")
    [entry] = record.runs
    assert entry.status == "succeeded" and _node_name(cluster, entry.node or "") == "w1"  # the big disk
    home = batch.run_of(entry).path
    on_node = tmp_path / "node-local" / batch.path.name / home.name
    assert (on_node / "results.json").exists()  # it ran in the node's copy...
    assert _files(home) == _files(on_node)  # ...and came back whole, the layout unchanged


def test_runs_spread_over_nodes_and_a_killed_node_resumes_elsewhere(cluster: RayCluster, tmp_path: Path) -> None:
    hang: Path = cluster.hang  # type: ignore[attr-defined]
    (hang / "release").unlink()
    driver = _batch_cli(cluster, mock_spec(name="spread"), tmp_path)
    try:
        wait_for("both runs to hang in their second model call",
                 lambda: len([p for p in hang.iterdir() if p.name != "release"]) == 2, timeout=240)
        batch, record = _record(tmp_path, "spread")
        nodes = {e.key: _node_name(cluster, e.node or "") for e in record.runs}
        assert sorted(nodes.values()) == ["w1", "w2"], nodes  # one run on each worker node
        victim = next(k for k, n in nodes.items() if n == "w1")
        pids = [int(p.name) for p in hang.iterdir() if p.name != "release"]
        cluster.nodes["w1"].kill()
        wait_for("the killed node's worker to be gone", lambda: sum(map(_alive, pids)) == 1, timeout=60)
    finally:
        (hang / "release").write_text("")
    out, _ = driver.communicate(timeout=300)
    assert driver.returncode == 0, out[-3000:]
    batch, record = _record(tmp_path, "spread")
    assert record.status == "finished" and [e.status for e in record.runs] == ["succeeded", "succeeded"]
    for entry in record.runs:
        ideas, calls = ideas_and_calls(batch.run_of(entry))
        assert ideas == ["idea_0", "idea_1"]
        assert calls == 2  # the resumed run took idea_0 from its checkpoint: no model call made twice
        if entry.key == victim:
            assert [_node_name(cluster, n) for n in entry.nodes] == ["w1", "w2"] and entry.launches == 2
            assert "resumed from its checkpoint after losing its worker" in entry.worker_note
        else:
            assert [_node_name(cluster, n) for n in entry.nodes] == ["w2"] and entry.launches == 1
