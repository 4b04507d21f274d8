"""The Ray executor: each run is a Ray task on whichever node has the resources it asks for.

A run asks for ``batch.ray_num_cpus`` CPUs, ``gpus.per_run`` GPUs (``num_gpus``: Ray picks the node and
sets ``CUDA_VISIBLE_DEVICES``; the run's sandbox gets the ids Ray assigned) and the custom resources in
``batch.ray_resources`` (``{"big_disk": 1}`` keeps runs on nodes started with ``--resources
'{"big_disk": 4}'``). The task first reports where it runs (host, IP, Ray node id), which the batch
records, then runs the job.

A node or worker that dies mid-run (host lost, OOM kill) is a system failure, not the run's: the run is
submitted again, up to ``batch.ray_max_retries`` times, as a *resume* from its last checkpoint, and Ray
places it on a node that is alive. Runs on several hosts must share the run directories (a shared
filesystem), or ship them with the job and back (``batch.artifacts="copy"``, :mod:`._artifacts`); and,
for retrieval, the chroma server (``batch.chroma_url``).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from proctor.batch._artifacts import CopyBackFailed
from proctor.batch._executor import Executor, JobResult, OnStart
from proctor.batch._worker import RunJob, run_job

_INSTALL_HINT = "the ray executor needs Ray: pip install 'ray>=2.9' (or set batch.executor=local)"


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT) from exc
    return ray


def _task(job_json: str, shipped: bytes | None = None) -> Iterator[Any]:
    """Runs on a Ray worker: yields where it runs, then how the run ended (and its directory, when shipped)."""
    import ray

    from proctor.batch._artifacts import audit_heads, pack, unpack_for_worker

    ctx = ray.get_runtime_context()
    yield {"host": socket.gethostname(), "ip": ray.util.get_node_ip_address(), "node_id": ctx.get_node_id(),
           "pid": os.getpid()}
    job = RunJob.model_validate_json(job_json)
    assigned = [int(float(g)) for g in ray.get_gpu_ids()]
    if assigned:  # the GPUs Ray gave this task on this node, not the ids the spec listed
        job.overrides.append(f"sandbox.gpu_ids={json.dumps(assigned)}")
    local = None
    if shipped is not None:  # artifacts=copy: run in a copy on this node, hand the directory back
        home = Path(job.run_dir)
        root = Path(job.worker_runs_dir or Path(tempfile.gettempdir()) / "proctor-runs")
        local = unpack_for_worker(shipped, root, home.parent.parent.name, home.name)
        job.run_dir = str(local)
    began = time.perf_counter()
    status = run_job(job)
    yield {"code": 0 if status in ("succeeded", "paused") else 1, "status": status,
           "seconds": time.perf_counter() - began,
           "dir": pack(local) if local else None, "heads": audit_heads(local) if local else {},
           "local": str(local) if local else None}


def node_label(info: dict[str, Any]) -> str:
    """How a batch record names the node a run ran on: ``host ip node=<Ray node id>``."""
    return f"{info['host']} {info['ip']} node={info['node_id']}"


class RayExecutor(Executor):
    """Submit runs to the Ray cluster at ``address`` (``None``: connect to or start a local one).

    Args:
        address: Ray cluster (``host:6379``, or ``ray://host:10001`` through Ray Client).
        num_cpus: CPUs each run asks for.
        resources: custom resources each run asks for.
        max_retries: resubmissions of a run whose node or worker died.
    """

    name = "ray"

    def __init__(self, address: str | None = None, *, num_cpus: float = 1.0,
                 resources: dict[str, float] | None = None, max_retries: int = 2, **init_kwargs: Any) -> None:
        self.ray = _ray()
        if not self.ray.is_initialized():
            self.ray.init(address=address, ignore_reinit_error=True, log_to_driver=False, **init_kwargs)
        self._remote = self.ray.remote(max_retries=0)(_task)
        self.num_cpus, self.resources, self.max_retries = num_cpus, dict(resources or {}), max_retries

    async def run(self, job: RunJob, on_start: OnStart) -> JobResult:
        """Submit the task and await it, resubmitting it (as a resume) when its node or worker dies."""
        lost: list[str] = []
        for _attempt in range(self.max_retries + 1):
            try:
                code, seconds = await self._attempt(job, on_start)
            except _Lost as exc:
                lost.append(str(exc))
                job = job.model_copy(update={"mode": "resume"})
                continue
            except CopyBackFailed as exc:
                return JobResult(None, str(exc)[:2000])
            except Exception as exc:  # noqa: BLE001 - the task itself failed: Ray's error is the note
                return JobResult(None, f"ray task failed: {type(exc).__name__}: {exc}"[:2000])
            return JobResult(code, f"resumed from its checkpoint after losing its worker: {'; '.join(lost)}"
                             if lost else "", worker_seconds=seconds)
        return JobResult(None, f"worker lost {len(lost)} times, no retries left (batch.ray_max_retries="
                               f"{self.max_retries}): {'; '.join(lost)}"[:2000])

    async def _attempt(self, job: RunJob, on_start: OnStart) -> tuple[int, float]:
        from proctor.batch._artifacts import land, pack

        options: dict[str, Any] = {"num_cpus": self.num_cpus, "num_gpus": job.num_gpus,
                                   "num_returns": "streaming"}
        if self.resources:
            options["resources"] = self.resources
        shipped = pack(Path(job.run_dir)) if job.artifacts == "copy" else None
        gen = self._remote.options(**options).remote(job.model_dump_json(), shipped)
        node = "?"
        try:
            info = await (await gen.__anext__())
            node = node_label(info)
            on_start(None, node)
            end = await (await gen.__anext__())
        except asyncio.CancelledError:
            self.ray.cancel(gen, force=True)
            raise
        except self.ray.exceptions.RayTaskError:
            raise  # an error inside the task: not a lost node
        except self.ray.exceptions.RayError as exc:  # worker crashed, node died, object lost
            raise _Lost(f"{type(exc).__name__} on {node}") from exc
        if end["dir"] is not None:
            try:
                land(Path(job.run_dir), end["dir"], end["heads"])
            except CopyBackFailed as exc:
                raise CopyBackFailed(f"{exc}; the run's copy stays at {end['local']} on {node}") from exc
        return int(end["code"]), float(end["seconds"])

    async def aclose(self) -> None:
        """Leave the cluster running; nothing to release per batch."""


class _Lost(Exception):
    """The task's worker or node died (a system failure): the run may be retried elsewhere."""
