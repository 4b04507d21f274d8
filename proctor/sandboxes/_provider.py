"""The sandbox interface every provider implements.

A sandbox owns one work directory on the host, mounted read-write (at ``/work`` for isolated
providers); everything else it sees is read-only or private. Agent actions reach it only as
:class:`~proctor.control.ApprovedAction` objects; harness code uses :meth:`SandboxProvider.copy_in`.

Two directories: ``persistent`` is the one the caller passed (or a fresh one); ``workdir`` (and
``work``, its :class:`WorkDir`) is the *live* one the sandbox writes to. Where Proctor can mount, the
live one is a size-limited tmpfs (:mod:`._live`) mirrored to ``persistent`` after every exec, file
write and at cleanup; elsewhere both are the same directory. After :meth:`SandboxProvider.cleanup`,
``workdir`` and ``work`` point at ``persistent`` again, which holds the result. An optional harness
directory is visible read-only at ``/harness`` (``PROCTOR_HARNESS_DIR``).
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
from proctor.sandboxes._errors import SandboxError, SandboxUnavailable
from proctor.sandboxes._events import SandboxExecEvent
from proctor.sandboxes._live import LiveDir
from proctor.sandboxes._mounts import mount_unavailable, reap_stale
from proctor.sandboxes._result import ExecResult
from proctor.sandboxes._workdir import WorkDir, copy_into, make_workdir, safe_name, sandbox_ids
from proctor.settings import SandboxSettings

QUOTA_NOTE = "quota not enforced during the run"


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
    inner_harness: str = "/harness"

    def __init__(self, settings: SandboxSettings, workdir: Path | None = None, harness_dir: Path | None = None) -> None:
        self.settings = settings
        self.id = secrets.token_hex(5)
        self.owns_workdir = workdir is None
        self.persistent = (workdir or make_workdir(settings)).resolve()
        """The caller's work directory: after every exec and after cleanup it holds the mirrored result."""
        self.workdir = self.persistent
        """The live work directory (bound at ``/work``): the quota tmpfs once open, else ``persistent``."""
        self.harness_source = Path(harness_dir).resolve() if harness_dir is not None else None
        self.harness_dir = self.harness_source
        """The host directory bound read-only at ``/harness`` (a staged read-only copy when mounted)."""
        self.uid, self.gid = sandbox_ids(settings)
        self.live: LiveDir | None = None
        self.notes: list[str] = []
        self.closed = False
        self.work = WorkDir(self.workdir, self.inner_workdir)
        """The live work directory as host code may touch it (the trust boundary)."""

    def _open_workdir(self) -> None:
        """Mount and fill the live work directory, or fall back with a note (blocking; create calls it).

        Raises:
            SandboxUnavailable: with ``sandbox.quota=required`` where no tmpfs can be mounted, or a
                harness directory that does not exist.
        """
        s = self.settings
        if self.harness_source is not None and not self.harness_source.is_dir():
            raise SandboxUnavailable(f"harness directory {self.harness_source} does not exist")
        reason = "sandbox.quota=off" if s.quota == "off" else mount_unavailable(s.live_root)
        if reason is None:
            reap_stale(s.state_dir)
            self.live = LiveDir.open(s, self.id, self.persistent, uid=self.uid, gid=self.gid,
                                     harness_src=self.harness_source)
            self.workdir = self.live.path
            self.harness_dir = self.live.harness or self.harness_source
        elif s.quota == "required":
            raise SandboxUnavailable(
                f"sandbox.quota=required, but the disk quota cannot be enforced during the run: {reason}; "
                "fix: run Proctor as root (it mounts a size-limited tmpfs), or set sandbox.quota=auto"
            )
        else:
            self.notes.append(f"{QUOTA_NOTE}: {reason}; the work directory's size is checked after each exec")
        self._bind_work()
        self.work.chown(self.uid, self.gid)

    def _bind_work(self) -> None:
        """Point :attr:`work` at :attr:`workdir` (the host provider also moves ``inner_workdir``)."""
        self.work = WorkDir(self.workdir, self.inner_workdir)

    @property
    def harness_inner(self) -> str | None:
        """The harness directory's path as the sandboxed code sees it, if there is one."""
        return self.inner_harness if self.harness_dir is not None else None

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    @abc.abstractmethod
    def available(cls, settings: SandboxSettings) -> str | None:
        """Return ``None`` when this provider can run here, else why not and the fix."""

    @classmethod
    @abc.abstractmethod
    async def create(
        cls, settings: SandboxSettings, *, workdir: Path | None = None, harness_dir: Path | None = None
    ) -> Self:
        """Start a sandbox with a work directory (a fresh one unless ``workdir`` is given).

        ``harness_dir`` (trusted harness files, e.g. a pristine template) is visible read-only at
        ``/harness`` in every exec (the host provider: at its own path); ``PROCTOR_HARNESS_DIR`` names it.

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
        """Kill what still runs, release resources, mirror the live work directory a last time and
        unmount it (also when teardown fails), and delete a work directory it created.

        Afterwards ``workdir`` and ``work`` point at ``persistent``.
        """
        if self.closed:
            return
        self.closed = True
        try:
            await self._teardown()
        finally:
            try:
                if self.live is not None:
                    await asyncio.to_thread(self.live.close, sync=not self.owns_workdir)
            finally:
                self.workdir = self.persistent
                self._bind_work()
                if self.owns_workdir:
                    await asyncio.to_thread(shutil.rmtree, self.persistent, True)

    async def _open(self) -> None:
        """Open the live work directory; on failure release everything (create calls it)."""
        try:
            await asyncio.to_thread(self._open_workdir)
        except BaseException:
            await self.cleanup()
            raise

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
        payload = approved.action.payload
        argv = list(getattr(payload, "argv", None) or getattr(payload, "command", None) or [])
        result: ExecResult | None = None
        error: str | None = None
        try:
            request = self._request(approved)
            argv = request.argv
            result = await self._run(request)
            result.notes = request.notes + self.notes + result.notes
            await asyncio.to_thread(self._after_exec, result)
            return result
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
            raise
        finally:
            r = result or ExecResult(exit_code=-1)
            emit(SandboxExecEvent(
                provider=self.name, sandbox_id=self.id, action_id=approved.action.id,
                approver=approved.approver, argv=argv, exit_code=r.exit_code if result else None,
                wall_s=r.wall_s, cpu_s=r.cpu_s, peak_memory_mb=r.peak_memory_mb,
                timed_out=r.timed_out, oom_killed=r.oom_killed, killed=r.killed,
                truncated=r.truncated, disk_quota_exceeded=r.disk_quota_exceeded,
                notes=r.notes if result else list(self.notes), error=error,
            ))

    def _after_exec(self, result: ExecResult) -> None:
        """Flag a full work directory and mirror it (live), or measure it after the fact (fallback)."""
        if self.live is None:
            self._check_quota(result)
            return
        full = self.live.full()
        if full:
            result.disk_quota_exceeded = True
            result.notes.append(full)
        skipped = self._sync()
        if skipped:
            shown = ", ".join(safe_name(p, 40) for p in skipped[:5])
            result.notes.append(f"{len(skipped)} entries not mirrored (links, special files, over-long names): {shown}")

    def _sync(self) -> list[str]:
        if self.live is None:
            return []
        try:
            return self.live.sync()
        except OSError as exc:
            raise SandboxError(f"could not mirror the work directory to {self.persistent}: {exc}") from exc

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
        full_env, env_notes = sandbox_env(env, self.settings.env, workdir=self.inner_workdir, harness=self.harness_inner)
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
            try:
                atomic_write(host, data)
            except OSError as exc:
                raise SandboxError(f"could not write {safe_name(str(payload.path))}: {exc}") from exc  # type: ignore[union-attr]
            os.chmod(host, 0o644)
            self.work.chown(self.uid, self.gid)
            self._sync()

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
            self._sync()
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
