"""The ``bubblewrap`` provider: daemonless isolation with Linux namespaces.

Each exec is a fresh ``bwrap`` with every namespace unshared (so no network), a read-only root
(the built image's root filesystem, or read-only binds of the host's system directories), a
private ``/tmp``, ``/proc`` and ``/dev``, the live work directory as the only writable host path
(at ``/work``) and the harness directory read-only at ``/harness``. A seccomp filter
(:mod:`._seccomp`) refuses nested user namespaces, mounts, ptrace and the other kernel interfaces
experiments never need. Limits: a per-sandbox cgroup for memory, pids and CPU where
``/sys/fs/cgroup`` is writable (else rlimits, with a note on every result), the live tmpfs (or
``RLIMIT_FSIZE`` and an after-the-fact check) for the disk quota, and a wall timeout that kills the
process group, the cgroup and, through ``--die-with-parent``, the pid namespace (whose end kills
every process left in it, detached or not).

When Proctor runs as root it drops to ``sandbox.sandbox_uid`` before starting ``bwrap``, which maps
that uid to itself in its user namespace: the sandbox never runs as host root. bwrap's options
travel through a file descriptor (``--args``), so ``/proc/1/cmdline`` inside shows no host path, and
the live work directory's tmpfs is mounted under a neutral path (``/run/proctor/work/<id>``).
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import resource
import shutil
import subprocess
from pathlib import Path
from typing import Self

from proctor.sandboxes._cgroup import Cgroup, make_cgroup
from proctor.sandboxes._errors import SandboxUnavailable
from proctor.sandboxes._process import ProcessOutcome, kill_group, run_process
from proctor.sandboxes._provider import ExecRequest, SandboxProvider, sandbox_provider
from proctor.sandboxes._result import ExecResult
from proctor.sandboxes._rootfs import rootfs_dir
from proctor.sandboxes._seccomp import SeccompUnavailable, data_fd, filter_program, program_fd
from proctor.settings import SandboxSettings

_HOST_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32"]
_HOST_ETC = [
    "/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/ssl",
    "/etc/ca-certificates", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd", "/etc/group",
    "/etc/mime.types", "/etc/matplotlibrc", "/etc/python3", "/etc/python3.11",
]


@functools.cache
def _probe(bwrap: str) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603
            [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
            capture_output=True, timeout=10, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap does not run here ({exc})"
    if done.returncode != 0:
        return f"bwrap cannot create namespaces here: {done.stderr.decode(errors='replace').strip()}"
    return None


def world_traversable(path: Path) -> bool:
    """Whether every directory from ``/`` down to ``path`` has its ``o+x`` bit."""
    for part in [path, *path.parents]:
        try:
            if not part.stat().st_mode & 0o001:
                return False
        except OSError:
            return False
    return True


def root_args(rootfs: Path | None) -> list[str]:
    """bwrap arguments for the read-only root: the image rootfs, or the host's system dirs."""
    if rootfs is not None:
        return ["--ro-bind", str(rootfs), "/"]
    args: list[str] = []
    for path in _HOST_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in _HOST_ETC:
        args += ["--ro-bind-try", path, path]
    return args


