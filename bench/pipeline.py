"""Wall time, tokens and cost per stage of a full research run.

    .venv/bin/python bench/pipeline.py                 # start a run on the configured models, then report
    .venv/bin/python bench/pipeline.py --run RUN_DIR   # report on an existing run

Stages are read from the run's typed events (``stage`` and ``model_call``), so the figures are the
ones the run itself recorded. Prints one row per stage (summed over ideas) and the total.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import defaultdict
from pathlib import Path

from proctor.log import ModelCallEvent, RunDir, StageEvent


def report(run: RunDir, wall: float | None = None) -> None:
    """Print the per-stage table of ``run``."""
    events = run.events.read()
    rows: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for e in events:
        if isinstance(e, StageEvent) and e.status != "started":
            row = rows[e.stage]
            row["count"] += 1
            row["seconds"] += e.seconds or 0.0
            row["tokens"] += e.tokens or 0
            row["usd"] += e.cost_usd or 0.0
            row["failed"] += e.status == "failed"
    calls = [e for e in events if isinstance(e, ModelCallEvent)]
    header = run.header()
    print(f"run {run.path.name}  status={header.status}  models: "
          + ", ".join(sorted({f'{c.role}={c.model}' for c in calls})))
    print(f"{'stage':<18}{'n':>4}{'failed':>8}{'seconds':>10}{'tokens':>10}{'cost $':>10}")
    for stage, row in rows.items():
        print(f"{stage:<18}{int(row['count']):>4}{int(row['failed']):>8}{row['seconds']:>10.1f}"
              f"{int(row['tokens']):>10}{row['usd']:>10.4f}")
    total_s = sum(r["seconds"] for r in rows.values())
    print(f"{'total (stages)':<18}{'':>12}{total_s:>10.1f}{int(sum(c.prompt_tokens + c.completion_tokens for c in calls)):>10}"
          f"{sum(c.cost_usd for c in calls):>10.4f}")
    if wall is not None:
        print(f"wall time of the whole command: {wall:.1f} s (includes model loading)")


def main() -> int:
    """Run or read a run and print its stage figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--run", help="an existing run directory")
    parser.add_argument("--direction", default="calibration of small neural network classifiers")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="settings override")
    args = parser.parse_args()
    if args.run:
        report(RunDir(Path(args.run)))
        return 0
    from proctor.agents import start_run
    from proctor.settings import load_settings

    settings = load_settings(None, args.overrides)
    started = time.perf_counter()
    run = asyncio.run(start_run(settings, args.direction))
    report(run, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
