"""The ``host`` provider: runs on the bare machine. Nothing is isolated.

Only with ``sandbox.allow_host = true``; every sandbox it opens logs a warning and a
``sandbox_host_warning`` event. It still applies the environment allowlist, rlimits (memory,
file size, CPU), the wall timeout and a process-group kill, but the code can read and write
whatever the user running Proctor can, and reach the network.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import resource
from pathlib import Path
from typing import Self

from proctor.log import emit
from proctor.sandboxes._errors import SandboxUnavailable
from proctor.sandboxes._events import SandboxHostWarningEvent
from proctor.sandboxes._process import run_process
from proctor.sandboxes._provider import ExecRequest, SandboxProvider, sandbox_provider
from proctor.sandboxes._result import ExecResult
from proctor.settings import SandboxSettings

log = logging.getLogger(__name__)
WARNING = "sandbox.provider=host: experiment code runs UNISOLATED on this machine (network, files, processes)"


@sandbox_provider("host")
class HostSandbox(SandboxProvider):
    """No isolation; development only, behind ``sandbox.allow_host``."""

    name = "host"
    isolated = False

    def __init__(self, settings: SandboxSettings, workdir: Path | None, harness_dir: Path | None = None) -> None:
        super().__init__(settings, workdir, harness_dir)
        self.notes.append("host provider: no isolation")
        self._bind_work()

    def _bind_work(self) -> None:
        self.inner_workdir = str(self.workdir)  # no mount namespace: the code sees host paths
        super()._bind_work()

    @property
    def harness_inner(self) -> str | None:
        """The harness directory at its host path (the staged read-only copy when mounted)."""
        return str(self.harness_dir) if self.harness_dir is not None else None

    @classmethod
    def available(cls, settings: SandboxSettings) -> str | None:
        """``None`` only when ``sandbox.allow_host`` is set."""
        if not settings.allow_host:
            return "the host provider needs the explicit opt-in sandbox.allow_host=true"
        return None

    @classmethod
    async def create(
        cls, settings: SandboxSettings, *, workdir: Path | None = None, harness_dir: Path | None = None
    ) -> Self:
        """Open a host "sandbox", loudly.

        Raises:
            SandboxUnavailable: without ``sandbox.allow_host``.
        """
        reason = cls.available(settings)
        if reason:
            raise SandboxUnavailable(reason)
        sandbox = await asyncio.to_thread(cls, settings, workdir, harness_dir)
        await sandbox._open()
        log.warning(WARNING)
        emit(SandboxHostWarningEvent(sandbox_id=sandbox.id, detail=WARNING))
        return sandbox

    def _preexec(self, timeout_s: float) -> None:
        quota = self.settings.disk_quota_mb * 2**20
        mem = self.settings.memory_mb * 2**20
        cpu = math.ceil(timeout_s * self.settings.cpus) + 5
        resource.setrlimit(resource.RLIMIT_FSIZE, (quota, quota))
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    async def _run(self, request: ExecRequest) -> ExecResult:
        outcome = await asyncio.to_thread(
            run_process, request.argv, env=request.env, cwd=request.cwd, stdin=request.stdin,
            timeout_s=request.timeout_s, output_limit=self.settings.output_limit_bytes,
            preexec=functools.partial(self._preexec, request.timeout_s),
        )
        return ExecResult(
            exit_code=outcome.exit_code, stdout=outcome.stdout.text(), stderr=outcome.stderr.text(),
            stdout_bytes=outcome.stdout.total, stderr_bytes=outcome.stderr.total,
            truncated=outcome.stdout.truncated or outcome.stderr.truncated, wall_s=outcome.wall_s,
            cpu_s=outcome.cpu_s, peak_memory_mb=outcome.maxrss_bytes / 2**20,
            timed_out=outcome.timed_out, killed=outcome.timed_out,
        )

    async def _teardown(self) -> None:
        return None


