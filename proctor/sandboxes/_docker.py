"""The ``docker`` provider: one long-lived, locked-down container per sandbox.

The container has no network, a read-only root with tmpfs ``/tmp`` and ``/run``, a non-root
user, no capabilities, ``no-new-privileges``, the engine's default seccomp profile (never
``unconfined``), memory/CPU/pids limits and ``RLIMIT_FSIZE``; its only writable mount is the live
work directory (the quota tmpfs, see :mod:`._live`), and the harness directory is mounted
read-only at ``/harness``. Each exec is a docker exec streamed through a bounded buffer; after it,
every process it left behind is killed (all but the container's init and its ``sleep`` keepalive,
by pid through the container's cgroup, or by restarting the container where the engine is not
local). On timeout the whole container is killed (by id, never by name) and restarted fresh for the
next exec, so nothing of the timed-out command survives.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from pathlib import Path
from typing import Any, Self

from proctor.sandboxes._cgroup import Cgroup, cgroup_of_pid
from proctor.sandboxes._engine import FIX, docker_client, image_present
from proctor.sandboxes._env import BASE_ENV
from proctor.sandboxes._errors import SandboxError, SandboxUnavailable
from proctor.sandboxes._gpu import GpuAllocator, GpuLease, detect_gpus, device_requests
from proctor.sandboxes._provider import ExecRequest, SandboxProvider, sandbox_provider
from proctor.sandboxes._result import ExecResult, OutputBuffer
from proctor.settings import SandboxSettings


def container_config(settings: SandboxSettings, workdir: Path, uid: int, gid: int, gpu_ids: list[int],
                     harness_dir: Path | None = None) -> dict[str, Any]:
    """Keyword arguments for ``containers.create``: every isolation setting in one place."""
    from docker.types import Mount, Ulimit

    quota = settings.disk_quota_mb * 2**20
    mounts = [Mount(target="/work", source=str(workdir), type="bind", read_only=False)]
    env = dict(BASE_ENV, PROCTOR_WORKDIR="/work")
    if harness_dir is not None:
        mounts.append(Mount(target="/harness", source=str(harness_dir), type="bind", read_only=True))
        env["PROCTOR_HARNESS_DIR"] = "/harness"
    config: dict[str, Any] = {
        "image": settings.image,
        "command": ["sleep", "infinity"],
        "init": True,
        "detach": True,
        "network_mode": "none",
        "mem_limit": f"{settings.memory_mb}m",
        "memswap_limit": f"{settings.memory_mb}m",
        "nano_cpus": int(settings.cpus * 1e9),
        "pids_limit": settings.pids,
        "read_only": True,
        "tmpfs": {
            "/tmp": f"rw,nosuid,nodev,size={settings.tmpfs_mb}m,mode=1777",
            "/run": "rw,nosuid,nodev,size=16m,mode=755",
        },
        "user": f"{uid}:{gid}",
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "mounts": mounts,
        "working_dir": "/work",
        "environment": env,
        "labels": {"proctor.sandbox": "1"},
        "ulimits": [
            Ulimit(name="fsize", soft=quota, hard=quota),
            Ulimit(name="core", soft=0, hard=0),
            Ulimit(name="nofile", soft=4096, hard=4096),
        ],
        "hostname": "sandbox",
        "ipc_mode": "private",
        "device_requests": device_requests(gpu_ids),
    }
    if settings.docker_runtime:
        config["runtime"] = settings.docker_runtime
    return config


@sandbox_provider("docker")
class DockerSandbox(SandboxProvider):
    """Locked-down docker container; the preferred provider where an engine is reachable."""

    name = "docker"

    def __init__(self, settings: SandboxSettings, workdir: Path | None, client: Any,
                 harness_dir: Path | None = None) -> None:
        super().__init__(settings, workdir, harness_dir)
        self.client = client
        self.container: Any = None
        self.lease: GpuLease | None = None
        self.cgroup: Cgroup | None = None
        self.keep: set[int] = set()
        """Host pids of the container's init and keepalive: the only processes left after an exec."""
        self._stale = False

    @classmethod
    def available(cls, settings: SandboxSettings) -> str | None:
        """``None`` when the engine answers and holds ``sandbox.image``."""
        try:
            client = docker_client(settings, timeout=10)
        except SandboxUnavailable as exc:
            return str(exc)
        try:
            if not image_present(client, settings.image):
                return f"image {settings.image} is missing; fix: proctor sandbox build-image"
        finally:
            client.close()
        return None

    @classmethod
    async def create(
        cls, settings: SandboxSettings, *, workdir: Path | None = None, harness_dir: Path | None = None
    ) -> Self:
        """Start the sandbox's container (and lock its GPUs, if ``sandbox.gpus`` > 0).

        Raises:
            SandboxUnavailable: when the engine, the image or enough free GPUs are missing, or the
                engine does not see the live work directory's mount.
        """
        client = await asyncio.to_thread(docker_client, settings)
        if not await asyncio.to_thread(image_present, client, settings.image):
            client.close()
            raise SandboxUnavailable(f"image {settings.image} is missing; fix: proctor sandbox build-image")
        sandbox = await asyncio.to_thread(cls, settings, workdir, client, harness_dir)
        await sandbox._open()
        try:
            await asyncio.to_thread(sandbox._start)
        except BaseException:
            await sandbox.cleanup()
            raise
        return sandbox

    def _start(self) -> None:
        gpu_ids: list[int] = []
        if self.settings.gpus:
            ids = self.settings.gpu_ids if self.settings.gpu_ids is not None else detect_gpus()
            self.lease = GpuAllocator(self.settings.state_dir, ids).acquire(self.settings.gpus)
            gpu_ids = self.lease.ids
        config = container_config(self.settings, self.workdir, self.uid, self.gid, gpu_ids, self.harness_dir)
        config["name"] = f"proctor-sandbox-{self.id}"
        config["labels"] = {"proctor.sandbox": self.id}
        try:
            self.container = self.client.containers.create(**config)
            self.container.start()
        except Exception as exc:
            raise SandboxUnavailable(f"docker could not start the sandbox container: {exc}; {FIX}") from exc
        self._attach_cgroup()
        self._check_live_mount()

    def _attach_cgroup(self) -> None:
        """Find the container's cgroup (local engines) for peak memory, CPU time, OOM kills and the
        processes an exec leaves behind; remember its init and keepalive."""
        self.container.reload()
        pid = int(self.container.attrs["State"].get("Pid") or 0)
        self.cgroup = cgroup_of_pid(pid)
        note = "engine is not local: no CPU time or peak memory per exec"
        if self.cgroup is None and note not in self.notes:
            self.notes.append(note)
        self.keep = set()
        if self.cgroup is not None and pid:
            children = Path(f"/proc/{pid}/task/{pid}/children")
            for _ in range(250):  # the init starts its keepalive at once
                with contextlib.suppress(OSError, ValueError):
                    kids = [int(p) for p in children.read_text().split()]
                    if kids:
                        self.keep = {pid, *kids}
                        break
                time.sleep(0.02)

    def _check_live_mount(self) -> None:
        """Refuse an engine that bound the empty directory under the live tmpfs (another mount namespace)."""
        pid = int(self.container.attrs["State"].get("Pid") or 0)
        if self.live is None or not pid:
            return
        try:
            inside = os.stat(f"/proc/{pid}/root/work").st_dev
        except OSError:
            return  # not a local engine: nothing to compare
        if inside != os.stat(self.workdir).st_dev:
            raise SandboxUnavailable(
                "the Docker engine does not see the live work directory's tmpfs (it runs in another mount "
                "namespace); fix: sandbox.quota=off, or run dockerd in Proctor's mount namespace"
            )

    def _reap(self) -> None:
        """Kill every process an exec left in the container: all but its init and keepalive."""
        if self._stale or self.container is None:
            return
        cg = self.cgroup
        if cg is not None and self.keep:
            try:
                for _ in range(100):
                    extra = [p for p in cg.pids() if p not in self.keep]
                    if not extra:
                        return
                    for pid in extra:
                        with contextlib.suppress(ProcessLookupError):
                            os.kill(pid, signal.SIGKILL)
                    time.sleep(0.01)
            except PermissionError:
                pass
        try:
            top = self.container.top(ps_args="-o pid").get("Processes") or []
        except Exception:  # noqa: BLE001 - a stopped container: the next exec restarts it anyway
            top = [None] * 3
        if len(top) > 2:  # no pid access: restart the container, which ends everything in it
            with contextlib.suppress(Exception):
                self.container.kill()
            self._stale = True

    def _restart(self) -> None:
        self.container.reload()
        if self.container.status != "running":
            self.container.start()
        self._attach_cgroup()
        self._stale = False

    def _stream(self, exec_id: str, stdin: bytes | None, out: OutputBuffer, err: OutputBuffer) -> None:
        from docker.utils.socket import frames_iter

        sock = self.client.api.exec_start(exec_id, socket=True)
        raw = getattr(sock, "_sock", sock)
        try:
            if stdin is not None:
                with contextlib.suppress(OSError):
                    raw.sendall(stdin)
                    raw.shutdown(socket.SHUT_WR)
            for stream, data in frames_iter(sock, tty=False):
                (err if stream == 2 else out).feed(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    def _oom_since(self, since: float) -> bool:
        events = self.client.api.events(
            since=int(since) - 1, until=int(time.time()) + 1, decode=True,
            filters={"container": self.container.id, "event": "oom"},
        )
        return any(True for _ in events)

    async def _wait_exec(self, reader: asyncio.Future[None], exec_id: str, deadline: float) -> bool:
        """Wait for the exec's output to end (``False`` at the deadline). A process the command left
        running would hold its stdout open: once the command itself has exited, reap it."""
        step = 0.5
        while (left := deadline - time.monotonic()) > 0:
            done, _ = await asyncio.wait({reader}, timeout=min(step, left))
            if done:
                return True
            info = await asyncio.to_thread(self.client.api.exec_inspect, exec_id)
            if not info.get("Running", True):
                await asyncio.to_thread(self._reap)
                done, _ = await asyncio.wait({reader}, timeout=max(0.0, min(5.0, deadline - time.monotonic())))
                return bool(done)
            step = min(step * 2, 5.0)
        return False

    async def _run(self, request: ExecRequest) -> ExecResult:
        if self._stale:
            await asyncio.to_thread(self._restart)
        out = OutputBuffer(self.settings.output_limit_bytes)
        err = OutputBuffer(self.settings.output_limit_bytes)
        cg = self.cgroup
        cpu0 = None
        if cg is not None:
            cg.reset_peak()
            cpu0 = cg.cpu_ns()
        started_at, start = time.time(), time.monotonic()
        exec_id = (await asyncio.to_thread(
            self.client.api.exec_create, self.container.id, request.argv, stdout=True, stderr=True,
            stdin=request.stdin is not None, environment=request.env, workdir=request.cwd,
            user=f"{self.uid}:{self.gid}",
        ))["Id"]
        reader = asyncio.ensure_future(asyncio.to_thread(self._stream, exec_id, request.stdin, out, err))
        try:
            timed_out = not await self._wait_exec(reader, exec_id, start + request.timeout_s)
            if timed_out:
                await asyncio.to_thread(self.container.kill)
                self._stale = True
                await asyncio.wait({reader}, timeout=30)
        finally:
            await asyncio.to_thread(self._reap)
        wall = time.monotonic() - start
        info = await asyncio.to_thread(self.client.api.exec_inspect, exec_id)
        code = info.get("ExitCode")
        exit_code = 137 if timed_out else (code if isinstance(code, int) else -1)
        cpu = peak = None
        if cg is not None and not timed_out:
            cpu1 = cg.cpu_ns()
            cpu = (cpu1 - cpu0) / 1e9 if cpu0 is not None and cpu1 is not None else None
            peak_bytes = cg.peak_bytes()
            peak = peak_bytes / 2**20 if peak_bytes is not None else None
            oom = cg.oom_since_reset()
        else:
            oom = exit_code == 137 and not timed_out and await asyncio.to_thread(self._oom_since, started_at)
        return ExecResult(
            cpu_s=cpu, peak_memory_mb=peak,
            exit_code=exit_code, stdout=out.text(), stderr=err.text(), stdout_bytes=out.total,
            stderr_bytes=err.total, truncated=out.truncated or err.truncated, wall_s=wall,
            timed_out=timed_out, oom_killed=oom, killed=timed_out,
        )

    async def _teardown(self) -> None:
        def stop() -> None:
            try:
                if self.container is not None:
                    self.container.remove(force=True)
            except Exception as exc:  # noqa: BLE001 - report, then still release GPUs and client
                raise SandboxError(f"could not remove container {self.container.id}: {exc}") from exc
            finally:
                if self.lease is not None:
                    self.lease.release()
                self.client.close()

        await asyncio.to_thread(stop)
