"""Per-exec overhead of each available sandbox provider against a bare subprocess.

    .venv/bin/python bench/sandbox.py [--n 40] [--provider docker --provider bubblewrap]

For every provider this machine offers (docker, bubblewrap, and host as a reference), prints the
median wall time of many short commands (``true``), its ratio to a bare ``subprocess.run`` in the
same run, and the time to first exec of a fresh sandbox (create + one exec).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import time

from proctor.control import Action, ShellCommand, approve_harness
from proctor.sandboxes import SandboxSettings, provider_class


def bare(n: int, argv: list[str]) -> list[float]:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(argv, check=True)  # noqa: S603
        times.append(time.perf_counter() - t)
    return times


async def provider_times(name: str, settings: SandboxSettings, n: int, argv: list[str]) -> tuple[float, list[float]]:
    cls = provider_class(name)
    approved = [approve_harness(Action(node="bench", payload=ShellCommand(argv=argv), origin="harness"))
                for _ in range(n + 1)]
    t = time.perf_counter()
    sb = await cls.create(settings)
    try:
        await sb.exec(approved[0])
        first = time.perf_counter() - t
        times = []
        for a in approved[1:]:
            t = time.perf_counter()
            r = await sb.exec(a)
            times.append(time.perf_counter() - t)
            assert r.exit_code == 0, r
    finally:
        await sb.cleanup()
    return first, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="execs per provider")
    parser.add_argument("--provider", action="append", help="limit to these providers")
    parser.add_argument("--cmd", default="true", help="the short command to time (split on spaces)")
    args = parser.parse_args()
    argv = args.cmd.split()
    settings = SandboxSettings(allow_host=True)
    base = statistics.median(bare(args.n, argv))
    print(f"{'provider':12} {'median exec':>12} {'x bare':>8} {'p90':>9} {'first exec':>11}")
    print(f"{'bare':12} {base * 1e3:10.1f}ms {1.0:8.1f} {'':>9} {'':>11}")
    for name in args.provider or ["docker", "bubblewrap", "host"]:
        reason = provider_class(name).available(settings)
        if reason:
            print(f"{name:12} unavailable: {reason[:90]}")
            continue
        first, times = asyncio.run(provider_times(name, settings, args.n, argv))
        med = statistics.median(times)
        p90 = statistics.quantiles(times, n=10)[-1]
        print(f"{name:12} {med * 1e3:10.1f}ms {med / base:8.1f} {p90 * 1e3:7.1f}ms {first * 1e3:9.0f}ms")


if __name__ == "__main__":
    main()
