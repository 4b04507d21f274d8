"""Benchmark the reviewer on the ICLR 2022 review bench.

Usage: ``python bench/review.py [--n N] [--seed S] [--set KEY=VALUE ...] [--json OUT]``

* always: the metrics of every released AI Scientist review CSV (the reproduction of the
  published figures: gpt-4o, 1-shot, reflect 5, ensemble 5 gives balanced accuracy 0.65, F1 0.57,
  AUC 0.65, FPR 0.31 at Overall >= 6);
* with ``--n N``: our reviewer, with the configured ``reviewer`` model and ``review.*`` settings,
  on N seeded sample papers, printing the wall time of each review and the metrics.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from pathlib import Path
from typing import Any

from proctor.review import ReviewSettings, evaluate_reviews, find_bench_dir, run_bench
from proctor.settings import Settings, load_settings, parse_overrides


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:5.2f}"


def _line(name: str, m: Any) -> str:
    return (f"{name:<80} n={m.n:3d} bal_acc {_fmt(m.balanced_accuracy)} f1 {_fmt(m.f1)} auc {_fmt(m.auc)} "
            f"auc_overall {_fmt(m.auc_overall)} fpr {_fmt(m.fpr)}")


def released(bench: Path) -> dict[str, Any]:
    """Metrics of every released reviews CSV."""
    out = {}
    for path in sorted((bench / "llm_reviews").glob("*.csv")):
        metrics = evaluate_reviews(path, bench / "ratings_subset.tsv", threshold=6)
        print(_line(path.stem, metrics))
        out[path.stem] = metrics.model_dump()
    return out


def ours(n: int, seed: int, overrides: list[str]) -> dict[str, Any]:
    """Review ``n`` sampled papers with the configured reviewer; print per-review wall time."""
    own = [o for o in overrides if o.startswith("review.")]
    settings = load_settings(None, [o for o in overrides if o not in own]) if "review" not in Settings.model_fields \
        else load_settings(None, overrides)
    review = getattr(settings, "review", None) or ReviewSettings(**parse_overrides(own).get("review", {}))
    print(f"\nreviewing {n} papers with {settings.llm.reviewer} ({review.model_dump_json()})")
    result = asyncio.run(run_bench(settings, n=n, seed=seed, review=review, on_row=lambda row: print(
        f"  {row.paper_id}: {row.seconds:7.1f} s  "
        + (f"Overall {row.review.overall}" if row.review else f"failed ({row.error})")
        + f"  (really {'accepted' if row.accepted else 'rejected'})", flush=True)))
    times = [r.seconds for r in result.rows]
    print(f"wall time per review: mean {statistics.fmean(times):.1f} s, max {max(times):.1f} s")
    if result.metrics is not None:
        print(_line(f"ours: {result.model}", result.metrics))
    return result.model_dump(mode="json")


def main() -> None:
    """Parse arguments, print the reproduction and, with ``--n``, our reviewer's metrics."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=0, help="Papers to review with our reviewer (0: none).")
    parser.add_argument("--seed", type=int, default=0, help="Sampling seed.")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--json", type=Path, default=None, help="Write every figure to this JSON file.")
    args = parser.parse_args()
    bench = find_bench_dir()
    report: dict[str, Any] = {"released": released(bench)}
    if args.n:
        report["ours"] = ours(args.n, args.seed, args.overrides)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
