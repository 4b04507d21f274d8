"""Benchmark the control layer: monitor latency per action and the gate's overhead.

Usage: ``python bench/control.py [--llm] [--repeat N] [--json OUT]``

* static monitor latency per action over the packaged eval dataset (78 actions);
* LLM monitor latency with the configured ``trusted`` model (only with ``--llm``);
* gate overhead: ``Gate.submit`` (protocol on: monitor + protocol + SQLite queue/cache + hash-chained
  audit log + events) against the bare static monitor on the same actions (protocol off), and with
  a zero-cost monitor to isolate the gate's own bookkeeping.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from proctor.control import Action, Gate, MonitorVerdict, TrajectoryView, build_monitor, build_view
from proctor.control.eval._data import load_dataset
from proctor.settings import Settings


def _summary(samples: list[float]) -> dict[str, float]:
    ms = sorted(1000 * s for s in samples)
    return {"n": len(ms), "mean_ms": statistics.fmean(ms), "p50_ms": ms[len(ms) // 2],
            "p95_ms": ms[min(len(ms) - 1, int(0.95 * len(ms)))], "max_ms": ms[-1]}


async def _time_monitor(monitor: Any, actions: list[Action], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        for action in actions:
            started = time.perf_counter()
            await monitor(action, build_view(action))
            out.append(time.perf_counter() - started)
    return out


async def _null(action: Action, view: TrajectoryView) -> MonitorVerdict:
    return MonitorVerdict(score=0.0, monitor="null")


async def _time_gate(settings: Settings, actions: list[Action], repeat: int, monitor: Any = None) -> list[float]:
    out = []
    for r in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            s = settings.model_copy(update={"control": settings.control.model_copy(update={
                "queue_path": Path(tmp) / "q.sqlite", "audit_log_path": Path(tmp) / "log.jsonl", "critical": []})})
            gate = Gate(s, monitor=monitor)
            for action in actions:
                started = time.perf_counter()
                await gate.submit(action.model_copy(update={"task": f"{action.task} #{r}"}))
                out.append(time.perf_counter() - started)
    return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    """Run every benchmark and return the figures."""
    settings = Settings()
    actions = [i.action for i in load_dataset()]
    static = build_monitor({"type": "static"}, settings)
    results: dict[str, Any] = {"actions": len(actions)}
    results["static_monitor"] = _summary(await _time_monitor(static, actions, args.repeat))
    results["gate_protocol_off"] = results["static_monitor"]
    results["gate_protocol_on"] = _summary(await _time_gate(settings, actions, args.repeat))
    results["gate_bookkeeping_only"] = _summary(await _time_gate(settings, actions, args.repeat, _null))
    results["gate_overhead_mean_ms"] = results["gate_protocol_on"]["mean_ms"] - results["static_monitor"]["mean_ms"]
    if args.llm:
        llm = build_monitor({"type": "llm", "samples": args.samples}, settings)
        results["llm_monitor"] = _summary(await _time_monitor(llm, actions[: args.llm_actions], 1))
        results["llm_monitor"]["model"] = settings.llm.trusted
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm", action="store_true", help="also time the LLM monitor (configured trusted model)")
    parser.add_argument("--samples", type=int, default=1, help="LLM monitor ensemble size")
    parser.add_argument("--llm-actions", type=int, default=10, help="actions timed with the LLM monitor")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the dataset")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    ns = parser.parse_args()
    res = asyncio.run(main(ns))
    text = json.dumps(res, indent=2)
    print(text)
    if ns.json:
        ns.json.write_text(text)
