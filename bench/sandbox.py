"""Per-exec overhead of each available sandbox provider against a bare subprocess, hardening off and on.

    .venv/bin/python bench/sandbox.py [--n 40] [--files 50] [--provider docker --provider bubblewrap]

For every provider this machine offers (docker, bubblewrap, and host as a reference), prints the
median (p50) and p95 wall time of many short commands (``true``), the median's ratio to a bare
``subprocess.run`` in the same run, and the time to first exec of a fresh sandbox (create + one
exec), twice: ``before`` with the hardening off (``sandbox.seccomp=false``, ``sandbox.quota=off``: no
seccomp filter, the work directory used in place) and ``after`` with it on (the seccomp filter, the
live quota tmpfs mirrored to the persistent directory after every exec). bubblewrap also gets one row
per half (``+seccomp``, ``+quota``). The work directory holds ``--files`` small files, as a template
and its results do, so the mirror has something to walk.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from proctor.control import Action, ApprovedAction, ShellCommand, approve_harness
from proctor.sandboxes import SandboxSettings, provider_class

sys.path.insert(0, str(Path(__file__).resolve().parent))
from retrieval import latency  # noqa: E402  (the benches' shared p50/p95 helper)

MODES: dict[str, dict[str, Any]] = {
    "before": {"seccomp": False, "quota": "off"},
    "+seccomp": {"seccomp": True, "quota": "off"},
    "+quota": {"seccomp": False, "quota": "auto"},
    "after": {"seccomp": True, "quota": "auto"},
}
ROWS = {"bubblewrap": list(MODES), "docker": ["before", "after"], "host": ["before", "after"]}


def approvals(argv: list[str], n: int) -> list[ApprovedAction]:
    return [approve_harness(Action(node="bench", payload=ShellCommand(argv=argv), origin="harness"))
            for _ in range(n)]


def workdir(files: int) -> Path:
    path = Path(tempfile.mkdtemp(prefix="proctor-bench-"))
    path.chmod(0o755)
    for i in range(files):
        sub = path / f"run_{i % 5}"
        sub.mkdir(exist_ok=True)
        (sub / f"f{i}.json").write_text(f'{{"x": {i}}}\n')
    return path


def bench_provider(name: str, settings: SandboxSettings, argv: list[str], n: int, files: int) -> tuple[float, float, float, str]:
    """p50 and p95 per exec (ms), first exec (ms), and the live-mount state of one sandbox."""
    loop = asyncio.new_event_loop()
    work = workdir(files)
    try:
        t = time.perf_counter()
        sb = loop.run_until_complete(provider_class(name).create(settings, workdir=work))
        try:
            first_r = loop.run_until_complete(sb.exec(approvals(argv, 1)[0]))
            first = (time.perf_counter() - t) * 1000
            assert first_r.exit_code == 0, first_r

            def run(a: ApprovedAction) -> None:
                r = loop.run_until_complete(sb.exec(a))
                assert r.exit_code == 0, r

            p50, p95 = latency(run, approvals(argv, n))
            state = "live tmpfs" if sb.live is not None else "in place"
        finally:
            loop.run_until_complete(sb.cleanup())
    finally:
        loop.close()
        shutil.rmtree(work, ignore_errors=True)
    return p50, p95, first, state


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="execs per provider and mode")
    parser.add_argument("--files", type=int, default=50, help="small files in the work directory")
    parser.add_argument("--provider", action="append", help="limit to these providers")
    parser.add_argument("--cmd", default="true", help="the short command to time (split on spaces)")
    args = parser.parse_args()
    argv = args.cmd.split()
    base = SandboxSettings(allow_host=True)
    bare_p50, bare_p95 = latency(lambda _: subprocess.run(argv, check=True), list(range(args.n)))  # noqa: S603
    print(f"{'provider':12} {'hardening':10} {'p50 exec':>10} {'x bare':>7} {'p95':>9} {'first exec':>11}  work dir")
    print(f"{'bare':12} {'':10} {bare_p50:8.1f}ms {1.0:7.1f} {bare_p95:7.1f}ms {'':>11}")
    for name in args.provider or ["docker", "bubblewrap", "host"]:
        reason = provider_class(name).available(base)
        if reason:
            print(f"{name:12} unavailable: {reason[:90]}")
            continue
        for mode in ROWS.get(name, ["before", "after"]):
            settings = base.model_copy(update=MODES[mode])
            p50, p95, first, state = bench_provider(name, settings, argv, args.n, args.files)
            print(f"{name:12} {mode:10} {p50:8.1f}ms {p50 / bare_p50:7.1f} {p95:7.1f}ms {first:9.0f}ms  {state}")


if __name__ == "__main__":
    main()
