"""The ``bubblewrap`` provider: daemonless isolation with Linux namespaces.

Each exec is a fresh ``bwrap`` with every namespace unshared (so no network), a read-only root
(the built image's root filesystem, or read-only binds of the host's system directories), a
private ``/tmp``, ``/proc`` and ``/dev``, and the work directory as the only writable host path.
Limits: a per-sandbox cgroup for memory, pids and CPU where ``/sys/fs/cgroup`` is writable (else
rlimits, with a note on every result), ``RLIMIT_FSIZE`` for the disk quota, and a wall timeout
that kills the process group, the cgroup and, through ``--die-with-parent``, the pid namespace.
When Proctor runs as root it drops to ``sandbox.sandbox_uid`` before starting ``bwrap``; if that
uid cannot reach the work directory (a parent is private, like pytest's tmp dirs), bwrap instead
starts as root and maps the sandbox uid to root in a new user namespace (no capabilities), which
needs the pids cgroup because RLIMIT_NPROC does not bind root.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import resource
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Self

from proctor.sandboxes._cgroup import Cgroup, make_cgroup
from proctor.sandboxes._errors import SandboxUnavailable
from proctor.sandboxes._process import kill_group, run_process
from proctor.sandboxes._provider import ExecRequest, SandboxProvider, sandbox_provider
from proctor.sandboxes._result import ExecResult
from proctor.sandboxes._rootfs import rootfs_dir
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


def _world_traversable(path: Path) -> bool:
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
        self, settings: SandboxSettings, workdir: Path | None, rootfs: Path | None, userns_root: bool = False
    ) -> None:
        super().__init__(settings, workdir)
        self.rootfs = rootfs
        self.userns_root = userns_root
        self.bwrap = shutil.which("bwrap") or "bwrap"
        mem = settings.memory_mb * 2**20
        self.cgroup: Cgroup | None
        self.cgroup, note = make_cgroup(self.id, mem, settings.pids, settings.cpus)
        if note:
            self.notes.append(note)
        if userns_root:
            if self.cgroup is None:
                raise SandboxUnavailable(
                    f"work directory {self.workdir} is not reachable by uid {settings.sandbox_uid} and no "
                    "pids cgroup is available to contain a root-mapped sandbox; fix: put the work "
                    "directory under a world-traversable directory (sandbox.work_root)"
                )
            self.uid = self.gid = 0
            self.work.chown(0, 0)
            self.notes.append("work directory not reachable by the sandbox uid: bwrap maps it to root in a user namespace")
        if rootfs is None:
            self.notes.append("bubblewrap root is the host's system directories (no built rootfs)")

    @classmethod
    def available(cls, settings: SandboxSettings) -> str | None:
        """``None`` when bwrap is installed and can create namespaces here."""
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            return "bubblewrap is not installed; fix: apt-get install bubblewrap"
        return _probe(bwrap)

    @classmethod
    async def create(cls, settings: SandboxSettings, *, workdir: Path | None = None) -> Self:
        """Prepare a bubblewrap sandbox (nothing runs until the first exec).

        Raises:
            SandboxUnavailable: when bwrap is missing or unusable, or ``bwrap_root="image"`` and the
                rootfs was not built.
        """
        rootfs, userns_root = await asyncio.to_thread(cls._prepare, settings, workdir)
        return await asyncio.to_thread(cls, settings, workdir, rootfs, userns_root)

    @classmethod
    def _prepare(cls, settings: SandboxSettings, workdir: Path | None) -> tuple[Path | None, bool]:
        """Check bwrap and the rootfs; return the rootfs and whether to map the sandbox uid to root."""
        reason = cls.available(settings)
        if reason:
            raise SandboxUnavailable(reason)
        rootfs = rootfs_dir(settings)
        has_rootfs = (rootfs / "usr" / "bin" / "python3").exists()
        if settings.bwrap_root == "image" and not has_rootfs:
            raise SandboxUnavailable(f"no rootfs at {rootfs}; fix: proctor sandbox build-image")
        use = rootfs if has_rootfs and settings.bwrap_root != "host" else None
        if use is not None and os.getuid() == 0 and not _world_traversable(use):
            raise SandboxUnavailable(
                f"rootfs {use} is not readable by the sandbox user (uid {settings.sandbox_uid}); "
                "fix: point sandbox.state_dir at a world-readable place such as /var/lib/proctor/sandboxes"
            )
        parent = Path(workdir).resolve().parent if workdir else Path(settings.work_root or tempfile.gettempdir())
        return use, os.getuid() == 0 and not _world_traversable(parent.resolve())

    def argv(self, request: ExecRequest) -> list[str]:
        """The full bwrap command line for one request."""
        userns = ["--unshare-user", "--uid", str(self.settings.sandbox_uid),
                  "--gid", str(self.settings.sandbox_uid)] if self.userns_root else []
        return [
            self.bwrap, "--unshare-all", *userns, "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            *root_args(self.rootfs),
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/run",
            "--bind", str(self.workdir), self.inner_workdir, "--chdir", request.cwd,
            "--hostname", "sandbox", "--remount-ro", "/", "--", *request.argv,
        ]

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
        if os.getuid() == 0 and not self.userns_root:
            os.setgroups([])
            os.setgid(self.gid)
            os.setuid(self.uid)

    def _kill(self, pid: int) -> None:
        kill_group(pid)
        if self.cgroup is not None:
            self.cgroup.kill_all()

    async def _run(self, request: ExecRequest) -> ExecResult:
        cpu0 = None
        if self.cgroup is not None:
            self.cgroup.reset_peak()
            cpu0 = self.cgroup.cpu_ns()
        outcome = await asyncio.to_thread(
            run_process, self.argv(request), env=request.env, cwd=str(self.workdir), stdin=request.stdin,
            timeout_s=request.timeout_s, output_limit=self.settings.output_limit_bytes,
            preexec=functools.partial(self._preexec, request.timeout_s), kill=self._kill,
        )
        peak = outcome.maxrss_bytes
        cpu: float | None = None  # bwrap does not reap its pid-1 child, so rusage misses the command
        oom = False
        if self.cgroup is not None:
            await asyncio.to_thread(self.cgroup.kill_all)  # anything that outlived its parent
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
