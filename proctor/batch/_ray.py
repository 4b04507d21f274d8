"""The Ray executor: each run is a Ray task; GPUs are Ray resources (``num_gpus``).

Runs on several hosts must share the run directories (a shared filesystem) or at least the
checkpoint store (``batch.checkpointer_url``, Postgres) and the Chroma server (``batch.chroma_url``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from proctor.batch._executor import Executor, JobResult
from proctor.batch._worker import RunJob, run_job

_INSTALL_HINT = "the ray executor needs Ray: pip install 'ray>=2.9' (or set batch.executor=local)"


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return ray


def _task(job_json: str) -> tuple[int, str]:
    status = run_job(RunJob.model_validate_json(job_json))
    return (0 if status in ("succeeded", "paused") else 1), status


class RayExecutor(Executor):
    """Submit runs to the Ray cluster at ``address`` (``None``: connect to or start a local one)."""

    name = "ray"

    def __init__(self, address: str | None = None, **init_kwargs: Any) -> None:
        self.ray = _ray()
        if not self.ray.is_initialized():
            self.ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, **init_kwargs)
        self._remote = self.ray.remote(max_retries=0)(_task)

    async def run(self, job: RunJob, on_start: Callable[[int | None], None]) -> JobResult:
        """Submit the task and await it; cancelling force-kills the task's worker."""
        ref = self._remote.options(num_cpus=1, num_gpus=job.num_gpus).remote(job.model_dump_json())
        on_start(None)
        try:
            code, _status = await ref
        except asyncio.CancelledError:
            self.ray.cancel(ref, force=True)
            raise
        except Exception as exc:  # noqa: BLE001 - a dead worker surfaces as a Ray error
            return JobResult(None, f"ray task failed: {type(exc).__name__}: {exc}")
        return JobResult(code)

    async def aclose(self) -> None:
        """Leave the cluster running; nothing to release per batch."""
