"""Executors run one :class:`RunJob` somewhere and report how it ended.

``local`` starts a fresh Python process per run (crash isolation: a segfault or ``kill -9`` loses that
run's node in flight, nothing else); ``ray`` submits a Ray task (see :mod:`proctor.batch._ray`).
Cancelling :meth:`Executor.run` (the batch's wall-time caps do) kills the worker.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from typing import Protocol

from proctor.batch._worker import RunJob
from proctor.settings import BatchSettings


@dataclass(frozen=True)
class JobResult:
    """How a worker ended: its exit code (None when unknown), a note for the run's record, and the seconds the
    run itself took inside the worker when the executor knows them (the rest is launch and bookkeeping)."""

    exit_code: int | None
    note: str = ""
    worker_seconds: float | None = None


class OnStart(Protocol):
    """Told each time a worker starts the job: its pid (None when remote) and the node it runs on."""

    def __call__(self, pid: int | None, node: str | None = None) -> None: ...


class Executor(abc.ABC):
    """Somewhere runs execute."""

    name: str = "executor"

    @abc.abstractmethod
    async def run(self, job: RunJob, on_start: OnStart) -> JobResult:
        """Execute ``job`` to its end, calling ``on_start(pid, node)`` each time a worker starts it.

        Raises:
            asyncio.CancelledError: re-raised after the worker is killed.
        """

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release executor resources (the Ray connection...)."""


class LocalExecutor(Executor):
    """One fresh ``python -m proctor.batch._worker_entry`` interpreter per run on this host."""

    name = "local"

    async def run(self, job: RunJob, on_start: OnStart) -> JobResult:
        """Start the worker process and wait for it."""
        env = dict(os.environ, PROCTOR_BATCH_DRIVER_PID=str(os.getpid()))
        if job.gpus:
            env["CUDA_VISIBLE_DEVICES"] = ",".join(str(g) for g in job.gpus)
        # Own session: a Ctrl-C or SIGTERM aimed at the batch's process group does not hit the workers;
        # the batch decides when they die.
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "proctor.batch._worker_entry", job.model_dump_json(),
            env=env, stdin=asyncio.subprocess.DEVNULL, start_new_session=True,
        )
        on_start(proc.pid)
        try:
            code = await proc.wait()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await asyncio.shield(proc.wait())
            raise
        if code < 0:
            return JobResult(code, f"worker killed by signal {-code}")
        return JobResult(code)


def executor_for(settings: BatchSettings) -> Executor:
    """The executor ``settings.executor`` names.

    Raises:
        ImportError: for ``ray`` when Ray is not installed (with the install hint).
    """
    if settings.executor == "ray":
        from proctor.batch._ray import RayExecutor

        return RayExecutor(settings.ray_address, num_cpus=settings.ray_num_cpus, resources=settings.ray_resources,
                           max_retries=settings.ray_max_retries)
    if settings.preload_workers:
        from proctor.batch._forkserver import ForkserverExecutor

        return ForkserverExecutor()
    return LocalExecutor()
