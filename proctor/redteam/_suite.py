"""Run attacks, one child process each, and check what each left: did the boundary hold?

A pristine control run (no attack) goes first: its baseline is the reference every attack's
baseline must equal, and it must itself pass every check (else the checks, not the attacks, are
wrong). While a child runs, the parent polls the sandbox user's processes so that one outliving
the exec that started it is seen.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from proctor.redteam import _checks as checks
from proctor.redteam._attacks import Attack
from proctor.redteam._canaries import Canaries, planted, read_regular

CONTROL = Attack(id="control", description="no attack: the pristine pipeline the attacks are compared with",
                 code="pass")


@dataclass
class AttackReport:
    """One attack's outcome."""

    id: str
    run_dir: str
    contained: bool
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    description: str = ""

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "run_dir": self.run_dir, "contained": self.contained, "violations": self.violations}


_CONTAINER = re.compile(r"docker[/-]([0-9a-f]{64})")


class ProcessWatch:
    """Polls the sandbox user's processes that belong to one attack while it runs.

    A process belongs to the attack when it descends from the attack's harness process (bubblewrap
    sandboxes) or runs in a docker container labelled with one of the attack's sandbox ids (the
    container's init and keepalive, its two first processes, are the provider's own); other
    processes of the same uid (another harness on this machine) are not counted.
    """

    def __init__(self, uid: int, root_pid: int, docker_url: str | None = None, interval: float = 0.2) -> None:
        self.uid, self.root_pid, self.interval = uid, root_pid, interval
        self.seen: dict[tuple[int, int], list[float]] = {}  # (pid, start ticks) -> [first, last seen]
        self.names: dict[tuple[int, int], str] = {}
        self.container: dict[tuple[int, int], str] = {}  # (pid, start) -> docker container id
        self.labels: dict[str, str | None] = {}  # container id -> its proctor.sandbox label
        self.docker_url = docker_url
        self.sandboxes: set[str] = set()  # the attack's sandbox ids, once its events are read
        self._client: Any = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        # /proc/<pid>/stat's start time counts clock ticks since boot: map it to wall time exactly
        # through CLOCK_BOOTTIME (btime in /proc/stat is whole seconds only).
        self.boot_wall = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
        self.hz = os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> ProcessWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    @staticmethod
    def _stat(pid: int) -> tuple[str, int, int, str] | None:
        """(name, parent pid, start ticks, state) of a process."""
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        rest = raw[raw.rfind(")") + 2:].split()
        return raw[raw.find("(") + 1:raw.rfind(")")], int(rest[1]), int(rest[19]), rest[0]

    def _descends(self, pid: int) -> bool:
        for _ in range(64):
            if pid == self.root_pid:
                return True
            info = self._stat(pid)
            if info is None or info[1] <= 1:
                return False
            pid = info[1]
        return False

    def _label(self, cid: str) -> str | None:
        if cid not in self.labels:
            try:
                if self._client is None:
                    import docker

                    self._client = docker.DockerClient(base_url=self.docker_url) if self.docker_url \
                        else docker.from_env()
                self.labels[cid] = self._client.containers.get(cid).labels.get("proctor.sandbox")
            except Exception:  # noqa: BLE001 - gone already, or no engine: not attributable
                self.labels[cid] = None
        return self.labels[cid]

    def _poll(self) -> None:
        now = time.time()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat().st_uid != self.uid:
                    continue
                cgroup = Path(entry.path, "cgroup").read_text()
            except OSError:
                continue
            pid = int(entry.name)
            info = self._stat(pid)
            if info is None or info[3] in ("Z", "X"):
                continue  # gone, or dead and not yet reaped by its parent: not running
            key = (pid, info[2])
            if key not in self.seen:
                match = _CONTAINER.search(cgroup)
                if match:
                    self.container[key] = match.group(1)
                    self._label(match.group(1))
                elif not self._descends(pid):
                    continue
                try:
                    cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    cmd = ""
                self.names[key] = f"{info[0][:20]}: {cmd[:100]}"
                self.seen[key] = [now, now]
            self.seen[key][1] = now

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._poll()
            self._stop.wait(self.interval)

    def _counted(self, sandboxes: set[str]) -> list[tuple[int, int]]:
        """Processes of this attack: its bubblewrap descendants, and its containers' own processes
        (each container's two first processes, its init and keepalive, left out)."""
        by_container: dict[str, list[tuple[int, int]]] = {}
        out = []
        for key in self.seen:
            cid = self.container.get(key)
            if cid is None:
                out.append(key)
            elif self.labels.get(cid) in sandboxes:
                by_container.setdefault(cid, []).append(key)
        for keys in by_container.values():
            out += sorted(keys, key=lambda k: k[1])[2:]
        return out

    def strays(self, run_dir: Path, grace: float = 1.5) -> list[str]:
        """Processes started during an exec and seen alive more than ``grace`` s after it ended."""
        spans: list[tuple[float, float]] = []
        sandboxes: set[str] = set()
        for ev in checks.read_events(run_dir):
            if ev.get("event") == "sandbox_exec":
                end = datetime.fromisoformat(ev["ts"]).timestamp()
                spans.append((end - float(ev.get("wall_s") or 0) - 0.5, end))
                sandboxes.add(str(ev.get("sandbox_id")))
        self.sandboxes = sandboxes
        out = []
        for pid, ticks in self._counted(sandboxes):
            started = self.boot_wall + ticks / self.hz
            last = self.seen[(pid, ticks)][1]
            for lo, hi in spans:
                if lo <= started <= hi and last > hi + grace:
                    out.append(f"pid {pid} ({self.names.get((pid, ticks), '?')}) started in an exec, "
                               f"alive {last - hi:.1f} s after it ended")
                    break
        return out

    def kill_all(self) -> list[str]:
        """Kill and name whatever of this attack's processes is still alive after its run."""
        sandboxes = self.sandboxes
        mine = {key for key in self.seen if self.container.get(key) is None
                or self.labels.get(self.container[key]) in sandboxes}
        left = []
        for pid, start in sorted(mine):
            info = self._stat(pid)
            if info is None or info[2] != start or info[3] in ("Z", "X"):
                continue
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            left.append(f"pid {pid} ({self.names.get((pid, start), info[0])}) still alive after the run")
        return left


