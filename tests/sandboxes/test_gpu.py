"""GPU allocation (file locks, disjoint leases) and docker device requests, without a GPU."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from proctor.sandboxes import GpuAllocator, SandboxSettings, SandboxUnavailable, device_requests
from proctor.sandboxes._docker import container_config


def test_leases_are_disjoint_and_released(tmp_path: Path) -> None:
    alloc = GpuAllocator(tmp_path, [0, 1, 2, 3])
    a = alloc.acquire(2)
    b = alloc.acquire(2)
    assert set(a.ids).isdisjoint(b.ids) and len(a.ids + b.ids) == 4
    assert alloc.try_acquire(1) is None
    a.release()
    c = alloc.acquire(1)
    assert c.ids[0] in {0, 1, 2, 3} - set(b.ids)
    b.release()
    c.release()


def test_too_many_or_busy_gpus_raise(tmp_path: Path) -> None:
    alloc = GpuAllocator(tmp_path, [0])
    with pytest.raises(SandboxUnavailable, match="offers 1"):
        alloc.acquire(2)
    held = alloc.acquire(1)
    with pytest.raises(SandboxUnavailable, match="in use"):
        alloc.acquire(1, timeout_s=0.2, poll_s=0.05)
    held.release()


def test_locks_hold_across_processes(tmp_path: Path) -> None:
    held = GpuAllocator(tmp_path, [0, 1]).acquire(1)
    code = (
        "import sys; from pathlib import Path; from proctor.sandboxes import GpuAllocator\n"
        f"lease = GpuAllocator(Path({str(tmp_path)!r}), [0, 1]).acquire(1)\nprint(lease.ids[0])"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(other.stdout) != held.ids[0]
    held.release()


def test_device_requests_name_exact_gpus() -> None:
    assert device_requests([]) == []
    (req,) = device_requests([1, 3])
    assert req["Driver"] == "nvidia" and req["DeviceIDs"] == ["1", "3"] and req["Capabilities"] == [["gpu"]]


def test_container_config_is_locked_down(tmp_path: Path) -> None:
    s = SandboxSettings(memory_mb=1024, cpus=1.5, pids=64, disk_quota_mb=10)
    cfg = container_config(s, tmp_path, 61000, 61000, [2])
    assert cfg["network_mode"] == "none" and cfg["read_only"] is True
    assert cfg["cap_drop"] == ["ALL"] and "no-new-privileges:true" in cfg["security_opt"]
    assert cfg["user"] == "61000:61000" and cfg["pids_limit"] == 64
    assert cfg["mem_limit"] == "1024m" and cfg["nano_cpus"] == 1_500_000_000
    assert [m["Target"] for m in cfg["mounts"]] == ["/work"]
    assert cfg["device_requests"][0]["DeviceIDs"] == ["2"]
    fsize = next(u for u in cfg["ulimits"] if u["Name"] == "fsize")
    assert fsize["Hard"] == 10 * 2**20
