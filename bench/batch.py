"""Benchmark batches: throughput of N concurrent runs (runs/hour) and the scheduler's overhead.

Usage: ``python bench/batch.py [--mock] [--runs N] [--concurrency C] [--ideas K] [--executor local|ray]
[--preload] [--json OUT]``

* throughput: one batch of N runs (ideation only, ``workflow.stages=[]``), C at a time, on the
  embedded ``local/gemma-3-270m`` (default) or on scripted mock models (``--mock``: a quick figure
  of the batch machinery itself: worker start-up, checkpoints, bookkeeping);
* worker start-up: wall time of a bare ``import proctor.agents._runner`` in a fresh interpreter
  (each local run pays it once);
* driver overhead: batch wall time minus the ideal ``sum(run seconds) / C``;
* scheduler overhead: ``schedule add`` and ``list`` latency on the SQLite job store, and the delay
  from a job falling due to its batch process being spawned (``serve`` waking every 0.5 s).

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
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
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
