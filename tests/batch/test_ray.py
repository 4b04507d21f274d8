"""The Ray executor on a local one-CPU Ray started in this process (no address): a batch's run is a Ray task.

The multi-node cluster: tests/scale/test_ray_cluster.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from proctor.batch import create_batch, drive_batch, parse_spec
from proctor.settings import load_settings

from ..scale._services import need
from .conftest import mock_spec


@pytest.fixture
def local_ray(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")  # else a new local Ray writes ~/.ray/auth_token
    try:
        import ray
    except ImportError:
        need(False, "Ray is not installed (pip install 'proctor[scale]')")
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.mark.scale
def test_batch_runs_as_ray_tasks(local_ray: Any, tmp_path: Path) -> None:
    spec = mock_spec(directions=["alpha"])
    spec["executor"]["executor"] = "ray"
    batch = create_batch(parse_spec(spec), load_settings(None, [f"runs_dir={tmp_path}"]))
    record = anyio.run(drive_batch, batch)  # the spec's executor: Ray, already initialised here
    assert record.status == "finished" and record.runs[0].status == "succeeded", record.runs[0].detail
    assert record.runs[0].node and f"node={local_ray.get_runtime_context().get_node_id()}" in record.runs[0].node
    run_s = record.runs[0].run_seconds
    assert run_s is not None and 0 < run_s <= record.runs[0].seconds  # the run's own time, inside the launch
    assert (batch.run_of(record.runs[0]).path / "results.json").exists()