@sandbox_provider("bubblewrap")
class BubblewrapSandbox(SandboxProvider):
    """Namespaces via bubblewrap; the default where no Docker engine is reachable."""

    name = "bubblewrap"

    def __init__(
        self, settings: SandboxSettings, workdir: Path | None, rootfs: Path | None, harness_dir: Path | None = None,
    ) -> None:
        super().__init__(settings, workdir, harness_dir)
        self.rootfs = rootfs
        self.bwrap = shutil.which("bwrap") or "bwrap"
        self.seccomp = settings.seccomp
        mem = settings.memory_mb * 2**20
        self.cgroup: Cgroup | None
        self.cgroup, note = make_cgroup(self.id, mem, settings.pids, settings.cpus)
        if note:
            self.notes.append(note)
        if rootfs is None:
            self.notes.append("bubblewrap root is the host's system directories (no built rootfs)")
        if not self.seccomp:
            self.notes.append("seccomp filter off (sandbox.seccomp=false)")

    @classmethod
    def available(cls, settings: SandboxSettings) -> str | None:
        """``None`` when bwrap is installed and can create namespaces here."""
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            return "bubblewrap is not installed; fix: apt-get install bubblewrap"
        return _probe(bwrap)

    @classmethod
    async def create(
        cls, settings: SandboxSettings, *, workdir: Path | None = None, harness_dir: Path | None = None
    ) -> Self:
        """Prepare a bubblewrap sandbox (nothing runs until the first exec).

        Raises:
            SandboxUnavailable: when bwrap is missing or unusable, ``bwrap_root="image"`` and the
                rootfs was not built, the seccomp filter cannot be compiled (``sandbox.seccomp``), or
                (no live mount) the work or harness directory is out of the sandbox uid's reach.
        """
        rootfs = await asyncio.to_thread(cls._prepare, settings, harness_dir is not None)
        sandbox = await asyncio.to_thread(cls, settings, workdir, rootfs, harness_dir)
        await sandbox._open()
        return sandbox

    @classmethod
    def _prepare(cls, settings: SandboxSettings, harness: bool) -> Path | None:
        """Check bwrap, the seccomp filter and the rootfs; return the rootfs (or ``None``: host dirs)."""
        reason = cls.available(settings)
        if reason:
            raise SandboxUnavailable(reason)
        if settings.seccomp:
            try:
                filter_program()
            except SeccompUnavailable as exc:
                raise SandboxUnavailable(f"seccomp filter unavailable: {exc} (or set sandbox.seccomp=false)") from exc
        rootfs = rootfs_dir(settings)
        has_rootfs = (rootfs / "usr" / "bin" / "python3").exists()
        if settings.bwrap_root == "image" and not has_rootfs:
            raise SandboxUnavailable(f"no rootfs at {rootfs}; fix: proctor sandbox build-image")
        use = rootfs if has_rootfs and settings.bwrap_root != "host" else None
        if use is not None and os.getuid() == 0 and not world_traversable(use):
            raise SandboxUnavailable(
                f"rootfs {use} is not readable by the sandbox user (uid {settings.sandbox_uid}); "
                "fix: point sandbox.state_dir at a world-readable place such as /var/lib/proctor/sandboxes"
            )
        if use is not None and harness and not (use / "harness").is_dir():
            try:
                (use / "harness").mkdir(mode=0o755)  # rootfs built before /harness was a mount point
            except OSError as exc:
                raise SandboxUnavailable(f"rootfs {use} has no /harness; fix: proctor sandbox build-image --force") from exc
        return use

    def _open_workdir(self) -> None:
        super()._open_workdir()
        if os.getuid() != 0:
            return
        for what, path in (("work", self.workdir), ("harness", self.harness_dir)):
            if path is not None and not world_traversable(path.parent):
                raise SandboxUnavailable(
                    f"the {what} directory {path} is not reachable by the sandbox uid {self.settings.sandbox_uid} "
                    "(a parent directory is private) and no live mount replaces it; "
                    "fix: run where Proctor can mount a tmpfs (sandbox.quota=auto, as root), or put the directory "
                    "under a world-traversable one (sandbox.work_root)"
                )

    def options(self, request: ExecRequest) -> list[str]:
        """bwrap's options for one request (passed through ``--args``; the command follows ``--``)."""
        harness = ["--ro-bind", str(self.harness_dir), self.inner_harness] if self.harness_dir is not None else []
        return [
            "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            *root_args(self.rootfs),
            # bwrap leaves /proc/sys writable where the sandbox uid owns the namespaces (ipc, pid
            # sysctls): cover it read-only (sysctl files act on the opener's namespaces either way)
            "--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run",
            "--bind", str(self.workdir), self.inner_workdir, *harness, "--chdir", request.cwd,
            "--hostname", "sandbox", "--remount-ro", "/",
        ]

    def command(self, request: ExecRequest) -> tuple[list[str], list[int]]:
        """The bwrap command line and the descriptors it reads (the caller closes them)."""
        fds: list[int] = []
        try:
            opts = self.options(request)
            if self.seccomp:
                fds.append(program_fd())
                opts += ["--seccomp", str(fds[-1])]
            fds.append(data_fd("proctor-bwrap-args", b"".join(o.encode() + b"\0" for o in opts)))
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        return [self.bwrap, "--args", str(fds[-1]), "--", *request.argv], fds

    def _preexec(self, timeout_s: float) -> None:
        if self.cgroup is not None:
            self.cgroup.join_self()
        quota = self.settings.disk_quota_mb * 2**20
        resource.setrlimit(resource.RLIMIT_FSIZE, (quota, quota))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        cpu = math.ceil(timeout_s * self.settings.cpus) + 5
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
        if self.cgroup is None:
            mem = self.settings.memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
            resource.setrlimit(resource.RLIMIT_NPROC, (self.settings.pids, self.settings.pids))
        if os.getuid() == 0:
            os.setgroups([])
            os.setgid(self.gid)
            os.setuid(self.uid)

    def _kill(self, pid: int) -> None:
        kill_group(pid)
        if self.cgroup is not None:
            self.cgroup.kill_all()

    def _spawn(self, request: ExecRequest) -> ProcessOutcome:
        argv, fds = self.command(request)
        try:
            return run_process(
                argv, env=request.env, cwd="/", stdin=request.stdin, timeout_s=request.timeout_s,
                output_limit=self.settings.output_limit_bytes, pass_fds=tuple(fds),
                preexec=functools.partial(self._preexec, request.timeout_s), kill=self._kill,
            )
        finally:
            for fd in fds:
                os.close(fd)

    async def _run(self, request: ExecRequest) -> ExecResult:
        cpu0 = None
        if self.cgroup is not None:
            self.cgroup.reset_peak()
            cpu0 = self.cgroup.cpu_ns()
        try:
            outcome = await asyncio.to_thread(self._spawn, request)
        finally:
            if self.cgroup is not None:
                await asyncio.to_thread(self.cgroup.kill_all)  # anything that outlived its parent
        peak = outcome.maxrss_bytes
        cpu: float | None = None  # bwrap does not reap its pid-1 child, so rusage misses the command
        oom = False
        if self.cgroup is not None:
            peak = self.cgroup.peak_bytes() or peak
            cpu1 = self.cgroup.cpu_ns()
            cpu = (cpu1 - cpu0) / 1e9 if cpu0 is not None and cpu1 is not None else None
            oom = self.cgroup.oom_since_reset()
        return ExecResult(
            exit_code=outcome.exit_code, stdout=outcome.stdout.text(), stderr=outcome.stderr.text(),
            stdout_bytes=outcome.stdout.total, stderr_bytes=outcome.stderr.total,
            truncated=outcome.stdout.truncated or outcome.stderr.truncated, wall_s=outcome.wall_s,
            cpu_s=cpu, peak_memory_mb=peak / 2**20, timed_out=outcome.timed_out,
            oom_killed=oom, killed=outcome.timed_out,
        )

    async def _teardown(self) -> None:
        if self.cgroup is not None:
            await asyncio.to_thread(self.cgroup.remove)
