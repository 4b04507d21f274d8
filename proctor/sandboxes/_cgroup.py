"""A per-sandbox cgroup for memory and process limits, where the machine lets us make one.

Supports cgroup v1 (``memory`` and ``pids`` hierarchies) and v2 (a delegated subtree). When
neither is writable, :func:`make_cgroup` returns ``None`` and a note: callers fall back to rlimits
and record the degradation in every result.

Sandbox cgroups sit under the harness's own cgroup (``/proc/self/cgroup``), so the limits of the job
that runs Proctor bind its sandboxes too: in v1 as a child in each hierarchy; in v2 as a sibling
(a child would break the "no internal processes" rule, since the harness itself lives there). Each is
named ``proctor-<owner pid>-<owner start>-<id>``: before making one, :func:`make_cgroup` kills and
removes every ``proctor-*`` cgroup there whose owner died (a harness killed with SIGKILL never ran
its cleanup).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from proctor.sandboxes._owners import alive, owner_tag

ROOT = Path("/sys/fs/cgroup")


class Cgroup:
    """Memory and pids limits on the processes that join it."""

    def __init__(self, dirs: dict[str, Path], version: int) -> None:
        self.dirs = dirs
        self.version = version
        self._oom_base = self.oom_kills()

    @property
    def procs_files(self) -> list[str]:
        """``cgroup.procs`` files a new process writes its pid to (before exec)."""
        return sorted({str(d / "cgroup.procs") for d in self.dirs.values()})

    def join_self(self) -> None:
        """Move the calling process into the cgroup (run in the child, before exec)."""
        pid = str(os.getpid()).encode()
        for path in self.procs_files:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)

    def _read(self, ctrl: str, name: str) -> str:
        try:
            return (self.dirs[ctrl] / name).read_text()
        except (OSError, KeyError):
            return ""

    def reset_peak(self) -> None:
        """Start a new peak-memory window (v1 only; v2 reports the cgroup's lifetime peak)."""
        if self.version == 1:
            with contextlib.suppress(OSError):
                (self.dirs["memory"] / "memory.max_usage_in_bytes").write_text("0")
        self._oom_base = self.oom_kills()

    def peak_bytes(self) -> int | None:
        """Peak memory since the last :meth:`reset_peak`."""
        raw = self._read("memory", "memory.max_usage_in_bytes" if self.version == 1 else "memory.peak")
        return int(raw) if raw.strip().isdigit() else None

    def oom_kills(self) -> int:
        """OOM kills in this cgroup so far."""
        name = "memory.oom_control" if self.version == 1 else "memory.events"
        for line in self._read("memory", name).splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return 0

    def cpu_ns(self) -> int | None:
        """CPU time used by the cgroup so far, in nanoseconds."""
        if self.version == 1:
            raw = self._read("cpuacct", "cpuacct.usage")
            return int(raw) if raw.strip().isdigit() else None
        for line in self._read("memory", "cpu.stat").splitlines():
            key, _, value = line.partition(" ")
            if key == "usage_usec":
                return int(value) * 1000
        return None

    def oom_since_reset(self) -> bool:
        """Whether the OOM killer struck since the last :meth:`reset_peak`."""
        return self.oom_kills() > self._oom_base

    def pids(self) -> list[int]:
        """Processes in the cgroup."""
        found: set[int] = set()
        for path in self.procs_files:
            with contextlib.suppress(OSError):
                found.update(int(p) for p in Path(path).read_text().split())
        return sorted(found)

    def kill_all(self) -> None:
        """SIGKILL every process in the cgroup (by pid, never by name), until it is empty."""
        if self.version == 2:
            with contextlib.suppress(OSError):
                (self.dirs["memory"] / "cgroup.kill").write_text("1")
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def remove(self) -> None:
        """Kill what is left and delete the cgroup."""
        self.kill_all()
        for d in set(self.dirs.values()):
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)


def make_cgroup(
    name: str, memory_bytes: int, pids: int, cpus: float, root: Path = ROOT
) -> tuple[Cgroup | None, str | None]:
    """Create a cgroup limiting memory and pids (after reaping dead owners' ones), or explain why not.

    Returns:
        The cgroup (or ``None``) and a note describing the degradation (or ``None``).
    """
    full = f"proctor-{owner_tag()}-{name}"
    try:
        if (root / "memory" / "memory.limit_in_bytes").exists() and (root / "pids").is_dir():
            reap_stale(root)
            return _make_v1(full, memory_bytes, pids, cpus, root), None
        if (root / "cgroup.controllers").exists():
            reap_stale(root)
            return _make_v2(full, memory_bytes, pids, cpus, root), None
        return None, "no cgroup hierarchy found; memory and pids limited by rlimits only"
    except OSError as exc:
        return None, f"cgroups not writable here ({exc}); memory and pids limited by rlimits only"


