"""A real ``kill -9`` of ``proctor corpus add`` mid-ingest, then the same command again.

The second run must reuse what the killed one committed (the stale writer lock is not a blocker),
finish the file, and leave exactly one paper and one chunk per record: no duplicates, nothing lost,
and a searchable index.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from proctor.retrieval import LiteratureIndex, RetrievalSettings, search

N = 6000


def _corpus(path: Path) -> Path:
    words = "model training gradient attention transformer loss data robust calibration sparse kernel".split()
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(N):
            body = " ".join(words[(i * 7 + j * 3) % len(words)] for j in range(50))
            fh.write(json.dumps({"id": f"p{i}", "title": f"Paper {i} on {words[i % len(words)]}",
                                 "abstract": f"{body} number {i}.", "conference": "x", "year": 2022}) + "\n")
    return path


def _stored_rows(index_dir: Path) -> int:
    db = index_dir / "chroma" / "chroma.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM embeddings").fetchone()[0])
    except sqlite3.Error:
        return 0


def _add(corpus: Path, index_dir: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", "from proctor.cli.main import main; main()", "corpus", "add", str(corpus),
           "--set", f"retrieval.index_dir={index_dir}", "--set", "retrieval.embedder=hashing"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)


def test_kill_9_mid_ingest_then_resume(tmp_path: Path) -> None:
    corpus, index_dir = _corpus(tmp_path / "big.jsonl.gz"), tmp_path / "index"
    first = _add(corpus, index_dir)
    deadline = time.monotonic() + 120
    while _stored_rows(index_dir) < 1000 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert first.poll() is None, "the ingest finished before it could be killed; make the corpus bigger"
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    partial = _stored_rows(index_dir)
    assert 0 < partial < 2 * N
    second = _add(corpus, index_dir)
    out = second.communicate(timeout=300)[0].decode()
    assert second.returncode == 0, out
    assert "already stored by an interrupted run" in out
    index = LiteratureIndex(RetrievalSettings(embedder="hashing", index_dir=str(index_dir)))
    assert index.papers.count() == N and index.chunks.count() == N
    assert len(index.manifest.entries) == 1
    hits = search(index, "Paper 4321 on transformer", mode="paper", k=3)
    assert hits and hits[0].passage.paper_id.startswith("p")
