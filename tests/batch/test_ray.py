"""The Ray executor on a local one-CPU Ray: a batch's run executes as a Ray task."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from proctor.batch import create_batch, drive_batch, parse_spec
from proctor.settings import load_settings

from .conftest import mock_spec

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install ray)")


@pytest.fixture
def local_ray() -> Iterator[Any]:
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.mark.slow
def test_batch_runs_as_ray_tasks(local_ray: Any, tmp_path: Path) -> None:
    from proctor.batch._ray import RayExecutor

    spec = mock_spec(directions=["alpha"])
    spec["executor"]["executor"] = "ray"
    batch = create_batch(parse_spec(spec), load_settings(None, [f"runs_dir={tmp_path}"]))
    record = anyio.run(lambda: drive_batch(batch, executor=RayExecutor()))
    assert record.status == "finished" and record.runs[0].status == "succeeded", record.runs[0].detail
    assert (batch.run_of(record.runs[0]).path / "results.json").exists()
