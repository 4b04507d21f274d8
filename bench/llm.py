"""Benchmark the embedded ``local/gemma-3-270m`` engine.

Prints first-load time (fresh empty cache: assemble GGUF, dequantize, save safetensors)
versus cached-load time (median of 3 fresh subprocesses), and decode throughput for
free-text and JSON-schema-constrained generation (median over several prompts).

Usage::

    .venv/bin/python bench/llm.py [--runs 3] [--prompts 4] [--max-new-tokens 48]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from proctor.llm._local_engine import LocalEngine
e = LocalEngine(sys.argv[1])
print(json.dumps({"wall": time.perf_counter() - t0, "load": e.load_seconds,
                  "hit": e.cache_hit, "info": e.model_info()}))
"""

PROMPTS = [
    "The main advantage of renewable energy is",
    "User: Summarise the idea of gradient descent in one sentence.\n\nAssistant:",
    "def fibonacci(n):\n    ",
    "A short history of the printing press:",
    "Three open problems in protein structure prediction are",
    "Q: Why is the sky blue?\nA:",
]
SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "decision": {"enum": ["accept", "reject", "revise"]},
        "score": {"type": "integer", "minimum": 1, "maximum": 10},
        "keywords": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
    },
    "required": ["title", "decision", "score", "keywords"],
}


def _child_load(cache: Path) -> dict[str, object]:
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(cache)], cwd=root, check=True,
                          capture_output=True, text=True)
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def main() -> None:
    """Run the benchmark and print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="cached-load subprocesses")
    ap.add_argument("--prompts", type=int, default=4, help="prompts per throughput row")
    ap.add_argument("--max-new-tokens", type=int, default=48)
    args = ap.parse_args()
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="proctor-llm-bench-") as tmp:
        cache = Path(tmp)
        first = _child_load(cache)
        rows.append(("first load (empty cache)", f"{first['wall']:.1f} s",
                     f"engine {first['load']:.1f} s, incl. imports"))
        cached = [_child_load(cache) for _ in range(args.runs)]
        assert all(c["hit"] for c in cached)
        walls = [float(str(c["wall"])) for c in cached]
        rows.append((f"cached load (median of {args.runs})", f"{statistics.median(walls):.1f} s",
                     "runs: " + ", ".join(f"{w:.1f}" for w in walls)))

        from proctor.llm._local_engine import LocalEngine

        engine = LocalEngine(cache)
        prompts = (PROMPTS * 2)[: args.prompts]
        engine.generate(prompts[0], max_new_tokens=4)  # warm-up
        free = [engine.generate(p, max_new_tokens=args.max_new_tokens) for p in prompts]
        t0 = time.perf_counter()
        engine.generate(prompts[0], json_schema=SCHEMA, max_new_tokens=4)
        compile_s = time.perf_counter() - t0
        constrained = [engine.generate(f"{p}\nJSON review:\n", json_schema=SCHEMA,
                                       max_new_tokens=args.max_new_tokens) for p in prompts]
        for name, gens in (("free-text", free), ("schema-constrained", constrained)):
            rates = [g.completion_tokens / g.seconds for g in gens]
            toks = sum(g.completion_tokens for g in gens)
            rows.append((f"{name} decode (median)", f"{statistics.median(rates):.1f} tok/s",
                         f"{len(gens)} prompts, {toks} tokens"))
        rows.append(("grammar setup + first constrained call", f"{compile_s:.1f} s",
                     "tokenizer info + schema compile"))
        info = engine.model_info()
    import torch

    print(f"\nlocal/gemma-3-270m on {info['device']} ({info['dtype']}, "
          f"{torch.get_num_threads()} threads, {os.cpu_count()} CPUs)\n")
    width = max(len(r[0]) for r in rows)
    print(f"{'metric':<{width}}  {'value':>12}  notes")
    print(f"{'-' * width}  {'-' * 12}  {'-' * 30}")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")


if __name__ == "__main__":
    main()
