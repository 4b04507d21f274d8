"""Retrieval benchmarks: ingest throughput, query latency, and Recall@10 on ICLR 2022 papers.

Figures printed:
1. Abstracts: ingest throughput (chunks/s) on a sample of the 18k-abstract corpus; query latency
   p50/p95 over the default index (all abstracts) when it is built, else over the sample.
2. ICLR 2022: each paper's abstract is cut out of its text; the bodies are indexed; each abstract is
   a query. Recall@10 = the right paper among the top 10 distinct papers, for ``paper`` (paper vectors
   only; bodies have no abstract, so a paper vector is the mean of its paragraph vectors),
   ``paragraph`` and ``two_stage``. Also ingest throughput and latency on that index.
3. Scale: store-side query latency at 100k paragraphs of the ICLR texts (paragraphs as the texts split
   them), embedded with a 384-wide hashing embedder (the store sees the same shapes as MiniLM, and 100k
   MiniLM embeddings take hours on 2 CPU cores); add MiniLM's query-embedding time from section 1.
4. Online (issue 16), through the local stand-in for Semantic Scholar/OpenAlex/arXiv of the tests
   (``tests/retrieval/online_server.py``, keyword search over the ICLR 2022 bench papers' titles and
   abstracts, PDFs drawn from their texts): Recall@10 of each paper's idea (title and two abstract
   sentences) over a local corpus (the 18k-abstract records of the bench papers it holds, and distractors)
   alone, and merged with online search, in the same run; HTTP requests per novelty check (search chain
   and full text of the 3 closest papers), and the cache hit rate when the same checks run again.
5. ``--calibrate``: the novelty rule's threshold (see ``proctor.retrieval._calibration``).

Usage: ``python bench/retrieval.py --quick`` (60 papers, first 15 paragraphs each, 500 abstracts),
or ``--papers N --max-chunks M --abstracts K``; ``--papers 0`` means all 500.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

import numpy as np

from proctor.retrieval import (
    Document,
    HashingEmbedder,
    Hit,
    LiteratureIndex,
    RetrievalSettings,
    add_documents,
    chunk_text,
    default_index_ready,
    search_many,
    search_vector,
)
from proctor.retrieval._chunking import ChunkerConfig
from proctor.retrieval._sources import guess_title, split_abstract

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
Q = TypeVar("Q")
ABSTRACTS = SHARED / "abstracts" / "ml-venues-2020-2024.jsonl.gz"
PAPERS = SHARED / "iclr2022-review-bench" / "papers.tar.gz"


def pct(values: list[float], q: float) -> float:
    """The q-th percentile, in milliseconds."""
    return float(np.percentile(np.asarray(values) * 1000, q))


def latency(fn: Callable[[Q], object], queries: Sequence[Q]) -> tuple[float, float]:
    """p50 and p95 of ``fn(query)`` in ms (one warm-up call first)."""
    fn(queries[0])
    times = []
    for q in queries:
        t = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - t)
    return pct(times, 50), pct(times, 95)


def load_papers(n: int, max_chunks: int, chunker: ChunkerConfig) -> tuple[list[Document], dict[str, str]]:
    """ICLR bodies with abstracts removed (cut after ``max_chunks`` paragraphs), and the abstracts."""
    docs, abstracts = [], {}
    with tarfile.open(PAPERS) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile() and m.name.endswith(".txt")),
                         key=lambda m: m.name)
        for m in members:
            fh = tar.extractfile(m)
            text = fh.read().decode("utf-8", errors="replace") if fh else ""
            abstract, body = split_abstract(text)
            if len(abstract) < 200:
                continue
            if max_chunks:
                chunks = chunk_text(body, chunker)
                if len(chunks) > max_chunks:
                    body = body[: chunks[max_chunks - 1].end]
            pid = Path(m.name).stem
            docs.append(Document(paper_id=pid, title=guess_title(text), text=body, source=m.name))
            abstracts[pid] = abstract
            if n and len(docs) >= n:
                break
    return docs, abstracts


def two_stage_legacy(index: LiteratureIndex, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
    """The two-stage search as it was before issue 18 (the baseline): stage-1 papers, a paragraph query
    filtered to them, a global paragraph query, the missing papers' vectors fetched, and a ``count()``
    before each query, as the store wrapper did. Returns ``(paper_id, score)`` best first, one per paper."""
    s = index.settings
    col_p, col_c = index.papers._col, index.chunks._col  # type: ignore[attr-defined]

    def query(col: object, n: int, where: dict | None = None) -> list[tuple[str, float, dict]]:
        n = min(n, col.count())  # type: ignore[attr-defined]
        res = col.query(query_embeddings=vector.reshape(1, -1), n_results=n, where=where,  # type: ignore[attr-defined]
                        include=["documents", "metadatas", "distances"])
        return [(i, 1.0 - d, m) for i, d, m in zip(res["ids"][0], res["distances"][0], res["metadatas"][0], strict=False)]

    paper_sim = {i: sim for i, sim, _ in query(col_p, s.top_papers)}
    cands: dict[str, tuple[float, dict]] = {}
    for i, sim, m in query(col_c, k * s.max_per_paper * 2, {"paper_id": {"$in": list(paper_sim)}}):
        cands[i] = (sim, m)
    for i, sim, m in query(col_c, k * s.max_per_paper):
        cands.setdefault(i, (sim, m))
    missing = sorted({str(m.get("paper_id")) for _, m in cands.values()} - set(paper_sim))
    if missing:
        got = col_p.get(ids=missing, include=["embeddings"])
        for i, e in zip(got["ids"], got["embeddings"], strict=False):
            paper_sim[i] = float(np.dot(np.asarray(e, dtype=np.float32), vector.reshape(-1)))
    w = s.paper_weight
    best: dict[str, float] = {}
    for sim, m in cands.values():
        pid = str(m.get("paper_id"))
        score = (1 - w) * sim + w * paper_sim.get(pid, sim)
        best[pid] = max(best.get(pid, -1.0), score)
    return sorted(best.items(), key=lambda kv: -kv[1])[:k]


def _papers(hits: list[Hit]) -> list[str]:
    return [h.passage.paper_id for h in hits]


def bench_abstracts(settings: RetrievalSettings, n: int, workdir: Path) -> None:
    """Section 1."""
    records = [json.loads(line) for line in gzip.open(ABSTRACTS, "rt")]
    sample = random.Random(0).sample(records, n)
    docs = [Document(paper_id=f"{r['id']}-{i}", title=r["title"], abstract=r["abstract"], text=r["abstract"],
                     source="bench", year=r.get("year"), venue=r.get("conference") or "")
            for i, r in enumerate(sample)]
    index = LiteratureIndex(settings, index_dir=workdir / "abstracts")
    report = add_documents(index, docs)
    print(f"[abstracts] ingest: {report.chunks} chunks from a sample of {n} of {len(records)} abstracts "
          f"in {report.seconds:.1f}s = {report.chunks_per_s:.1f} chunks/s ({index.embedder.identity})")
    default = LiteratureIndex(settings)
    target, what = (default, f"the default index ({default.papers.count()} papers)") \
        if default_index_ready(default) else (index, f"the {n}-abstract sample (default index not built)")
    queries = [r["title"] for r in random.Random(1).sample(records, 50)]
    p50, p95 = latency(lambda q: target.embedder.embed([q]), queries)
    print(f"[abstracts] query embedding alone: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    for mode in ("two_stage", "paragraph", "paper"):
        p50, p95 = latency(lambda q, m=mode: search_many(target, [q], mode=m), queries)  # type: ignore[misc]
        print(f"[abstracts] query latency over {what}, {mode}: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
              f"(50 title queries, embedding included)")
    # The table: the store's own top-k query against Proctor's modes, on vectors already in hand.
    vectors = [target.embedder.embed([q])[0] for q in queries]
    col, k = target.chunks._col, settings.top_k  # type: ignore[attr-defined]
    figures = {"chromadb top-k (baseline)": latency(lambda v: col.query(
        query_embeddings=v.reshape(1, -1), n_results=k, include=["documents", "metadatas", "distances"]), vectors)}
    for mode in ("paragraph", "two_stage"):
        figures[mode] = latency(lambda v, m=mode: search_vector(target, "", v, mode=m, k=k), vectors)  # type: ignore[misc]
    figures["two_stage before issue 18"] = latency(lambda v: two_stage_legacy(target, v, k), vectors)
    base = figures["chromadb top-k (baseline)"]
    for name, (p50, p95) in figures.items():
        print(f"[abstracts] {name} over {what}, query embedded: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
              f"(x{p50 / base[0]:.2f} / x{p95 / base[1]:.2f} of chromadb's own)")


def bench_iclr(settings: RetrievalSettings, n: int, max_chunks: int, workdir: Path) -> None:
    """Section 2."""
    index = LiteratureIndex(settings, index_dir=workdir / "iclr")
    docs, abstracts = load_papers(n, max_chunks, index.chunker)
    report = add_documents(index, docs)
    print(f"[iclr] ingest: {len(docs)} papers (abstracts removed, "
          f"{'first ' + str(max_chunks) + ' paragraphs each' if max_chunks else 'full bodies'}), "
          f"{report.chunks} chunks in {report.seconds:.1f}s = {report.chunks_per_s:.1f} chunks/s")
    ids = list(abstracts)
    queries = [abstracts[i] for i in ids]
    for mode in ("paper", "paragraph", "two_stage"):
        t = time.perf_counter()
        results = search_many(index, queries, mode=mode, k=10)  # type: ignore[arg-type]
        took = (time.perf_counter() - t) / len(queries)
        ranks = [next((h.rank for h in res if h.passage.paper_id == pid), None)
                 for pid, res in zip(ids, results, strict=True)]
        hits = sum(r is not None for r in ranks)
        at1 = sum(r == 1 for r in ranks) / len(ids)
        mrr = sum(1 / r for r in ranks if r) / len(ids)
        print(f"[iclr] Recall@10 {mode:>9}: {hits / len(ids):.3f} ({hits}/{len(ids)} abstracts as queries over "
              f"{len(docs)} papers), Recall@1 {at1:.3f}, MRR@10 {mrr:.3f}; {took * 1000:.0f} ms/query")
    vectors = index.embedder.embed(queries)
    legacy = [[pid for pid, _ in two_stage_legacy(index, v, 10)] for v in vectors]
    ranks = [lst.index(pid) + 1 if pid in lst else None for pid, lst in zip(ids, legacy, strict=True)]
    hits = sum(r is not None for r in ranks)
    print(f"[iclr] Recall@10 two_stage before issue 18 (baseline, 5 store calls): {hits / len(ids):.3f} "
          f"({hits}/{len(ids)}), Recall@1 {sum(r == 1 for r in ranks) / len(ids):.3f}, "
          f"MRR@10 {sum(1 / r for r in ranks if r) / len(ids):.3f}")
    for mode in ("two_stage", "paragraph"):
        p50, p95 = latency(lambda q, m=mode: search_many(index, [q], mode=m), [d.title for d in docs][:50])  # type: ignore[misc]
        print(f"[iclr] query latency over {index.chunks.count()} paragraphs, {mode}: "
              f"p50 {p50:.1f} ms, p95 {p95:.1f} ms")


def bench_scale(settings: RetrievalSettings, workdir: Path, target: int) -> None:
    """Section 3: ``target`` paragraphs (paragraphs as the texts split them, no merging of short ones)."""
    chunker = ChunkerConfig(0, settings.chunk_max_chars, tuple(settings.skip_sections))
    docs, _ = load_papers(0, 0, chunker)
    kept, total = [], 0
    for d in docs:
        n = len(chunk_text(d.text, chunker))
        if total + n > target:
            break
        kept.append(d)
        total += n
    scale_settings = settings.model_copy(update={"chunk_min_chars": 0})
    index = LiteratureIndex(scale_settings, embedder=HashingEmbedder(384), index_dir=workdir / "scale")
    report = add_documents(index, kept)
    print(f"[scale] {report.chunks} paragraphs of {len(kept)} papers stored in {report.seconds:.1f}s "
          f"({report.chunks_per_s:.0f} chunks/s with the hashing embedder: store + chunking cost)")
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((100, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    col = index.chunks._col  # type: ignore[attr-defined]
    k = settings.top_k
    figures: dict[str, tuple[float, float]] = {}
    for name, fn in (
            ("chromadb top-k (baseline)", lambda v: col.query(query_embeddings=v.reshape(1, -1), n_results=k,
                                                               include=["documents", "metadatas", "distances"])),
            ("paper", lambda v: index.papers.query(v, settings.top_papers)),
            ("in-20-papers", lambda v: index.chunks.query(
                v, 30, where={"paper_id": {"$in": [d.paper_id for d in kept[:20]]}})),
            ("two_stage before issue 18", lambda v: two_stage_legacy(index, v, k)),
            ("two_stage", lambda v: search_vector(index, "", v, mode="two_stage", k=k)),
            ("paragraph", lambda v: search_vector(index, "", v, mode="paragraph", k=k))):
        figures[name] = latency(fn, list(vectors))
        p50, p95 = figures[name]
        print(f"[scale] {name} at {index.chunks.count()} paragraphs: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    base = figures["chromadb top-k (baseline)"]
    for name in ("two_stage before issue 18", "two_stage", "paragraph"):
        print(f"[scale] {name} / chromadb top-{k}: p50 x{figures[name][0] / base[0]:.2f}, "
              f"p95 x{figures[name][1] / base[1]:.2f} (goal for two_stage: p95 at most x1.5)")
    same = 0
    for v in vectors:
        new_ids = _papers(search_vector(index, "", v, mode="two_stage", k=k))
        old_ids = [pid for pid, _ in two_stage_legacy(index, v, k)]
        same += len(set(new_ids) & set(old_ids))
    print(f"[scale] overlap of the top-{k} papers, two_stage now vs before: {same / (k * len(vectors)):.3f}")


def _norm(title: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in title.lower()).split())


def bench_online(settings: RetrievalSettings, n: int, distractors: int, checks: int, workdir: Path) -> None:
    """Section 4."""
    import asyncio
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from proctor.retrieval import (
        CalibrationPaper,
        OnlineLiterature,
        afetch_fulltext,
        hit_origin,
        merged_search,
        open_online_index,
    )
    from proctor.retrieval._calibration import idea_of
    from tests.retrieval.online_server import FakePaper, online_overrides, serve

    chunker = ChunkerConfig(settings.chunk_min_chars, settings.chunk_max_chars, tuple(settings.skip_sections))
    docs, abstracts = load_papers(n, 15, chunker)
    bench = {_norm(d.title): d for d in docs}
    records = [json.loads(line) for line in gzip.open(ABSTRACTS, "rt")]
    covered = [r for r in records if _norm(r["title"]) in bench]
    others = [r for r in records if _norm(r["title"]) not in bench]
    local_records = covered + random.Random(0).sample(others, min(distractors, len(others)))
    local = LiteratureIndex(settings, index_dir=workdir / "online-local")
    add_documents(local, [Document(paper_id=f"{r['id']}-{i}", title=r["title"], abstract=r["abstract"],
                                   text=r["abstract"], source="local", year=r.get("year"))
                          for i, r in enumerate(local_records)])
    fakes = [FakePaper(d.paper_id, d.title, " ".join(abstracts[d.paper_id].split()), arxiv_id=f"2201.{i:05d}",
                       body=[(c.section or "Body", c.text) for c in chunk_text(d.text, chunker)[:6]])
             for i, d in enumerate(docs)]
    ideas = {d.paper_id: idea_of(CalibrationPaper(paper_id=d.paper_id, title=d.title,
                                                  abstract=abstracts[d.paper_id], body="")) for d in docs}
    print(f"[online] {len(docs)} ICLR 2022 bench papers, {len(covered)} of them in the local corpus "
          f"({len(local_records)} abstracts with {len(local_records) - len(covered)} distractors); "
          f"the online stand-in serves all {len(docs)}")
    with serve(fakes) as fake:
        from proctor.settings import load_settings

        flags = [*online_overrides(fake.base, str(workdir / "http")), f"retrieval.embedder={settings.embedder}",
                 f"retrieval.online.index_dir={workdir / 'online-1'}", "retrieval.max_per_paper=1"]
        s1 = load_settings(None, flags).retrieval
        lit = OnlineLiterature(s1, embedder=local.embedder)
        found = {"local": 0, "merged": 0}
        started = time.perf_counter()
        for d in docs:
            q = ideas[d.paper_id]
            lit.store(lit.search(q).papers)
            for name, indexes in (("local", [local]), ("merged", [local, lit.index])):
                hits = merged_search(indexes, [q], k=10)[0]
                found[name] += _norm(d.title) in {_norm(h.passage.title) for h in hits}
        took = (time.perf_counter() - started) / len(docs)
        for name in ("local", "merged"):
            print(f"[online] Recall@10 {name:>6}: {found[name] / len(docs):.3f} ({found[name]}/{len(docs)} ideas "
                  f"as queries){'' if name == 'local' else f'; {took * 1000:.0f} ms per query with its online search'}")
        lit.close()

        def novelty_checks(online_dir: str) -> tuple[float, float | None, list[str]]:
            s = load_settings(None, [*flags, f"retrieval.online.index_dir={workdir / online_dir}"]).retrieval
            checker = OnlineLiterature(s, embedder=local.embedder, index=open_online_index(s, embedder=local.embedder))
            origins: list[str] = []
            for d in docs[:checks]:
                queries = [ideas[d.paper_id], d.title]
                papers = {}
                for q in queries:
                    result = checker.search(q)
                    checker.store(result.papers)
                    papers.update({p.paper_id: p for p in result.papers})
                hits = merged_search([local, checker.index], queries, k=5)
                closest = list(dict.fromkeys(h.passage.paper_id for per in hits for h in per
                                             if h.passage.paper_id in papers))[:3]
                asyncio.run(afetch_fulltext(checker, [papers[i] for i in closest]))
                origins += [hit_origin(h) for h in merged_search([local, checker.index], queries, k=5)[0]]
            stats = checker.http.stats
            checker.close()
            return sum(stats.sent.values()) / checks, stats.hit_rate(), origins

        per_check, _, origins = novelty_checks("online-2")
        print(f"[online] HTTP requests per novelty check (2 queries, full text of the 3 closest online papers): "
              f"{per_check:.1f} over {checks} checks; evidence origins: "
              f"{', '.join(f'{o} {origins.count(o)}' for o in sorted(set(origins)))}")
        again, hit_rate, _ = novelty_checks("online-3")  # a fresh online index, the same HTTP cache
        print(f"[online] the same {checks} checks again: {again:.1f} requests per check, cache hit rate "
              f"{hit_rate if hit_rate is not None else float('nan'):.3f}")


def bench_calibrate(settings: RetrievalSettings, n: int, max_chunks: int, write: bool) -> None:
    """Section 5: the novelty rule's threshold on labelled ICLR 2022 pairs (known: an idea vs its own
    paper; novel: the same idea vs the closest paragraph of every other paper)."""
    import pprint

    from proctor.retrieval import CalibrationPaper, calibrate, get_embedder

    chunker = ChunkerConfig(settings.chunk_min_chars, settings.chunk_max_chars, tuple(settings.skip_sections))
    docs, abstracts = load_papers(n, 0, chunker)
    papers = [CalibrationPaper(paper_id=d.paper_id, title=d.title, abstract=abstracts[d.paper_id], body=d.text)
              for d in docs]
    started = time.perf_counter()
    cal = calibrate(papers, get_embedder(settings), chunker, max_chunks=max_chunks,
                    data=f"ICLR 2022 review bench ({len(papers)} papers, abstracts cut out of the bodies, "
                         f"{'first ' + str(max_chunks) + ' paragraphs' if max_chunks else 'all paragraphs'} each)",
                    command=f"python bench/retrieval.py --calibrate --embedder {settings.embedder} "
                            f"--papers {n} --max-chunks {max_chunks}")
    print(f"[calibrate] {cal.embedder}: threshold {cal.threshold:.4f} on {cal.papers} papers "
          f"({cal.positives} known / {cal.negatives} novel pairs) in {time.perf_counter() - started:.0f}s")
    print(f"[calibrate] chosen on half: {cal.train}; held-out half: {cal.test}")
    if write:
        from proctor.retrieval import _calibration_data as shipped

        table = dict(shipped.CALIBRATIONS)
        table[cal.embedder] = cal.model_dump()
        path = Path(shipped.__file__)
        head = path.read_text().split("CALIBRATIONS:")[0]
        path.write_text(head + "CALIBRATIONS: dict[str, dict[str, Any]] = " + pprint.pformat(table, width=110) + "\n")
        print(f"[calibrate] written to {path}")


def main() -> None:
    """Parse options and run the sections."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="60 papers x 15 paragraphs, 500 abstracts")
    ap.add_argument("--papers", type=int, default=0, help="ICLR papers to index (0 = all 500)")
    ap.add_argument("--max-chunks", type=int, default=0, help="paragraphs kept per paper (0 = all)")
    ap.add_argument("--abstracts", type=int, default=2000, help="abstracts in the ingest sample")
    ap.add_argument("--embedder", default="minilm")
    ap.add_argument("--scale-paragraphs", type=int, default=100_000, help="paragraphs in the scale section")
    ap.add_argument("--skip", nargs="*", default=[], choices=["abstracts", "iclr", "scale", "online"])
    ap.add_argument("--checks", type=int, default=20, help="novelty checks in the online section")
    ap.add_argument("--calibrate", action="store_true",
                    help="only compute the novelty rule's threshold on ICLR 2022 pairs (--papers, --max-chunks)")
    ap.add_argument("--write-calibration", action="store_true",
                    help="with --calibrate: store it in proctor/retrieval/_calibration_data.py")
    args = ap.parse_args()
    if args.quick:
        args.papers, args.max_chunks, args.abstracts = args.papers or 60, args.max_chunks or 15, 500
    if not PAPERS.exists():
        raise SystemExit(f"shared data not found at {SHARED}")
    if args.calibrate:
        bench_calibrate(RetrievalSettings(embedder=args.embedder), args.papers, args.max_chunks,
                        args.write_calibration)
        return
    settings = RetrievalSettings(embedder=args.embedder, max_per_paper=1)
    print(f"settings: embedder={args.embedder} chunk {settings.chunk_min_chars}-{settings.chunk_max_chars} chars, "
          f"top_papers={settings.top_papers}, paper_weight={settings.paper_weight}, max_per_paper=1")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="proctor-bench-") as tmp:
        work = Path(tmp)
        if "abstracts" not in args.skip:
            bench_abstracts(settings, args.abstracts, work)
        if "iclr" not in args.skip:
            bench_iclr(settings, args.papers, args.max_chunks, work)
        if "scale" not in args.skip:
            bench_scale(settings, work, args.scale_paragraphs)
        if "online" not in args.skip:
            bench_online(settings, args.papers or 500, args.abstracts, args.checks, work)
    print(f"total {statistics.fmean([time.perf_counter() - started]):.0f}s")


if __name__ == "__main__":
    main()
