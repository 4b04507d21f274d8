"""A multi-node Ray cluster on this machine: ``ray start --head`` and worker nodes, each its own process tree.

Every node is a ``ray start --block`` in its own session, so a node is killed as a host would die
(SIGKILL to its whole process group: raylet, object store, workers). Several raylets share this host, so
each node gets its own ports. Each worker node carries a resource ``node_<name>: 1`` naming it, plus
what the test asks for (CPUs, fake GPUs: Ray hands out ``--num-gpus`` without checking for hardware,
custom resources). The head has no CPUs: like a coordinator, it runs nothing but the drivers' attachment.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._services import free_port, wait_for

RAY = str(Path(sys.executable).with_name("ray"))
# Dead nodes noticed in seconds, not the default ~30 s.
FAST_HEALTH = {"RAY_health_check_initial_delay_ms": "1000", "RAY_health_check_period_ms": "1000",
               "RAY_health_check_timeout_ms": "1000", "RAY_health_check_failure_threshold": "3"}


@dataclass
class Node:
    name: str
    proc: subprocess.Popen[bytes]
    resources: dict[str, float] = field(default_factory=dict)

    def kill(self) -> None:
        """SIGKILL every process of the node, as a host that loses power."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def alive(self) -> bool:
        return self.proc.poll() is None


def _ports(start: int) -> list[str]:
    return ["--node-manager-port", str(free_port()), "--object-manager-port", str(free_port()),
            "--dashboard-agent-listen-port", str(free_port()), "--dashboard-agent-grpc-port", str(free_port()),
            "--runtime-env-agent-port", str(free_port()), "--metrics-export-port", str(free_port()),
            "--min-worker-port", str(start), "--max-worker-port", str(start + 99)]


class RayCluster:
    """Head plus worker nodes; :meth:`close` stops every node (never ``ray stop``: other Rays may share the host)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.base = Path(tempfile.mkdtemp(prefix="proctor-ray-"))
        self.port = free_port()
        # Token auth off explicitly: a ~/.ray/auth_token left by any local ray.init() would turn it on for
        # some processes of the cluster and not others.
        self.env = {**os.environ, **env, **FAST_HEALTH, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "disabled"}
        self.nodes: dict[str, Node] = {}
        self._names: dict[str, str] = {}
        self._next_ports = 21000 + (os.getpid() % 50) * 400

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _start(self, name: str, args: list[str], resources: dict[str, float]) -> Node:
        log = (self.base / f"{name}.log").open("ab")
        cmd = [RAY, "start", "--block", "--disable-usage-stats", *args, *_ports(self._next_ports),
               "--object-store-memory", str(80 * 2**20)]
        if resources:
            cmd += ["--resources", json.dumps(resources)]
        self._next_ports += 100
        proc = subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
        log.close()
        node = self.nodes[name] = Node(name, proc, resources)
        return node

    def start_head(self) -> RayCluster:
        self._start("head", ["--head", "--node-ip-address", "127.0.0.1", "--port", str(self.port),
                             "--ray-client-server-port", str(free_port()), "--include-dashboard", "false",
                             "--temp-dir", str(self.base / "ray"), "--num-cpus", "0"], {})
        self._wait_started(["head"])
        return self

    def add_workers(self, **specs: dict[str, Any]) -> None:
        """Start worker nodes (``name={"num_cpus": 1, "num_gpus": 0, "resources": {...}}``), one after another.

        A raylet must register within Ray's fixed 30 s; on a loaded machine a node that missed it is
        started once more.
        """
        for name, spec in specs.items():
            for attempt in (1, 2):
                self._start(name, ["--address", self.address, "--node-ip-address", "127.0.0.1", "--num-cpus",
                                   str(spec.get("num_cpus", 1)), "--num-gpus", str(spec.get("num_gpus", 0))],
                            {f"node_{name}": 1.0, **spec.get("resources", {})})
                try:
                    self._wait_started([name])
                    break
                except AssertionError:
                    self.nodes[name].kill()
                    if attempt == 2:
                        raise

    def _wait_started(self, names: list[str]) -> None:
        def started() -> bool:
            for name in names:
                node = self.nodes[name]
                log = (self.base / f"{name}.log").read_text(errors="replace")
                if not node.alive():
                    raise AssertionError(f"ray node {name} exited ({node.proc.returncode}): {log[-3000:]}")
                if "Ray runtime started" not in log:
                    return False
            return True

        wait_for(f"Ray nodes {names} to start", started, timeout=120, every=0.3)

    def node_table(self) -> list[dict[str, Any]]:
        """``ray.nodes()`` as seen from a short-lived process (this one never joins the cluster)."""
        code = (f"import json, ray; ray.init(address={self.address!r}, log_to_driver=False, logging_level='ERROR'); "
                "print(json.dumps(ray.nodes()))")
        done = subprocess.run([sys.executable, "-c", code], env=self.env, capture_output=True, text=True, timeout=120)
        if done.returncode:
            return []
        return list(json.loads(done.stdout.strip().splitlines()[-1]))

    def node_of(self, node_id: str) -> str:
        """The name of the node with Ray node id ``node_id`` (remembered: a dead node lists no resources)."""
        if node_id not in self._names:
            for info in self.node_table():
                if info["Alive"]:
                    names = [r.removeprefix("node_") for r in info["Resources"] if r.startswith("node_")]
                    self._names[info["NodeID"]] = names[0] if names else "head"
        return self._names[node_id]

    def close(self) -> None:
        for node in reversed(list(self.nodes.values())):
            if node.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(node.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for node in self.nodes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                node.proc.wait(max(0.1, deadline - time.monotonic()))
            if node.alive():
                node.kill()
        shutil.rmtree(self.base, ignore_errors=True)
