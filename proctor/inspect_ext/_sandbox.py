"""Proctor's sandboxes as Inspect sandbox environments: ``proctor_bwrap`` and ``proctor_docker``.

Each Inspect sample gets one Proctor sandbox (:func:`proctor.sandboxes.provider_class` ``.create``)
with a fresh work directory at ``/work``, Inspect's working directory. Every ``exec``,
``read_file`` and ``write_file`` is one shell program (:mod:`._shell`) run by the provider's
``exec``, so all of Proctor's limits apply to it (no network, read-only root, seccomp, cgroup
limits, the disk quota, output caps, nothing left running afterwards). In this role Inspect's own
approval policy decides what the agent may run, not Proctor's gate: the adapter approves each call
through the harness path (:func:`proctor.control.approve_harness`, one call site, pinned by
``tests/control/test_gate_enforcement.py``). Calls on one sandbox run one at a time (a docker exec
kills what another left running; the live work directory is mirrored after each).
"""

from __future__ import annotations

import base64
import errno
import posixpath
import shlex
from typing import Any, ClassVar, Literal, overload

import anyio
from inspect_ai.util import (
    ExecResult,
    OutputLimitExceededError,
    SandboxConnection,
    SandboxEnvironment,
    SandboxEnvironmentConfigType,
    SandboxEnvironmentLimits,
    SandboxUnavailableError,
    SandboxUserUnsupportedError,
    sandboxenv,
)
from pydantic import BaseModel, ConfigDict, Field

from proctor.control import Action, ShellCommand, approve_harness
from proctor.inspect_ext import _shell
from proctor.sandboxes import ExecResult as ProctorResult
from proctor.sandboxes import SandboxProvider, SandboxUnavailable, provider_class, reap_stale_resources
from proctor.settings import SandboxSettings, load_settings

WORKDIR = "/work"
CHUNK = 8 * 2**20
"""Bytes of a file one read brings back (its base64 must fit one exec's output)."""
WRITE_TIMEOUT = 600


class ProctorSandboxConfig(BaseModel):
    """The ``config`` of a ``proctor_bwrap`` or ``proctor_docker`` sandbox (all optional).

    ``sandbox=("proctor_bwrap", "proctor.toml")`` names a settings file; a dict (or this model)
    also takes ``--set``-style ``overrides`` and direct ``sandbox`` settings, e.g.
    ``{"sandbox": {"memory_mb": 2048, "timeout_s": 1800}}``.
    """

    model_config = ConfigDict(extra="forbid")

    config: str | None = Field(default=None, description="Proctor settings file (default: $PROCTOR_CONFIG "
                               "or ./proctor.toml).")
    overrides: list[str] = Field(default_factory=list, description="KEY=VALUE pairs like --set, e.g. "
                                 "sandbox.memory_mb=2048.")
    sandbox: dict[str, Any] = Field(default_factory=dict, description="SandboxSettings fields, applied last.")


def sandbox_settings(config: SandboxEnvironmentConfigType | None, provider: str) -> SandboxSettings:
    """The ``sandbox`` settings for an Inspect sandbox ``config`` with ``provider`` forced.

    Raises:
        SettingsError: for an invalid settings file or value.
    """
    if isinstance(config, str):
        cfg = ProctorSandboxConfig(config=config)
    elif isinstance(config, ProctorSandboxConfig):
        cfg = config
    elif isinstance(config, BaseModel):
        cfg = ProctorSandboxConfig.model_validate(config.model_dump())
    else:
        cfg = ProctorSandboxConfig()
    base = load_settings(cfg.config, cfg.overrides).sandbox
    return SandboxSettings.model_validate({**base.model_dump(), **cfg.sandbox, "provider": provider})


def _error(cls: type[OSError], code: int, message: str, file: str) -> OSError:
    return cls(code, message, file)