def _run_child(attack: Attack, settings: Any, timeout_s: float, watch_uid: int | None,
               fast: bool) -> tuple[dict[str, Any], checks.Observation]:
    with tempfile.TemporaryDirectory(prefix="proctor-redteam-") as tmp:
        spec = {"attack": attack.model_dump(), "settings": settings.model_dump(mode="json"), "fast": fast,
                "prompts": str(Path(tmp) / "prompts.json"), "report": str(Path(tmp) / "report.json")}
        started = time.monotonic()
        proc = subprocess.Popen(  # noqa: S603 - our own module, our own interpreter
            [sys.executable, "-m", "proctor.redteam._child"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True)
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(spec).encode())
        proc.stdin.close()
        stderr_tail = bytearray()

        def drain() -> None:
            assert proc.stderr is not None
            for chunk in iter(lambda: proc.stderr.read(4096), b""):  # type: ignore[union-attr]
                stderr_tail.extend(chunk)
                del stderr_tail[:-4000]

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        docker_url = settings.sandbox.docker_base_url or os.environ.get("DOCKER_HOST")
        watch = ProcessWatch(watch_uid, proc.pid, docker_url) if watch_uid is not None else None
        timed_out, status, rusage = False, 0, None
        with watch or contextlib.nullcontext():
            while True:
                pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.monotonic() - started > timeout_s:
                    timed_out = True
                    with contextlib.suppress(OSError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    _pid, status, rusage = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.2)
        proc.returncode = os.waitstatus_to_exitcode(status)
        reader.join(timeout=5)
        report = json.loads(read_regular(Path(spec["report"])) or b"{}")
        prompts = json.loads(read_regular(Path(spec["prompts"])) or b"[]")
        last = bytes(stderr_tail).decode(errors="replace").strip().splitlines()
        obs = checks.Observation(
            wall_s=time.monotonic() - started, max_rss_mb=(rusage.ru_maxrss / 1024) if rusage else 0.0,
            returncode=None if timed_out else proc.returncode, timed_out=timed_out, time_bound_s=timeout_s,
            memory_bound_mb=0.0, prompts=prompts, child_error=report.get("error") or (last[-1][:300] if last else ""))
        if watch is not None and report.get("run_dir"):
            time.sleep(0.5)  # a container being removed as the child exits
            obs.stray = watch.strays(Path(report["run_dir"])) + watch.kill_all()
        return report, obs


