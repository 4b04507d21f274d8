"""What runs in a worker: start or resume one run directory, then exit.

The local executor runs ``python -m proctor.batch._worker_entry JOB_JSON`` in a fresh process per run,
so a crash (or ``kill -9``) takes down one run, never the batch; the Ray executor calls
:func:`run_job` inside a Ray task. Either way the run's ``run.json`` records the outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import os
import select
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

JobMode = Literal["start", "resume"]


class RunJob(BaseModel):
    """One unit of work for an executor."""

    run_dir: str = Field(description="Absolute path of the run directory.")
    mode: JobMode = Field(description="'start' a created run, or 'resume' it from its checkpoint.")
    overrides: list[str] = Field(default_factory=list, description="Settings overrides applied first.")
    gpus: list[int] = Field(default_factory=list, description="GPU indices given to this run (local executor).")
    num_gpus: int = Field(default=0, description="GPUs to request (Ray resource).")
    worker_init: str | None = Field(default=None, description="'module:function' called before the run.")
    artifacts: Literal["shared", "copy"] = Field(default="shared", description="'copy': the run directory travels with the job.")
    worker_runs_dir: str | None = Field(default=None, description="artifacts=copy: where the node keeps its copy.")


def call_worker_init(target: str | None) -> None:
    """Import and call ``module:function`` or ``path/to/file.py:function`` (no-op for None).

    Raises:
        ValueError: when ``target`` has no ``:function`` part.
    """
    if not target:
        return
    module_name, sep, func_name = target.rpartition(":")
    if not sep or not module_name:
        raise ValueError(f"worker_init must be 'module:function', got {target!r}")
    if module_name.endswith(".py"):
        spec = importlib.util.spec_from_file_location(Path(module_name).stem, module_name)
        if spec is None or spec.loader is None:
            raise ValueError(f"cannot load {module_name}")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    getattr(module, func_name)()


async def _arun(job: RunJob) -> str:
    from proctor.agents import execute, resume_run, settings_for_resume
    from proctor.log import RunDir

    run = RunDir(Path(job.run_dir))
    # A resume of a run whose worker died before it began (an executor's retry) is its start.
    if job.mode == "resume" and run.header().status != "created":
        await resume_run(run, job.overrides)
        return run.header().status
    settings = settings_for_resume(run, job.overrides)
    header = run.header()
    header.settings, header.settings_digest = settings.public_dump(), settings.digest()
    run.write_header(header)
    await execute(run, settings, {"direction": header.direction, "template": settings.workflow.template,
                                  "ideas": [], "stages": [], "outcomes": []})
    return run.header().status


def run_job(job: RunJob) -> str:
    """Run ``job`` in this process; returns the run's final status.

    Failures are already recorded in the run's ``run.json`` by the runner, so they are not re-raised:
    the batch reads the status from there.
    """
    from proctor.log import RunDir

    call_worker_init(job.worker_init)
    try:
        return asyncio.run(_arun(job))
    except Exception:  # noqa: BLE001 - the runner recorded it in run.json
        return RunDir(Path(job.run_dir)).header().status


def _kill_me_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def die_with_driver() -> None:
    """Ask Linux to SIGKILL this worker when the batch driver that started it dies.

    Without it a killed driver would leave workers running unsupervised, and a ``batch resume``
    would start a second worker on the same checkpoint. Elsewhere this is a no-op.
    """
    driver = os.environ.get("PROCTOR_BATCH_DRIVER_PID")
    if not driver:
        return
    _kill_me_with_parent()
    if os.getppid() != int(driver):  # the driver died before prctl took effect
        os._exit(1)


def _watch_driver(driver: int) -> None:
    """Kill this worker's process group once ``driver`` exits (blocks; run it in a daemon thread)."""
    try:
        fd = os.pidfd_open(driver)
    except ProcessLookupError:
        pass  # already gone
    except (OSError, AttributeError):  # no pidfd (old kernel, not Linux): poll
        while True:
            time.sleep(1.0)
            try:
                os.kill(driver, 0)
            except ProcessLookupError:
                break
    else:
        select.select([fd], [], [])
    os.killpg(0, signal.SIGKILL)


def forked_main(job_json: str, cuda_devices: str | None, driver: int) -> None:
    """Target of a worker forked from the preloaded fork server (exits with the worker's code).

    A forked worker's parent is the fork server, which lives as long as its workers do, so
    ``PR_SET_PDEATHSIG`` cannot tie it to the driver: a watcher thread on the driver's pidfd does.
    """
    os.setsid()  # own process group: the driver, or the watcher, kills the worker and its children
    if cuda_devices is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = cuda_devices
    threading.Thread(target=_watch_driver, args=(driver,), daemon=True, name="proctor-driver-watch").start()
    status = run_job(RunJob.model_validate_json(job_json))
    sys.exit(0 if status in ("succeeded", "paused") else 1)


def main(argv: list[str] | None = None) -> int:
    """Entry point of a local worker process (``python -m proctor.batch._worker_entry JOB_JSON``)."""
    die_with_driver()
    args = sys.argv[1:] if argv is None else argv
    status = run_job(RunJob.model_validate_json(args[0]))
    return 0 if status in ("succeeded", "paused") else 1
