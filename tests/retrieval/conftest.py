"""Fixtures: a hashing-embedder index in a temporary directory, and small corpora."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from proctor.retrieval import LiteratureIndex, RetrievalSettings

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"

PAPERS = [
    ("p1", "Sparse attention for long documents",
     "We propose a sparse attention mechanism that scales linearly with sequence length for long documents."),
    ("p2", "Graph neural networks for molecules",
     "A message passing graph neural network predicts molecular properties from atom and bond features."),
    ("p3", "Backdoor defenses in self-supervised learning",
     "We defend self-supervised learning against patch-based backdoor poisoning by searching for triggers."),
]


@pytest.fixture
def settings(tmp_path: Path) -> RetrievalSettings:
    return RetrievalSettings(embedder="hashing", index_dir=str(tmp_path / "index"), chunk_min_chars=40,
                             chunk_max_chars=400, top_k=5, top_papers=3)


@pytest.fixture
def index(settings: RetrievalSettings) -> LiteratureIndex:
    return LiteratureIndex(settings)


@pytest.fixture
def jsonl_gz(tmp_path: Path) -> Path:
    path = tmp_path / "papers.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for pid, title, abstract in PAPERS:
            fh.write(json.dumps({"id": pid, "title": title, "abstract": abstract, "year": 2022,
                                 "conference": "iclr"}) + "\n")
    return path


@pytest.fixture
def needs_shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (../shared is absent on this machine)")
    return SHARED
