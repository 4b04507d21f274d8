"""The local executor's fast start: fork each worker from a server that imported Proctor once.

A fresh interpreter spends seconds importing Proctor's dependencies (litellm, torch, LangGraph)
before a run starts. With ``batch.preload_workers`` the driver starts one multiprocessing fork
server that imports them, and each run is a process forked from it: still one process per run
(a crash or ``kill -9`` takes one run down), started in milliseconds. The fork server is
single-threaded when it forks (its imports start no threads), so forking it is safe. Each worker
watches the driver's pidfd and kills itself when the driver dies, as interpreter workers do
through ``PR_SET_PDEATHSIG``.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import signal
from typing import Any

from proctor.batch._executor import Executor, JobResult, OnStart
from proctor.batch._worker import RunJob, forked_main

PRELOAD = ["proctor.batch._worker", "proctor.agents._runner"]
_context: Any = None


def _ctx() -> Any:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


class ForkserverExecutor(Executor):
    """One process per run, forked from a preloaded fork server on this host."""

    name = "local-preload"

    async def run(self, job: RunJob, on_start: OnStart) -> JobResult:
        """Fork the worker and wait for it."""
        cuda = ",".join(str(g) for g in job.gpus) if job.gpus else None
        proc = _ctx().Process(target=forked_main, args=(job.model_dump_json(), cuda, os.getpid()), daemon=False)
        await asyncio.to_thread(proc.start)  # the first start waits for the fork server's imports
        on_start(proc.pid)
        loop, ended = asyncio.get_running_loop(), asyncio.Event()
        loop.add_reader(proc.sentinel, ended.set)  # readable once the process has exited
        try:
            await ended.wait()
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await asyncio.to_thread(proc.join, 10)
            raise
        finally:
            loop.remove_reader(proc.sentinel)
        await asyncio.to_thread(proc.join)
        code = int(proc.exitcode)
        proc.close()
        if code < 0:
            return JobResult(code, f"worker killed by signal {-code}")
        return JobResult(code)
