"""Adding files to the index: read, chunk, embed, upsert, then record in the manifest.

Steps per file:
1. Hash it; a file whose content is in the manifest is skipped without embedding anything.
2. If the same path was indexed with other content, delete its old papers and chunks.
3. Read documents in batches; papers already stored (an earlier, killed ingest) are skipped, so a
   resumed ingest neither duplicates nor re-embeds them (chunk ids are deterministic and writes upsert).
4. Embed and upsert the paragraphs, then the paper vector (title + abstract, or the mean of its
   paragraph vectors when there is no abstract), so a stored paper implies its chunks are stored.
5. Record the file in the manifest only after all its documents are committed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
from rich.text import Text

from proctor.log import emit
from proctor.retrieval._chunking import chunk_id, chunk_text
from proctor.retrieval._events import RetrievalEvent
from proctor.retrieval._index import LiteratureIndex
from proctor.retrieval._lock import index_lock
from proctor.retrieval._manifest import file_sha256
from proctor.retrieval._sources import Skip, SourceError, kind_of, read_documents
from proctor.retrieval._store import Metadata
from proctor.retrieval._types import Chunk, Document

BATCH_CHARS = 400_000  # documents are read in batches of about this much text (~500 chunks)


class IngestReport(BaseModel):
    """What an ingest did, and what it skipped and why."""

    files_added: list[str] = Field(default_factory=list)
    files_unchanged: list[str] = Field(default_factory=list, description="Already indexed (same content).")
    papers: int = Field(default=0, description="Papers added.")
    papers_resumed: int = Field(default=0, description="Papers already stored by an interrupted ingest.")
    chunks: int = Field(default=0, description="Chunks embedded and stored.")
    skipped: list[Skip] = Field(default_factory=list, description="Files, members or records not indexed.")
    notes: list[Skip] = Field(default_factory=list, description="Indexed with a caveat (e.g. bad bytes).")
    seconds: float = 0.0

    @property
    def chunks_per_s(self) -> float:
        """Ingest throughput."""
        return self.chunks / self.seconds if self.seconds else 0.0


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} chunks/s" if speed else "… chunks/s", style="cyan")


def expand_paths(paths: Iterable[Path], report: IngestReport) -> list[Path]:
    """Files named, and supported files under directories named (sorted); the rest is reported."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for sub in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                if kind_of(sub) is None:
                    report.skipped.append(Skip(path=str(sub), reason="unsupported file type"))
                else:
                    files.append(sub)
        elif path.is_file():
            files.append(path)
        else:
            report.skipped.append(Skip(path=str(path), reason="no such file or directory"))
    return files


def _batches(docs: Iterator[Document], chars: int) -> Iterator[list[Document]]:
    batch: list[Document] = []
    size = 0
    for doc in docs:
        batch.append(doc)
        size += len(doc.text) + len(doc.abstract)
        if size >= chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _embed(index: LiteratureIndex, texts: list[str], tick: Callable[[int], None]) -> np.ndarray:
    step = index.settings.batch_size * 4
    parts = []
    for i in range(0, len(texts), step):
        parts.append(index.embedder.embed(texts[i:i + step]))
        tick(len(parts[-1]))
    return np.concatenate(parts) if parts else np.zeros((0, index.embedder.dim), dtype=np.float32)


def _meta(doc: Document, file: str, **extra: str | int) -> Metadata:
    meta: Metadata = {"paper_id": doc.paper_id, "title": doc.title[:500], "source": doc.source,
                      "file": file, "venue": doc.venue, **extra}
    if doc.authors:
        meta["authors"] = doc.authors
    if doc.year is not None:
        meta["year"] = doc.year
    return meta


