"""A chroma server with several writers: ``chroma run`` started here, three ingest processes writing to one
index at once through Proctor's store (``retrieval.server_url``), queries served while they write, and a
server restarted mid-ingest (the writers ride through it) or gone for good (a clear error, then a
resumed ingest with nothing lost).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from proctor.retrieval import ChromaServerUnavailable, LiteratureIndex, ingest, search

from ._corpus import paper, settings_for, write_corpus
from ._services import ChromaServer, wait_for

pytestmark = pytest.mark.scale

WORKER = Path(__file__).with_name("_ingest_worker.py")
PREFIXES = ("a", "b", "c")


def _writers(server: ChromaServer, tmp_path: Path, n: int) -> list[subprocess.Popen[str]]:
    procs = []
    for prefix in PREFIXES:
        corpus = write_corpus(tmp_path / f"{prefix}.jsonl.gz", prefix, n)
        procs.append(subprocess.Popen([sys.executable, str(WORKER), server.url, str(tmp_path / f"host-{prefix}"),
                                       str(corpus)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return procs


def _finish(procs: list[subprocess.Popen[str]]) -> list[dict[str, object]]:
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


def _assert_everything_stored(index: LiteratureIndex, n: int) -> None:
    assert index.papers.count() == len(PREFIXES) * n
    assert index.chunks.count() == len(PREFIXES) * n  # abstract-only papers: one passage each
    for prefix in PREFIXES:
        sample = [f"{prefix}{i:05d}" for i in range(0, n, max(1, n // 40))] + [f"{prefix}{n - 1:05d}"]
        assert index.papers.existing(sample) == set(sample)
        stored = index.papers.vectors(sample[:5])
        for pid, vec in stored.items():  # each writer's vectors are its own papers', not another's
            doc = paper(prefix, int(pid[len(prefix):]))
            expected = index.embedder.embed([f"{doc['title']}\n\n{doc['abstract']}"])[0]
            assert np.allclose(vec, expected, atol=1e-5), pid
        assert len(stored) == 5


def test_three_writers_while_queries_are_served(chroma_server: ChromaServer, tmp_path: Path) -> None:
    n = 2500
    reader = LiteratureIndex(settings_for(chroma_server.url, tmp_path / "reader"))
    procs = _writers(chroma_server, tmp_path, n)
    seen: list[int] = []
    answered_during_writes = 0
    try:
        while any(p.poll() is None for p in procs):
            hits = search(reader, "graph molecule attention", k=5) if seen and seen[-1] else []
            count = reader.papers.count()
            if any(p.poll() is None for p in procs):
                answered_during_writes += 1
                seen.append(count)
                assert not hits or len(hits) <= 5
            time.sleep(0.05)
        reports = _finish(procs)
    finally:
        for p in procs:
            p.kill()
    assert [r["papers"] for r in reports] == [n] * len(PREFIXES)
    assert answered_during_writes >= 5, seen
    assert seen == sorted(seen), "the count went backwards while writers were adding"
    assert any(0 < c < len(PREFIXES) * n for c in seen), f"no query saw a partly written index: {seen}"
    _assert_everything_stored(reader, n)
    top = search(reader, "b paper 7 calibration", k=3)
    assert top and top[0].passage.paper_id.startswith(("a", "b", "c"))


def test_server_restarted_mid_ingest_loses_nothing(chroma_server: ChromaServer, tmp_path: Path) -> None:
    n = 3500
    reader = LiteratureIndex(settings_for(chroma_server.url, tmp_path / "reader"))
    procs = _writers(chroma_server, tmp_path, n)
    try:
        wait_for("the writers to be part-way", lambda: reader.papers.count() >= n // 3, timeout=120, every=0.1)
        assert reader.papers.count() < len(PREFIXES) * n, "the writers finished before the restart"
        chroma_server.kill()  # SIGKILL: in-flight requests are dropped
        time.sleep(1.0)
        chroma_server.start()  # same path and port: the writers' retries find it again
        reports = _finish(procs)
    finally:
        for p in procs:
            p.kill()
    assert sum(int(r["papers"]) + int(r["papers_resumed"]) for r in reports) == len(PREFIXES) * n
    _assert_everything_stored(LiteratureIndex(settings_for(chroma_server.url, tmp_path / "reader2")), n)


def test_server_gone_is_a_clear_error_and_the_ingest_resumes(chroma_server: ChromaServer, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from proctor.retrieval import _store

    monkeypatch.setattr(_store, "SERVER_RETRY_S", 1.0)
    n = 6000
    corpus = write_corpus(tmp_path / "a.jsonl.gz", "a", n)
    index = LiteratureIndex(settings_for(chroma_server.url, tmp_path / "host"))
    failure: list[BaseException] = []

    def writer() -> None:
        try:
            ingest(index, [corpus], show_progress=False)
        except BaseException as exc:  # noqa: BLE001 - checked below
            failure.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    wait_for("the ingest to be part-way", lambda: index.papers.count() >= n // 4, timeout=120, every=0.1)
    chroma_server.kill()
    thread.join(120)
    assert len(failure) == 1 and isinstance(failure[0], ChromaServerUnavailable), failure
    assert re.search(rf"127\.0\.0\.1:{chroma_server.port} is unreachable.*resumes", str(failure[0])), failure[0]
    chroma_server.start()
    resumed = ingest(index, [corpus], show_progress=False)
    assert resumed.papers_resumed >= n // 4 and resumed.papers + resumed.papers_resumed == n
    assert index.papers.count() == n and index.chunks.count() == n
    again = ingest(index, [corpus], show_progress=False)  # recorded in the host's manifest: nothing redone
    assert again.papers == 0 and again.files_unchanged == [str(corpus)]