def own_paths(proc_cgroup: str | None = None) -> dict[str, Path]:
    """The harness's own cgroup per v1 controller, and under ``""`` its v2 cgroup."""
    try:
        text = proc_cgroup if proc_cgroup is not None else Path("/proc/self/cgroup").read_text()
    except OSError:
        text = ""
    own: dict[str, Path] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        for ctrl in parts[1].split(",") if parts[1] else [""]:
            own[ctrl] = Path(parts[2].strip() or "/")
    return own


def _parents(root: Path) -> list[Path]:
    """Where this harness's sandbox cgroups are made (one per v1 hierarchy, or the v2 parent)."""
    own = own_paths()
    if (root / "memory" / "memory.limit_in_bytes").exists():
        return [root / ctrl / own.get(ctrl, Path("/")).relative_to("/")
                for ctrl in ("memory", "pids", "cpu", "cpuacct") if (root / ctrl).is_dir()]
    mine = own.get("", Path("/"))
    parent = root / mine.relative_to("/")
    return [parent.parent if mine != Path("/") else parent]


def reap_stale(root: Path = ROOT) -> list[Path]:
    """Kill and remove ``proctor-*`` cgroups beside this harness's whose owner is dead; returns them."""
    removed = []
    for parent in _parents(root):
        for d in sorted(parent.glob("proctor-*")):
            tag = "-".join(d.name.split("-")[1:3])
            if d.is_dir() and not alive(tag):
                Cgroup({"memory": d}, 2 if (d / "cgroup.controllers").exists() else 1).remove()
                if not d.exists():
                    removed.append(d)
    return removed


def _make_v1(name: str, memory_bytes: int, pids: int, cpus: float, root: Path) -> Cgroup:
    own = own_paths()
    ctrls = ["memory", "pids"] + (["cpu"] if (root / "cpu" / "cpu.cfs_quota_us").exists() else [])
    ctrls += ["cpuacct"] if (root / "cpuacct" / "cpuacct.usage").exists() else []
    dirs = {ctrl: root / ctrl / own.get(ctrl, Path("/")).relative_to("/") / name for ctrl in ctrls}
    try:
        for d in dirs.values():
            d.mkdir()
        (dirs["memory"] / "memory.limit_in_bytes").write_text(str(memory_bytes))
        memsw = dirs["memory"] / "memory.memsw.limit_in_bytes"
        if memsw.exists():
            memsw.write_text(str(memory_bytes))
        (dirs["pids"] / "pids.max").write_text(str(pids))
        if "cpu" in dirs:
            (dirs["cpu"] / "cpu.cfs_period_us").write_text("100000")
            (dirs["cpu"] / "cpu.cfs_quota_us").write_text(str(int(cpus * 100000)))
    except OSError:
        Cgroup(dirs, 1).remove()
        raise
    return Cgroup(dirs, 1)


def _make_v2(name: str, memory_bytes: int, pids: int, cpus: float, root: Path) -> Cgroup:
    parent = _parents(root)[0]
    d = parent / name
    d.mkdir()
    try:
        if not (d / "memory.max").exists() or not (d / "pids.max").exists():
            raise OSError(f"memory/pids controllers are not delegated to {parent}")
        (d / "memory.max").write_text(str(memory_bytes))
        if (d / "memory.swap.max").exists():
            (d / "memory.swap.max").write_text("0")
        (d / "pids.max").write_text(str(pids))
        if (d / "cpu.max").exists():
            (d / "cpu.max").write_text(f"{int(cpus * 100000)} 100000")
    except OSError:
        d.rmdir()
        raise
    return Cgroup({"memory": d, "pids": d}, 2)


def cgroup_of_pid(pid: int, root: Path = ROOT) -> Cgroup | None:
    """Read-mostly handle on the cgroup of ``pid`` (a container's init, say), if visible here."""
    dirs: dict[str, Path] = {}
    version = 1
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, ctrls, path = line.split(":", 2)
        rel = path.lstrip("/")
        if ctrls == "" and not dirs:
            d = root / rel
            if (d / "memory.max").exists():
                return Cgroup({"memory": d}, 2)
        for ctrl in ctrls.split(","):
            if ctrl in ("memory", "cpuacct", "pids"):
                mount = root / ctrl if (root / ctrl).is_dir() else root / ctrls
                if (mount / rel).is_dir():
                    dirs[ctrl] = mount / rel
    return Cgroup(dirs, version) if "memory" in dirs else None