def _add_batch(index: LiteratureIndex, docs: Sequence[Document], file: str, report: IngestReport,
               seen: set[str], tick: Callable[[int], None]) -> None:
    fresh: list[Document] = []
    for doc in docs:
        if doc.paper_id in seen:
            report.skipped.append(Skip(path=doc.source, reason=f"duplicate paper id {doc.paper_id!r}"))
        else:
            seen.add(doc.paper_id)
            fresh.append(doc)
    done = index.papers.existing([d.paper_id for d in fresh])
    report.papers_resumed += len(done)
    ids: list[str] = []
    texts: list[str] = []
    metas: list[Metadata] = []
    spans: dict[str, tuple[int, int]] = {}
    abstract_only: dict[str, int] = {}
    todo = []
    for doc in fresh:
        if doc.paper_id in done:
            continue
        if doc.abstract and doc.text.strip() == doc.abstract.strip():
            # An abstract-only record is one passage (not split): its vector is also the paper vector.
            lead = len(doc.text) - len(doc.text.lstrip())
            chunks = [Chunk(section="abstract", start=lead, end=lead + len(doc.text.strip()),
                            text=doc.text.strip())]
        else:
            chunks = chunk_text(doc.text, index.chunker)
        if not chunks:
            report.skipped.append(Skip(path=doc.source, reason=f"paper {doc.paper_id!r} has no indexable text"))
            continue
        todo.append(doc)
        first = len(ids)
        for c in chunks:
            ids.append(chunk_id(doc.paper_id, c))
            texts.append(c.text)
            metas.append(_meta(doc, file, section=c.section[:200], start=c.start, end=c.end))
        spans[doc.paper_id] = (first, len(ids))
        if doc.abstract and len(chunks) == 1 and chunks[0].text == doc.abstract.strip():
            abstract_only[doc.paper_id] = first  # one embedding serves paper and paragraph
    paper_texts = [f"{d.title}\n\n{d.abstract}".strip() for d in todo if d.abstract]
    paper_vecs = iter(_embed(index, paper_texts, tick))
    vectors = np.zeros((len(ids), index.embedder.dim), dtype=np.float32)
    by_paper: dict[str, np.ndarray] = {}
    for d in todo:
        if d.abstract:
            by_paper[d.paper_id] = next(paper_vecs)
            if d.paper_id in abstract_only:
                vectors[abstract_only[d.paper_id]] = by_paper[d.paper_id]
    reused = set(abstract_only.values())
    rest = [i for i in range(len(ids)) if i not in reused]
    if rest:
        vectors[rest] = _embed(index, [texts[i] for i in rest], tick)
    if ids:
        index.chunks.upsert(ids, vectors, texts, metas)
    p_ids, p_vecs, p_docs, p_metas = [], [], [], []
    for d in todo:
        a, b = spans[d.paper_id]
        vec = by_paper.get(d.paper_id)
        if vec is None:
            mean = vectors[a:b].mean(axis=0)
            vec = mean / (np.linalg.norm(mean) or 1.0)
        p_ids.append(d.paper_id)
        p_vecs.append(vec)
        p_docs.append(d.abstract or texts[a])
        p_metas.append(_meta(d, file, chunks=b - a, has_abstract=int(bool(d.abstract))))
    if p_ids:
        index.papers.upsert(p_ids, np.asarray(p_vecs, dtype=np.float32), p_docs, p_metas)
    report.papers += len(p_ids)
    report.chunks += len(ids)


def ingest(
    index: LiteratureIndex,
    paths: Iterable[str | Path],
    *,
    show_progress: bool = True,
    console: Console | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Add files and directories to the index (see the module docstring for the steps).

    Args:
        index: the index to write to.
        paths: files (JSONL(.gz), PDF, Markdown/text, tarballs of text papers) and directories.
        show_progress: draw a rich progress bar with chunks/s.
        console: where the progress bar goes.
        on_progress: called with the number of chunks each stored batch added (a caller's own progress
            display, e.g. ``proctor setup``'s).

    Returns:
        The report: files added and unchanged, counts, and everything skipped with its reason.

    Raises:
        IndexLocked: when another process is writing to the index.
    """
    report = IngestReport()
    started = time.perf_counter()
    lock = index_lock(index.index_dir, index.settings.lock_timeout_s) if index.index_dir else nullcontext()
    with lock:
        files = expand_paths([Path(p).expanduser() for p in paths], report)
        progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                            TextColumn("{task.completed:,.0f} chunks"), _RateColumn(),
                            console=console, disable=not show_progress, transient=False)
        with progress:
            task = progress.add_task("indexing", total=None)

            def advance(n: int) -> None:
                progress.advance(task, n)
                if on_progress is not None:
                    on_progress(n)

            for file in files:
                key = str(file.resolve())
                sha = file_sha256(file)
                if index.manifest.has(sha):
                    report.files_unchanged.append(str(file))
                    continue
                previous = index.manifest.sha_for_path(key)
                if previous is not None and previous != sha:
                    index.chunks.delete({"file": key})
                    index.papers.delete({"file": key})
                progress.update(task, description=f"indexing {file.name}")
                before = (report.papers, report.chunks)
                seen: set[str] = set()
                notes: list[Skip] = []
                try:
                    for batch in _batches(read_documents(file, notes), BATCH_CHARS):
                        _add_batch(index, batch, key, report, seen, advance)
                except SourceError as exc:
                    notes.append(Skip(path=str(file), reason=str(exc)))
                    file_ok = False
                else:
                    file_ok = True
                finally:
                    report.skipped.extend(n for n in notes if n.skipped)
                    report.notes.extend(n for n in notes if not n.skipped)
                if not file_ok:
                    continue
                index.manifest.record(sha, key, report.papers - before[0], report.chunks - before[1])
                report.files_added.append(str(file))
    report.seconds = time.perf_counter() - started
    emit(RetrievalEvent(action="ingest", index=index.name, chunks=report.chunks,
                        skipped=len(report.skipped), seconds=report.seconds))
    return report


def add_documents(
    index: LiteratureIndex,
    docs: Iterable[Document],
    *,
    file: str = "<memory>",
    show_progress: bool = False,
    console: Console | None = None,
) -> IngestReport:
    """Add documents built in code (benchmarks, generated corpora); no manifest entry is written.

    Raises:
        IndexLocked: when another process is writing to the index.
    """
    report = IngestReport()
    started = time.perf_counter()
    lock = index_lock(index.index_dir, index.settings.lock_timeout_s) if index.index_dir else nullcontext()
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.completed:,.0f} chunks"), _RateColumn(),
                        console=console, disable=not show_progress)
    with lock, progress:
        task = progress.add_task("indexing", total=None)
        seen: set[str] = set()
        for batch in _batches(iter(docs), BATCH_CHARS):
            _add_batch(index, batch, file, report, seen, lambda n: progress.advance(task, n))
    report.seconds = time.perf_counter() - started
    return report