def check_attack(attack: Attack, report: dict[str, Any], obs: checks.Observation, settings: Any,
                 canaries: Canaries, reference: dict[str, Any] | None) -> AttackReport:
    """Every check of the boundary on one finished attack."""
    run_dir = Path(report.get("run_dir") or "")
    if not report.get("run_dir") or not run_dir.is_dir():
        return AttackReport(attack.id, str(run_dir), False, ["the harness made no run directory"] +
                            checks.check_bounds(obs, run_dir, settings), obs.wall_s, attack.description)
    found = [*checks.check_canaries(run_dir, canaries, obs), *checks.check_special_files(run_dir),
             *checks.check_bounds(obs, run_dir, settings), *checks.check_stages(run_dir),
             *checks.check_baseline(run_dir, reference), *checks.check_pristine_harness(run_dir),
             *checks.check_html(run_dir), *checks.check_quota(run_dir, settings),
             *checks.check_exec_events(run_dir), *checks.check_processes(obs), *checks.check_attack_ran(run_dir)]
    return AttackReport(attack.id, str(run_dir), not found, found, obs.wall_s, attack.description)


def _reference(run_dir: str) -> dict[str, Any] | None:
    for exp in sorted(Path(run_dir).glob("experiments/*/experiment.json")):
        rec = json.loads(read_regular(exp) or b"{}")
        info = rec.get("runs", {}).get("run_0", {}).get("final_info")
        if info:
            return info  # type: ignore[no-any-return]
    return None


def run_suite(attacks: list[Attack], settings: Any, *, timeout_s: float = 900.0, memory_mb: float = 6144.0,
              on_done: Callable[[AttackReport], None] | None = None, fast: bool = False) -> tuple[AttackReport, list[AttackReport]]:
    """The control run's report and one report per attack, in order.

    Raises:
        RuntimeError: when the control run produced no baseline (nothing to compare attacks with).
    """
    from proctor.control.audit import load_audit_key

    runs_dir = Path(settings.runs_dir)
    runs_dir.mkdir(parents=True, exist_ok=True)
    key = load_audit_key(create=True)
    uid = settings.sandbox.sandbox_uid if os.getuid() == 0 else None
    reports: list[AttackReport] = []
    with planted(settings.sandbox.state_dir, runs_dir, key.secret if key else None) as canaries:
        report, obs = _run_child(CONTROL, settings, timeout_s, uid, fast)
        obs.memory_bound_mb = memory_mb
        reference = _reference(report.get("run_dir") or "")
        control = check_attack(CONTROL, report, obs, settings, canaries, reference)
        if reference is None:
            control.contained = False
            control.violations.insert(0, "the pristine control run produced no baseline")
        if on_done:
            on_done(control)
        for attack in attacks:
            report, obs = _run_child(attack, settings, timeout_s, uid, fast)
            obs.memory_bound_mb = memory_mb
            result = check_attack(attack, report, obs, settings, canaries, reference)
            reports.append(result)
            if on_done:
                on_done(result)
    return control, reports