class ProctorSandboxEnvironment(SandboxEnvironment):
    """One Proctor sandbox behind Inspect's interface (subclassed once per provider)."""

    provider: ClassVar[str]
    work_only: ClassVar[bool] = False
    """Writes outside ``/work`` are refused (bubblewrap: nothing else outlives a command)."""

    def __init__(self, sandbox: SandboxProvider, task_name: str = "") -> None:
        super().__init__()
        self.sandbox = sandbox
        self.task_name = task_name
        self._lock = anyio.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def config_deserialize(cls, config: dict[str, Any]) -> BaseModel:
        return ProctorSandboxConfig.model_validate(config)

    @classmethod
    async def task_init(cls, task_name: str, config: SandboxEnvironmentConfigType | None) -> None:
        """Check the provider can run here (with its fix, before any sample starts); reap stale mounts."""
        settings = sandbox_settings(config, cls.provider)
        reason = await anyio.to_thread.run_sync(provider_class(cls.provider).available, settings)
        if reason is not None:
            raise SandboxUnavailable(f"Proctor's {cls.provider} sandbox cannot run here: {reason}")
        await anyio.to_thread.run_sync(reap_stale_resources, settings)

    @classmethod
    async def sample_init(cls, task_name: str, config: SandboxEnvironmentConfigType | None,
                          metadata: dict[str, str]) -> dict[str, SandboxEnvironment]:
        """One fresh sandbox (and work directory) per sample."""
        sandbox = await provider_class(cls.provider).create(sandbox_settings(config, cls.provider))
        return {"default": cls(sandbox, task_name)}

    @classmethod
    async def sample_cleanup(cls, task_name: str, config: SandboxEnvironmentConfigType | None,
                             environments: dict[str, SandboxEnvironment], interrupted: bool) -> None:
        """Kill what runs, release cgroups and GPUs, unmount and delete the work directory."""
        for env in environments.values():
            if isinstance(env, ProctorSandboxEnvironment):
                with anyio.CancelScope(shield=True):
                    await env.sandbox.cleanup()

    @classmethod
    async def task_cleanup(cls, task_name: str, config: SandboxEnvironmentConfigType | None,
                           cleanup: bool) -> None:
        """Reap what killed processes left (mounts and cgroups of dead owners only)."""
        if cleanup:
            await anyio.to_thread.run_sync(reap_stale_resources, sandbox_settings(config, cls.provider))

    @classmethod
    async def cli_cleanup(cls, id: str | None) -> None:
        """``inspect sandbox cleanup proctor_...``: mounts and cgroups whose owners are dead."""
        await anyio.to_thread.run_sync(reap_stale_resources, sandbox_settings(None, cls.provider))

    # -- the one way in ----------------------------------------------------------------------
    async def _run(self, argv: list[str], *, stdin: str | None = None, env: dict[str, str] | None = None,
                   timeout_s: float | None = None, limit: int) -> ProctorResult:
        async with self._lock:
            sandbox = self.sandbox
            if sandbox.settings.output_limit_bytes != limit:
                sandbox.settings = sandbox.settings.model_copy(update={"output_limit_bytes": limit})
            action = Action(node="inspect_sandbox", task=self.task_name, origin="harness",
                            payload=ShellCommand(argv=argv, env=env or {}, stdin=stdin, timeout_s=timeout_s))
            approved = approve_harness(action, "an Inspect sandbox call (Inspect's approval policy decides)")
            try:
                return await sandbox.exec(approved)
            except Exception as exc:  # the provider failed, not the command (that is an exit code)
                raise SandboxUnavailableError(
                    f"the Proctor {self.provider} sandbox could not run the command: {type(exc).__name__}: {exc}"
                ) from exc

    @staticmethod
    def _inner(path: str) -> str:
        return posixpath.normpath(posixpath.join(WORKDIR, path))

    def _check_user(self, user: str | None) -> None:
        if user is None or user == str(self.sandbox.uid):
            return
        raise SandboxUserUnsupportedError(
            f"a Proctor sandbox runs every command as its own unprivileged user (uid {self.sandbox.uid}), "
            f"never as {user!r}")

    # -- Inspect's interface -----------------------------------------------------------------
    async def exec(self, cmd: list[str], input: str | bytes | None = None, cwd: str | None = None,
                   env: dict[str, str] | None = None, user: str | None = None,
                   timeout: int | None = None,  # noqa: ASYNC109 - Inspect's interface
                   timeout_retry: bool = True, concurrency: bool = True) -> ExecResult[str]:
        """Run ``cmd`` in ``cwd`` (default ``/work``) as the sandbox user.

        Raises:
            SandboxUserUnsupportedError: for any ``user`` but the sandbox's own uid.
            SandboxUnavailableError: the provider could not run it (the sandbox is closed, its
                container gone).
            TimeoutError: past ``timeout`` (or ``sandbox.timeout_s``, which also caps it).
            OutputLimitExceededError: when stdout or stderr exceeds Inspect's exec output limit.
            PermissionError: when ``cmd[0]`` is not executable.
        """
        if not cmd:
            raise ValueError("exec needs a command")
        self._check_user(user)
        script, stdin = _shell.EXEC, None
        if isinstance(input, bytes):
            try:
                stdin = input.decode("utf-8")
            except UnicodeDecodeError:
                script, stdin = _shell.EXEC_B64, base64.b64encode(input).decode("ascii")
        elif input is not None:
            stdin = input
        limit = SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE
        where = self._inner(cwd) if cwd else WORKDIR
        r = await self._run(_shell.program(script, where, *cmd), stdin=stdin, env=env,
                            timeout_s=float(timeout) if timeout else None, limit=limit)
        if r.timed_out:
            cap = self.sandbox.settings.timeout_s
            error = TimeoutError(f"Command timed out after {min(timeout, cap) if timeout else cap:g} seconds")
            if r.stdout or r.stderr:
                setattr(error, "truncated_output", r.stdout + r.stderr)  # noqa: B010 - as Inspect's docker provider does
            raise error
        if r.stdout_bytes > limit or r.stderr_bytes > limit:
            raise OutputLimitExceededError(SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE_STR, r.stdout)
        if _shell.cannot_execute(r.exit_code, r.stderr):
            raise PermissionError(errno.EACCES, f"Permission denied: {r.stderr.strip()}", cmd[0])
        return ExecResult(success=r.exit_code == 0, returncode=r.exit_code, stdout=r.stdout, stderr=r.stderr)

    async def write_file(self, file: str, contents: str | bytes) -> None:
        """Write ``file`` (relative to ``/work``) as the sandbox user, creating its parents.

        Raises:
            PermissionError: the sandbox user may not write there (or, for ``proctor_bwrap``, the
                path is outside ``/work``, which is the only place that outlives a command).
            IsADirectoryError: ``file`` is a directory.
            TimeoutError: the write took longer than 10 minutes.
        """
        path = self._inner(file)
        if self.work_only and path != WORKDIR and not path.startswith(WORKDIR + "/"):
            raise PermissionError(errno.EACCES, f"only {WORKDIR} outlives a command in a {self.provider} sandbox "
                                  "(each command gets a fresh /tmp and a read-only root)", file)
        data = contents.encode("utf-8") if isinstance(contents, str) else bytes(contents)
        try:
            stdin, mode = data.decode("utf-8"), "raw"
        except UnicodeDecodeError:
            stdin, mode = base64.b64encode(data).decode("ascii"), "b64"
        r = await self._run(_shell.program(_shell.WRITE, path, mode), stdin=stdin, timeout_s=WRITE_TIMEOUT,
                            limit=64_000)
        if r.timed_out:
            raise TimeoutError(f"writing {file} timed out")
        if r.exit_code in _shell.WRITE_ERRORS:
            raise _error(*_shell.WRITE_ERRORS[r.exit_code], file)
        if r.exit_code != 0:
            if r.disk_quota_exceeded or "no space left" in r.stderr.casefold():
                raise OSError(errno.ENOSPC, "No space left on device (the sandbox's disk quota)", file)
            raise OSError(errno.EIO, f"could not write the file: {r.stderr.strip()[:500]}", file)

    @overload
    async def read_file(self, file: str, text: Literal[True] = True) -> str: ...

    @overload
    async def read_file(self, file: str, text: Literal[False]) -> bytes: ...

    async def read_file(self, file: str, text: bool = True) -> str | bytes:
        """Read ``file`` (relative to ``/work``) as the sandbox user.

        Raises:
            FileNotFoundError, IsADirectoryError, PermissionError: as the sandbox user sees the path.
            OutputLimitExceededError: the file is larger than Inspect's read limit.
            UnicodeDecodeError: ``text`` and the file is not UTF-8.
        """
        path = self._inner(file)
        limit = SandboxEnvironmentLimits.MAX_READ_FILE_SIZE
        data = bytearray()
        size = 0
        block = 0
        while True:
            r = await self._run(_shell.program(_shell.READ, path, str(limit), str(CHUNK), str(block)),
                                timeout_s=WRITE_TIMEOUT, limit=_shell.b64_len(CHUNK) + 64)
            if r.timed_out:
                raise TimeoutError(f"reading {file} timed out")
            head, _, body = r.stdout.partition("\n")
            kind, _, rest = head.partition(" ")
            if r.exit_code != 0 or kind not in ("F", "L", *_shell.READ_ERRORS):
                raise OSError(errno.EIO, f"could not read the file: {r.stderr.strip()[:500]}", file)
            if kind in _shell.READ_ERRORS:
                raise _error(*_shell.READ_ERRORS[kind], file)
            if kind == "L":
                raise OutputLimitExceededError(SandboxEnvironmentLimits.MAX_READ_FILE_SIZE_STR, None)
            size = int(rest)
            chunk = base64.b64decode(body.strip())
            data += chunk
            block += 1
            if len(chunk) < CHUNK or len(data) >= size:
                break
        out = bytes(data)
        return out.decode("utf-8") if text else out


@sandboxenv(name="proctor_bwrap")
class ProctorBwrapSandbox(ProctorSandboxEnvironment):
    """Proctor's bubblewrap sandbox: a fresh ``bwrap`` per command; only ``/work`` persists."""

    provider = "bubblewrap"
    work_only = True


@sandboxenv(name="proctor_docker")
class ProctorDockerSandbox(ProctorSandboxEnvironment):
    """Proctor's docker sandbox: one locked-down container per sample."""

    provider = "docker"

    async def connection(self, *, user: str | None = None) -> SandboxConnection:
        """``docker exec`` into the sample's container, as the sandbox user.

        Raises:
            ConnectionError: when the container is gone.
        """
        self._check_user(user)
        container = getattr(self.sandbox, "container", None)
        if container is None or self.sandbox.closed:
            raise ConnectionError("the sandbox's container is not running")
        user_spec = f"{self.sandbox.uid}:{self.sandbox.gid}"
        return SandboxConnection(type="proctor_docker", container=container.name,
                                 command=shlex.join(["docker", "exec", "-it", "--user", user_spec,
                                                     container.name, "bash", "-l"]))
