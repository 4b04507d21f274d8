"""Ingest: caching by content, replacement of changed files, resume after a kill, the writer lock."""

from __future__ import annotations

import gzip
import json
import tarfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from proctor.retrieval import HashingEmbedder, IndexLocked, LiteratureIndex, RetrievalSettings, ingest
from proctor.retrieval._lock import index_lock
from tests.retrieval.retrieval_helpers import paper_text


class CountingEmbedder(HashingEmbedder):
    """Hashing embedder that counts texts and can die after ``fail_after`` calls."""

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__(64)
        self.texts = 0
        self.calls = 0
        self.fail_after = fail_after

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise KeyboardInterrupt("killed")
        self.texts += len(texts)
        return super().embed(texts)


def _tarball(tmp_path: Path, n: int) -> Path:
    src = tmp_path / "src" / "papers"
    src.mkdir(parents=True)
    for i in range(n):
        (src / f"paper{i}.txt").write_text(paper_text(
            f"Paper {i}", f"Abstract of paper {i} about topic {i} with enough words to count. " * 3,
            f"Body of paper {i} discussing topic {i} in some depth. " * 12))
    path = tmp_path / "papers.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        tar.add(src, arcname="papers")
    return path


def test_add_then_readd_embeds_nothing(settings: RetrievalSettings, jsonl_gz: Path) -> None:
    emb = CountingEmbedder()
    index = LiteratureIndex(settings, embedder=emb)
    report = ingest(index, [jsonl_gz], show_progress=False)
    assert report.papers == 3 and report.chunks == 3 and emb.texts == 3  # abstract: one shared vector
    copy = jsonl_gz.with_name("copy.jsonl.gz")
    copy.write_bytes(jsonl_gz.read_bytes())
    again = ingest(LiteratureIndex(settings, embedder=emb), [jsonl_gz, copy], show_progress=False)
    assert again.files_unchanged == [str(jsonl_gz), str(copy)] and again.chunks == 0 and emb.texts == 3


def test_changed_file_replaces_its_old_chunks(settings: RetrievalSettings, tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\nFirst version of a paragraph about sparse attention in transformers.")
    index = LiteratureIndex(settings)
    ingest(index, [path], show_progress=False)
    path.write_text("# Notes\n\nSecond version, now about graph neural networks for molecules.")
    ingest(index, [path], show_progress=False)
    assert index.chunks.count() == 1 and index.papers.count() == 1
    [hit] = index.chunks.query(index.embedder.embed(["graph neural networks"])[0], 1)
    assert "Second version" in hit.document


def test_killed_ingest_resumes_without_duplicates(settings: RetrievalSettings, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import proctor.retrieval._ingest as ingest_mod

    monkeypatch.setattr(ingest_mod, "BATCH_CHARS", 2000)  # several batches for a few papers
    tar = _tarball(tmp_path, 6)
    full = LiteratureIndex(settings.model_copy(update={"index_dir": str(tmp_path / "ref")}))
    ingest(full, [tar], show_progress=False)
    dying = LiteratureIndex(settings, embedder=CountingEmbedder(fail_after=3))
    with pytest.raises(KeyboardInterrupt):
        ingest(dying, [tar], show_progress=False)
    assert 0 < dying.papers.count() < 6 and not dying.manifest.entries
    resumed = LiteratureIndex(settings, embedder=CountingEmbedder())
    report = ingest(resumed, [tar], show_progress=False)
    assert report.papers_resumed > 0 and report.files_added == [str(tar)]
    assert resumed.papers.count() == full.papers.count() == 6
    assert resumed.chunks.count() == full.chunks.count()


def test_second_writer_is_refused(settings: RetrievalSettings, jsonl_gz: Path) -> None:
    index = LiteratureIndex(settings)
    assert index.index_dir is not None
    with index_lock(index.index_dir), pytest.raises(IndexLocked, match="being written by another process"):
        ingest(index, [jsonl_gz], show_progress=False)
    assert index.papers.count() == 0
    assert ingest(index, [jsonl_gz], show_progress=False).papers == 3  # lock released


def test_bad_inputs_are_reported_and_good_ones_indexed(settings: RetrievalSettings, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "ok.txt").write_text("A perfectly fine paragraph about reinforcement learning agents.")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (folder / "empty.md").write_text("")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (folder / "latin1.txt").write_bytes("Un caf\u00e9 tr\u00e8s fort, ".encode("latin-1") * 2
                                        + b"plus a long enough ascii tail to be mostly valid text. " * 10)
    (folder / "table.xlsx").write_bytes(b"PK")
    records = folder / "bad.jsonl"
    records.write_text('{"id": "z", "title": "Z", "abstract": "zeta function approximations"}\n{oops\n')
    report = ingest(LiteratureIndex(settings), [folder, tmp_path / "missing.pdf"], show_progress=False)
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    assert reasons["broken.pdf"].startswith("corrupt PDF")
    assert reasons["empty.md"] == "empty file"
    assert "NUL" in reasons["binary.txt"] or "not UTF-8" in reasons["binary.txt"]
    assert reasons["table.xlsx"] == "unsupported file type"
    assert reasons["missing.pdf"] == "no such file or directory"
    assert any("U+FFFD" in n.reason for n in report.notes)
    assert report.papers == 3  # ok.txt, latin1.txt, bad.jsonl's one record


def test_jsonl_gz_with_bodies_uses_abstract_for_paper_vector(settings: RetrievalSettings, tmp_path: Path) -> None:
    path = tmp_path / "full.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps({"id": "a", "title": "T", "abstract": "An abstract.",
                             "text": "Para one is long enough to be its own chunk.\n\nPara two as well, yes."}))
    index = LiteratureIndex(settings)
    assert ingest(index, [path], show_progress=False).chunks == 2
    [paper] = index.papers.query(index.embedder.embed(["abstract"])[0], 1)
    assert paper.document == "An abstract." and paper.metadata["has_abstract"] == 1
