"""Benchmark batches: throughput of N concurrent runs (runs/hour) and the scheduler's overhead.

Usage: ``python bench/batch.py [--mock] [--runs N] [--concurrency C] [--ideas K] [--executor local|ray]
[--preload] [--json OUT]``, or ``python bench/batch.py --ray-workers 1,2,3 [--runs 12] [--embedded-runs 2]``

* throughput: one batch of N runs (ideation only, ``workflow.stages=[]``), C at a time, on the
  embedded ``local/gemma-3-270m`` (default) or on scripted mock models (``--mock``: a quick figure
  of the batch machinery itself: worker start-up, checkpoints, bookkeeping);
* worker start-up: wall time of a bare ``import proctor.agents._runner`` in a fresh interpreter
  (each local run pays it once);
* driver overhead: batch wall time minus the ideal ``sum(run seconds) / C``;
* scheduler overhead: ``schedule add`` and ``list`` latency on the SQLite job store, and the delay
  from a job falling due to its batch process being spawned (``serve`` waking every 0.5 s).

* Ray scaling (``--ray-workers 1,2,3``): for each count, a fresh Ray cluster on this machine (a head with
  no CPUs and that many one-CPU worker nodes, each its own ``ray start``), a batch of ``--runs`` mock runs
  (and ``--embedded-runs`` on the embedded model) at concurrency = workers; runs/hour, scaling
  efficiency against one worker (``rph(n) / (n * rph(1))``), and the coordinator's overhead per run
  (median of the driver's wall time per run minus the time the run took inside its worker: scheduling,
  worker start-up, bookkeeping). On one machine the workers share its cores: efficiency is bounded by them.

The output states which models and executor were used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def mock_init() -> None:
    """``batch.worker_init`` for ``--mock``: the n-th idea follows from the ideas already in the prompt."""
    from proctor.llm import mock

    def respond(messages: list[dict[str, Any]]) -> str:
        n = " ".join(str(m.get("content", "")) for m in messages).count("Bench idea title")
        return json.dumps({"Name": f"idea_{n}", "Title": f"Bench idea title {n}", "Experiment": "e" * 40,
                           "Interestingness": 5, "Feasibility": 6, "Novelty": 7})

    mock.script("u", respond)


def _throughput(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    from proctor.batch import create_batch, drive_batch, parse_spec
    from proctor.settings import load_settings

    models = {"untrusted": "mock/u"} if args.mock else {"untrusted": "local/gemma-3-270m"}
    executor: dict[str, Any] = {"executor": args.executor, "poll_s": 0.2, "preload_workers": args.preload}
    settings: dict[str, Any] = {"workflow": {"stages": []}}
    if args.mock:
        executor["worker_init"] = f"{Path(__file__).resolve()}:mock_init"
        settings["llm.allow_mock"] = True
    spec = parse_spec({"name": "bench", "directions": [f"direction {i}" for i in range(args.runs)],
                       "ideas_per_direction": args.ideas, "concurrency": args.concurrency, "models": models,
                       "settings": settings, "executor": executor})
    batch = create_batch(spec, load_settings(None, [f"runs_dir={tmp}"]))
    start = time.perf_counter()
    record = asyncio.run(drive_batch(batch))
    wall = time.perf_counter() - start
    ok = sum(e.status == "succeeded" for e in record.runs)
    run_s = [e.seconds for e in record.runs]
    return {"runs": args.runs, "succeeded": ok, "concurrency": args.concurrency, "ideas_per_run": args.ideas,
            "wall_s": round(wall, 2), "runs_per_hour": round(3600 * ok / wall, 1),
            "mean_run_s": round(sum(run_s) / len(run_s), 2),
            "driver_overhead_s": round(wall - sum(run_s) / args.concurrency, 2),
            "tokens": record.spend_tokens, "usd": round(record.spend_usd, 4)}


def _ray_batch(address: str, workers: int, runs: int, ideas: int, mock: bool, tmp: Path) -> dict[str, Any]:
    import ray

    from proctor.batch import create_batch, drive_batch, parse_spec
    from proctor.batch._ray import RayExecutor
    from proctor.settings import load_settings

    executor: dict[str, Any] = {"executor": "ray", "ray_address": address, "poll_s": 0.2}
    settings: dict[str, Any] = {"workflow": {"stages": []}}
    if mock:
        executor["worker_init"] = f"{Path(__file__).resolve()}:mock_init"
        settings["llm.allow_mock"] = True
    spec = parse_spec({"name": "bench", "directions": [f"direction {i}" for i in range(runs)],
                       "ideas_per_direction": ideas, "concurrency": workers, "executor": executor,
                       "models": {"untrusted": "mock/u" if mock else "local/gemma-3-270m"}, "settings": settings})
    batch = create_batch(spec, load_settings(None, [f"runs_dir={tmp}"]))
    try:
        start = time.perf_counter()
        record = asyncio.run(drive_batch(batch, executor=RayExecutor(address)))
        wall = time.perf_counter() - start
    finally:
        ray.shutdown()
    ok = sum(e.status == "succeeded" for e in record.runs)
    overhead = sorted(e.seconds - (e.run_seconds or 0.0) for e in record.runs)
    return {"workers": workers, "runs": runs, "succeeded": ok, "wall_s": round(wall, 1),
            "runs_per_hour": round(3600 * ok / wall, 1),
            "nodes_used": len({e.node for e in record.runs}),
            "coordinator_overhead_per_run_median_s": round(overhead[len(overhead) // 2], 2),
            "failures": sorted({f"{e.status}: {e.detail[:300]}" for e in record.runs if e.status != "succeeded"})}


def _ray_scaling(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.scale._ray_cluster import RayCluster  # the scale tests' cluster: one `ray start` per node

    out: dict[str, Any] = {}
    for label, runs, mock in (("mock", args.runs, True), ("embedded", args.embedded_runs, False)):
        if runs <= 0:
            continue
        rows = []
        for n in args.ray_workers:
            cluster = RayCluster({"RAY_AUTH_MODE": "disabled"})
            try:
                cluster.start_head()
                cluster.add_workers(**{f"w{i}": {"num_cpus": 1} for i in range(n)})
                rows.append(_ray_batch(cluster.address, n, runs, args.ideas, mock, tmp / f"{label}-{n}"))
            finally:
                cluster.close()
        base = rows[0]["runs_per_hour"] / rows[0]["workers"]
        for row in rows:
            row["scaling_efficiency"] = round(row["runs_per_hour"] / (row["workers"] * base), 2) if base else None
        out[label] = rows
    return out


def _worker_startup(repeat: int = 2) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import proctor.agents._runner"], check=True)
        times.append(time.perf_counter() - start)
    return round(min(times), 2)


def _scheduler_overhead(tmp: Path) -> dict[str, Any]:
    from proctor.batch import add_schedule, list_schedules, serve
    from proctor.batch._scheduler import open_store
    from proctor.paths import state_dir

    os.environ["PROCTOR_STATE_DIR"] = str(tmp / "state")
    spec, db = tmp / "broken.yaml", tmp / "schedule.sqlite"
    spec.write_text("name: broken\n")  # the spawned batch exits at once; we time the spawn
    t0 = time.perf_counter()
    entry = add_schedule(db, "0 2 * * *", spec, workdir=tmp)
    t1 = time.perf_counter()
    list_schedules(db)
    t2 = time.perf_counter()
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(db,), kwargs={"wake_s": 0.5, "stop": stop}, daemon=True)
    thread.start()
    time.sleep(1.0)
    store = open_store(db)
    job = store.lookup_job(entry.id)
    job._modify(next_run_time=datetime.now(UTC))
    due = time.perf_counter()
    store.update_job(job)
    store.shutdown()
    logs = state_dir() / "logs"
    while not (logs.exists() and any(logs.iterdir())):
        time.sleep(0.01)
    spawned = time.perf_counter()
    stop.set()
    thread.join(10)
    return {"add_ms": round(1000 * (t1 - t0), 1), "list_ms": round(1000 * (t2 - t1), 1),
            "due_to_spawn_s": round(spawned - due, 2), "wake_s": 0.5}


def main() -> None:
    """Run the benchmark and print (and optionally save) its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mock", action="store_true", help="scripted mock models instead of the embedded one")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--ideas", type=int, default=1)
    parser.add_argument("--executor", choices=["local", "ray"], default="local")
    parser.add_argument("--preload", action="store_true",
                        help="local executor: fork workers from a preloaded fork server (batch.preload_workers)")
    parser.add_argument("--ray-workers", type=lambda v: [int(x) for x in v.split(",")], default=None,
                        help="Ray scaling: worker counts to compare, e.g. 1,2,3 (a fresh local cluster each)")
    parser.add_argument("--embedded-runs", type=int, default=0,
                        help="with --ray-workers: runs on the embedded model as well (the mock runs are --runs)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.ray_workers:
        os.environ["RAY_AUTH_MODE"] = "disabled"
        with tempfile.TemporaryDirectory() as tmp:
            result = {"models": {"mock": "scripted mock/u", "embedded": "local/gemma-3-270m"},
                      "executor": "ray (head + n one-CPU worker nodes on this machine)", "cpus": os.cpu_count(),
                      "load_avg_1m": round(os.getloadavg()[0], 1), "ideas_per_run": args.ideas,
                      "ray_scaling": _ray_scaling(args, Path(tmp))}
        print(json.dumps(result, indent=2))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        result = {
            "models": "mock (scripted mock/u)" if args.mock else "embedded local/gemma-3-270m",
            "executor": args.executor + ("+preload" if args.preload else ""), "cpus": os.cpu_count(),
            "load_avg_1m": round(os.getloadavg()[0], 1),
            "worker_startup_s": _worker_startup(),
            "throughput": _throughput(args, Path(tmp)),
            "scheduler": _scheduler_overhead(Path(tmp)),
        }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
