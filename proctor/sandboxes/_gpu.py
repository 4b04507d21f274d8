"""GPUs for docker sandboxes: a machine-wide allocator and the engine's device requests.

Each GPU index has a lock file under ``<state_dir>/gpus``; a lease holds the locks
(:class:`proctor.locks.Lock`) on the files of the GPUs it was given, so concurrent runs (in any
process on the machine) get disjoint GPUs and a crashed run releases its GPUs when its process exits.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from proctor.locks import Lock, LockHeld
from proctor.sandboxes._errors import SandboxUnavailable


def detect_gpus() -> list[int]:
    """Indices of the NVIDIA GPUs ``nvidia-smi`` lists (empty without a driver)."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return []
    try:
        out = subprocess.run(  # noqa: S603
            [smi, "--query-gpu=index", "--format=csv,noheader"], capture_output=True, text=True,
            timeout=20, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return [int(line) for line in out.split() if line.strip().isdigit()]


class GpuLease:
    """GPUs held by one sandbox until :meth:`release`."""

    def __init__(self, ids: list[int], locks: list[Lock]) -> None:
        self.ids = ids
        self._locks = locks

    def release(self) -> None:
        """Give the GPUs back."""
        for lock in self._locks:
            with contextlib.suppress(OSError):
                lock.release()
        self._locks = []


class GpuAllocator:
    """Hands out disjoint sets of GPUs across every process on this machine."""

    def __init__(self, state_dir: Path, gpu_ids: list[int]) -> None:
        self.dir = Path(state_dir) / "gpus"
        self.gpu_ids = list(gpu_ids)

    def try_acquire(self, count: int) -> GpuLease | None:
        """Lock ``count`` free GPUs now, or return ``None`` when fewer are free."""
        held: list[tuple[int, Lock]] = []
        for gpu in self.gpu_ids:
            if len(held) == count:
                break
            lock = Lock(self.dir / f"gpu-{gpu}.lock", timeout=0)
            try:
                lock.acquire()
            except LockHeld:
                continue
            held.append((gpu, lock))
        if len(held) < count:
            GpuLease([], [lock for _, lock in held]).release()
            return None
        return GpuLease([g for g, _ in held], [lock for _, lock in held])

    def acquire(self, count: int, timeout_s: float = 0.0, poll_s: float = 0.5) -> GpuLease:
        """Lock ``count`` GPUs, waiting up to ``timeout_s`` for others to release theirs.

        Raises:
            SandboxUnavailable: when the machine has fewer GPUs, or none freed up in time.
        """
        if count > len(self.gpu_ids):
            raise SandboxUnavailable(
                f"{count} GPU(s) requested but this machine offers {len(self.gpu_ids)}; "
                "fix: lower sandbox.gpus or set sandbox.gpu_ids"
            )
        deadline = time.monotonic() + timeout_s
        while True:
            lease = self.try_acquire(count)
            if lease is not None:
                return lease
            if time.monotonic() >= deadline:
                raise SandboxUnavailable(f"all GPUs are in use by other runs (wanted {count})")
            time.sleep(poll_s)


def device_requests(gpu_ids: list[int]) -> list[Any]:
    """docker-py ``DeviceRequest`` objects exposing exactly ``gpu_ids`` (none for an empty list)."""
    if not gpu_ids:
        return []
    from docker.types import DeviceRequest

    return [DeviceRequest(driver="nvidia", device_ids=[str(i) for i in gpu_ids], capabilities=[["gpu"]])]
