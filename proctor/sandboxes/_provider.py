"""The sandbox interface every provider implements.

A sandbox owns one work directory on the host, mounted read-write (at ``/work`` for isolated
providers); everything else it sees is read-only or private. Agent actions reach it only as
:class:`~proctor.control.ApprovedAction` objects; harness code uses :meth:`SandboxProvider.copy_in`.
"""

from __future__ import annotations

import abc
import asyncio
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from proctor.control import ApprovedAction, SandboxRun, ShellCommand, require_approved
from proctor.log import atomic_write, emit
from proctor.registry import Registry
from proctor.sandboxes._env import sandbox_env
from proctor.sandboxes._errors import SandboxError
from proctor.sandboxes._events import SandboxExecEvent
from proctor.sandboxes._result import ExecResult
from proctor.sandboxes._workdir import WorkDir, copy_into, make_workdir, sandbox_ids
from proctor.settings import SandboxSettings


@dataclass
class ExecRequest:
    """One command, after approval checks, in the form providers run it."""

    argv: list[str]
    cwd: str
    env: dict[str, str]
    stdin: bytes | None
    timeout_s: float
    notes: list[str] = field(default_factory=list)


class SandboxProvider(abc.ABC):
    """An isolated place to run untrusted experiment code (async; use ``async with``).

    Subclasses implement :meth:`available`, :meth:`create`, :meth:`_run` and :meth:`_teardown`;
    approval checks, the environment allowlist, the disk quota, file access and event emission
    live here so every provider enforces them the same way.
    """

    name: ClassVar[str]
    isolated: ClassVar[bool] = True
    inner_workdir: str = "/work"

    def __init__(self, settings: SandboxSettings, workdir: Path | None = None) -> None:
        self.settings = settings
        self.id = secrets.token_hex(5)
        self.owns_workdir = workdir is None
        self.workdir = (workdir or make_workdir(settings)).resolve()
        self.work = WorkDir(self.workdir, self.inner_workdir)
        """The work directory as host code may touch it (the trust boundary)."""
        self.uid, self.gid = sandbox_ids(settings)
        self.work.chown(self.uid, self.gid)
        self.notes: list[str] = []
        self.closed = False

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    @abc.abstractmethod
    def available(cls, settings: SandboxSettings) -> str | None:
        """Return ``None`` when this provider can run here, else why not and the fix."""

    @classmethod
    @abc.abstractmethod
    async def create(cls, settings: SandboxSettings, *, workdir: Path | None = None) -> Self:
        """Start a sandbox with a work directory (a fresh one unless ``workdir`` is given).

        Raises:
            SandboxUnavailable: when the provider cannot run here.
        """

    @abc.abstractmethod
    async def _run(self, request: ExecRequest) -> ExecResult:
        """Run one request; enforce its timeout and the sandbox's limits."""

    @abc.abstractmethod
    async def _teardown(self) -> None:
        """Kill everything the sandbox still runs and release its resources."""

    async def cleanup(self) -> None:
        """Kill what still runs, release resources and delete a work directory it created."""
        if self.closed:
            return
        self.closed = True
        await self._teardown()
        if self.owns_workdir:
            await asyncio.to_thread(shutil.rmtree, self.workdir, True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.cleanup()

    # -- exec ------------------------------------------------------------------------------
    async def exec(self, approved: ApprovedAction) -> ExecResult:
        """Run an approved ``shell`` or ``sandbox_run`` action and log it as a ``sandbox_exec`` event.

        The timeout is the action's, capped at ``sandbox.timeout_s``. Output beyond
        ``sandbox.output_limit_bytes`` is dropped (the result says how much there was).

        Raises:
            ApprovalError: when ``approved`` is not a valid approval of a shell or sandbox run.
            SandboxError: when the sandbox is closed or the action asks for what no sandbox grants
                (extra mounts).
        """
        approved = require_approved(approved, "shell", "sandbox_run")
        if self.closed:
            raise SandboxError(f"sandbox {self.id} is closed")
        request = self._request(approved)
        result = await self._run(request)
        result.notes = request.notes + self.notes + result.notes
        await asyncio.to_thread(self._check_quota, result)
        emit(SandboxExecEvent(
            provider=self.name, sandbox_id=self.id, action_id=approved.action.id,
            approver=approved.approver, argv=request.argv, exit_code=result.exit_code,
            wall_s=result.wall_s, cpu_s=result.cpu_s, peak_memory_mb=result.peak_memory_mb,
            timed_out=result.timed_out, oom_killed=result.oom_killed, killed=result.killed,
            truncated=result.truncated, disk_quota_exceeded=result.disk_quota_exceeded,
            notes=result.notes,
        ))
        return result

    def _request(self, approved: ApprovedAction) -> ExecRequest:
        payload = approved.action.payload
        notes: list[str] = []
        if isinstance(payload, ShellCommand):
            argv, cwd, env, stdin, timeout = payload.argv, payload.cwd, payload.env, payload.stdin, payload.timeout_s
        elif isinstance(payload, SandboxRun):
            if payload.mounts:
                raise SandboxError("sandboxes mount only the run's work directory; extra mounts are refused")
            if payload.image and payload.image != self.settings.image:
                notes.append(f"requested image {payload.image} ignored; sandbox runs {self.settings.image}")
            argv, cwd, env, stdin, timeout = payload.command, None, {}, None, payload.timeout_s
        else:  # pragma: no cover - require_approved already refused other kinds
            raise SandboxError(f"cannot execute a {approved.action.kind} action")
        if not argv:
            raise SandboxError("empty command")
        inner_cwd = self.inner_workdir
        if cwd:
            host = self.work.resolve(cwd)
            inner_cwd = str(Path(self.inner_workdir) / host.relative_to(self.workdir))
        full_env, env_notes = sandbox_env(env, self.settings.env, workdir=self.inner_workdir)
        limit = self.settings.timeout_s
        if timeout is not None and timeout > limit:
            notes.append(f"timeout {timeout}s capped at sandbox.timeout_s={limit}s")
        return ExecRequest(
            argv=list(argv), cwd=inner_cwd, env=full_env,
            stdin=stdin.encode() if stdin is not None else None,
            timeout_s=min(timeout, limit) if timeout else limit, notes=notes + env_notes,
        )

    def _check_quota(self, result: ExecResult) -> None:
        used = self.work.size()
        quota = self.settings.disk_quota_mb * 2**20
        if used > quota:
            result.disk_quota_exceeded = True
            result.notes.append(f"work directory holds {used} bytes, over the {quota}-byte quota")

    # -- files -----------------------------------------------------------------------------
    async def read_file(self, path: str) -> bytes:
        """Read a regular file of the work directory (relative, or absolute under the inner work dir).

        Links are never followed and FIFOs or devices never opened for reading (see :class:`WorkDir`).

        Raises:
            PathOutsideWorkdir: when the path is outside the work directory.
            FileNotFoundError: when there is no such file.
            UntrustedFileError: for a link, FIFO, device or directory, or a file over the read cap.
        """
        return await asyncio.to_thread(self.work.read_bytes, path)

    async def write_file(self, approved: ApprovedAction) -> Path:
        """Write an approved ``file_edit`` (its ``new_content``) into the work directory.

        Returns:
            The host path written.

        Raises:
            ApprovalError: when ``approved`` is not a valid approval of a file edit.
            SandboxError: when the edit carries no ``new_content``.
            PathOutsideWorkdir: when the path resolves outside the work directory.
        """
        approved = require_approved(approved, "file_edit")
        payload = approved.action.payload
        content = getattr(payload, "new_content", None)
        if content is None:
            raise SandboxError("file edits are applied from new_content; this edit has none")
        host = self.work.resolve(payload.path)  # type: ignore[union-attr]
        data = content.encode()
        if len(data) > self.settings.disk_quota_mb * 2**20:
            raise SandboxError("file is larger than the disk quota")

        def write() -> None:
            atomic_write(host, data)
            os.chmod(host, 0o644)
            self.work.chown(self.uid, self.gid)

        await asyncio.to_thread(write)
        return host

    async def copy_in(self, local_dir: Path) -> list[str]:
        """Harness only: copy a local directory (the experiment template) into the work directory.

        Returns:
            Entries that were skipped (symlinks, special files).
        """
        def copy() -> list[str]:
            skipped = copy_into(Path(local_dir), self.workdir)
            self.work.chown(self.uid, self.gid)
            return skipped

        return await asyncio.to_thread(copy)

    async def copy_out(self, dest: Path) -> list[str]:
        """Copy the work directory's results to ``dest`` (symlinks are skipped, never followed).

        Returns:
            Entries that were skipped.
        """
        return await asyncio.to_thread(self.work.copy_tree, Path(dest))


SANDBOXES: Registry[type[SandboxProvider]] = Registry("sandbox")
sandbox_provider = SANDBOXES.register
"""``@sandbox_provider("name")`` registers a :class:`SandboxProvider` subclass."""
