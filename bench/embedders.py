"""Embedders side by side: all-MiniLM-L6-v2 on torch (``minilm``) against int8 ONNX (``minilm-int8``).

Figures printed, both embedders in the same run on the same texts (read the ratios: the machine is
shared and noisy):
1. Throughput: paragraphs of the ICLR 2022 bodies embedded per second, median of ``--reps`` passes,
   and the ratio int8 / torch; the mean and lowest cosine between the two embeddings of a text.
2. Recall@10 on the ICLR 2022 set as ``bench/retrieval.py`` measures it (each paper's abstract cut
   out of its text and used as the query over the bodies' paragraphs, ``two_stage`` search), with
   Recall@1 and MRR@10, for each embedder; the issue's bar is int8 within 0.01 of torch.
3. The one-off cost of the int8 model: export and quantization time (cached afterwards).

Usage: ``python bench/embedders.py [--papers 0] [--max-chunks 15] [--texts 512] [--reps 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from retrieval import load_papers  # noqa: E402  (the ICLR loader of bench/retrieval.py)

from proctor.retrieval import (  # noqa: E402
    ChunkerConfig,
    Embedder,  # noqa: E402
    LiteratureIndex,
    RetrievalSettings,
    add_documents,
    chunk_text,
    get_embedder,
    search_many,
)
from proctor.retrieval._onnx import onnx_model_dir  # noqa: E402
from proctor.retrieval._sentence import minilm_path  # noqa: E402

NAMES = ("minilm", "minilm-int8", "minilm-int8-256")


def build(name: str) -> Embedder:
    """The embedder ``name`` (``minilm-int8-256``: the int8 model cutting texts at 256 tokens like ``minilm``)."""
    return get_embedder(RetrievalSettings(embedder=name, device="cpu"))


def throughput(texts: list[str], reps: int) -> dict[str, np.ndarray]:
    """Passes alternate between the embedders (A B A B ...), so load on a shared machine hits both alike."""
    embs = {name: build(name) for name in NAMES}
    times: dict[str, list[float]] = {name: [] for name in NAMES}
    vectors = {}
    for emb in embs.values():
        emb.embed(texts[:8])  # warm-up
    for _ in range(reps):
        for name, emb in embs.items():
            t = time.perf_counter()
            vectors[name] = emb.embed(texts)
            times[name].append(time.perf_counter() - t)
    rates = {name: len(texts) / statistics.median(t) for name, t in times.items()}
    for name in NAMES:
        print(f"[speed] {name:>12}: {rates[name]:.1f} paragraphs/s (median of {reps} alternating passes over "
              f"{len(texts)}; {embs[name].identity})")
    for name in NAMES[1:]:
        cos = (vectors["minilm"] * vectors[name]).sum(axis=1)
        print(f"[speed] {name} / torch: x{rates[name] / rates['minilm']:.2f}; cosine between the two "
              f"embeddings of a text: mean {cos.mean():.4f}, lowest {cos.min():.4f}")
    return vectors


def recall(n: int, max_chunks: int, workdir: Path) -> None:
    results = {}
    for name in NAMES:
        index = LiteratureIndex(RetrievalSettings(embedder=name, device="cpu"), index_dir=workdir / name)
        docs, abstracts = load_papers(n, max_chunks, index.chunker)
        t = time.perf_counter()
        report = add_documents(index, docs)
        ingest = time.perf_counter() - t
        ids = list(abstracts)
        hits = search_many(index, [abstracts[i] for i in ids], mode="two_stage", k=10)
        ranks = [next((h.rank for h in res if h.passage.paper_id == pid), None)
                 for pid, res in zip(ids, hits, strict=True)]
        found = sum(r is not None for r in ranks)
        results[name] = found / len(ids)
        print(f"[iclr] {name:>12}: Recall@10 {found / len(ids):.3f} ({found}/{len(ids)}), Recall@1 "
              f"{sum(r == 1 for r in ranks) / len(ids):.3f}, MRR@10 {sum(1 / r for r in ranks if r) / len(ids):.3f}; "
              f"ingest {report.chunks} chunks in {ingest:.1f}s = {report.chunks / ingest:.1f} chunks/s")
    for name in NAMES[1:]:
        gap = results["minilm"] - results[name]
        print(f"[iclr] Recall@10 torch - {name}: {gap:+.3f} ({'within' if gap <= 0.01 else 'NOT within'} 0.01)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--papers", type=int, default=0, help="ICLR papers (0 = all)")
    ap.add_argument("--max-chunks", type=int, default=15, help="paragraphs kept per paper (0 = all)")
    ap.add_argument("--texts", type=int, default=512, help="paragraphs in the throughput pass")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--skip-recall", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        onnx_model_dir(minilm_path(), root=Path(tmp) / "models")
        print(f"[export] int8 ONNX export and quantization from scratch: {time.perf_counter() - t:.1f}s "
              "(once; cached in ~/.cache/proctor/models/minilm-int8)")
    defaults = RetrievalSettings()
    chunker = ChunkerConfig(defaults.chunk_min_chars, defaults.chunk_max_chars, tuple(defaults.skip_sections))
    docs, _ = load_papers(60, 0, chunker)
    texts = [c.text for d in docs for c in chunk_text(d.text, chunker)][:args.texts]
    throughput(texts, args.reps)
    if not args.skip_recall:
        with tempfile.TemporaryDirectory() as tmp:
            recall(args.papers, args.max_chunks, Path(tmp))


if __name__ == "__main__":
    main()
