"""The default literature: the 18k-abstract corpus, built into the index once, from wherever it is.

Where it is looked for, in order (:func:`corpus_candidates`):
1. ``retrieval.default_corpus`` when it is an absolute path (a copy anywhere);
2. relative to the shared data folder: ``retrieval.shared_dir``, else ``../shared`` next to the
   checkout or the working directory (one configured location among others, see
   :func:`proctor.paths.find_shared_data`);
3. a copy downloaded earlier into ``retrieval.corpus_dir`` (``~/.cache/proctor/corpus``).

When none is there, ``build-default --download`` (or ``retrieval.online.enabled``) fetches it from its
public source (``retrieval.default_corpus_urls``: airas-papers-db's per-venue JSON files) into
``corpus_dir``; otherwise :class:`DefaultCorpusMissing` says where it looked and how to obtain it.
Building is an ordinary ingest, so a second build finds the file in the manifest and embeds nothing.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

from rich.console import Console

from proctor.paths import find_shared_data, shared_candidates
from proctor.retrieval._index import LiteratureIndex
from proctor.retrieval._ingest import IngestReport, ingest
from proctor.retrieval._manifest import file_sha256
from proctor.retrieval._online_http import OnlineError, OnlineHTTP
from proctor.settings import RetrievalSettings


class SharedDataMissing(FileNotFoundError):
    """The shared data folder (or the default corpus in it) is not there."""


class DefaultCorpusMissing(SharedDataMissing):
    """The default corpus is nowhere it is looked for; the message says how to obtain it."""


def shared_dir(settings: RetrievalSettings) -> Path:
    """The shared data folder.

    Raises:
        SharedDataMissing: when neither ``retrieval.shared_dir`` nor ``../shared`` exists.
    """
    path = find_shared_data(settings.shared_dir)
    if path is not None:
        return path
    if settings.shared_dir:
        raise SharedDataMissing(f"retrieval.shared_dir={Path(settings.shared_dir).expanduser()} does not exist")
    raise SharedDataMissing(
        f"no shared data folder at {shared_candidates()[0]}; "
        "set retrieval.shared_dir (e.g. --set retrieval.shared_dir=/path/to/shared)"
    )


def downloaded_corpus(settings: RetrievalSettings) -> Path:
    """Where a downloaded copy of the default corpus is (or would be) kept."""
    return Path(settings.corpus_dir).expanduser() / Path(settings.default_corpus).name


def corpus_candidates(settings: RetrievalSettings) -> list[Path]:
    """Every place the default corpus is looked for, in order."""
    rel = Path(settings.default_corpus).expanduser()
    if rel.is_absolute():
        found = [rel]
    elif settings.shared_dir:
        found = [Path(settings.shared_dir).expanduser() / rel]
    else:
        found = [c / rel for c in shared_candidates()]
    return [*found, downloaded_corpus(settings)]


def how_to_obtain(settings: RetrievalSettings) -> str:
    """What to do when the default corpus is nowhere (the message of :class:`DefaultCorpusMissing`)."""
    looked = "\n".join(f"  - {p}" for p in dict.fromkeys(corpus_candidates(settings)))
    if settings.shared_dir and not Path(settings.shared_dir).expanduser().is_dir():
        looked += f"\n  (retrieval.shared_dir={Path(settings.shared_dir).expanduser()} does not exist)"
    hosts = sorted({urlparse(u).netloc for u in settings.default_corpus_urls}) or ["(no URL configured)"]
    return (
        f"the default corpus ({Path(settings.default_corpus).name}) was not found; looked at:\n{looked}\n"
        "Obtain it in one of these ways:\n"
        f"  - proctor corpus build-default --download  (its public source: {len(settings.default_corpus_urls)} "
        f"files from {', '.join(hosts)}, into {downloaded_corpus(settings).parent})\n"
        "  - --set retrieval.default_corpus=/path/to/ml-venues-2020-2024.jsonl.gz  (a copy you have)\n"
        "  - --set retrieval.shared_dir=/path/to/shared  (a folder holding data/abstracts/...)\n"
        "  - or index your own papers: proctor corpus add PATH...\n"
        "Until then the novelty check records a skip (or searches online with retrieval.online.enabled=true)."
    )


def default_corpus(settings: RetrievalSettings) -> Path:
    """Path of the default literature file.

    Raises:
        DefaultCorpusMissing: when it is in none of :func:`corpus_candidates`.
    """
    for path in corpus_candidates(settings):
        if path.is_file():
            return path
    raise DefaultCorpusMissing(how_to_obtain(settings))


def download_default_corpus(settings: RetrievalSettings, *, console: Console | None = None) -> Path:
    """Fetch the default corpus from ``default_corpus_urls`` (JSON arrays or JSONL of paper records) into
    ``corpus_dir`` as one gzipped JSONL file, written atomically; returns its path.

    Raises:
        DefaultCorpusMissing: when a file cannot be fetched or read (the message names it).
    """
    console = console or Console(stderr=True)
    target = downloaded_corpus(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    http = OnlineHTTP(settings.model_copy(update={"online": settings.online.model_copy(update={"cache": False})}))
    fd, tmp = tempfile.mkstemp(prefix=".download-", suffix=".jsonl.gz", dir=target.parent)
    os.close(fd)
    total = 0
    try:
        with gzip.open(tmp, "wt", encoding="utf-8") as out:
            for url in settings.default_corpus_urls:
                try:
                    records = _records(http.get(url, source="corpus").content)
                except (OnlineError, ValueError) as exc:
                    raise DefaultCorpusMissing(f"cannot fetch the default corpus from {url}: {exc}\n\n"
                                               + how_to_obtain(settings)) from exc
                for rec in records:
                    out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                total += len(records)
                console.print(f"fetched {len(records):,} records from {url}")
        os.replace(tmp, target)
    finally:
        http.close()
        Path(tmp).unlink(missing_ok=True)
    console.print(f"the default corpus: {total:,} records in {target}")
    return target


def _records(content: bytes) -> list[dict[str, object]]:
    """Paper records of a JSON array (or JSON lines) answer."""
    text = content.decode("utf-8")
    data = json.loads(text) if text.lstrip().startswith("[") else [json.loads(ln) for ln in text.splitlines() if ln.strip()]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ValueError("not a list of paper records")
    return data


def default_index_ready(index: LiteratureIndex) -> bool:
    """Whether the default corpus is fully in ``index``."""
    try:
        return index.manifest.has(file_sha256(default_corpus(index.settings)))
    except SharedDataMissing:
        return False


def build_default_index(
    index: LiteratureIndex, *, download: bool = False, show_progress: bool = True, console: Console | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest the default corpus into ``index`` (a no-op when it is already there), fetching it from its
    public source first when it is nowhere local and ``download`` (or ``retrieval.online.enabled``) says so.

    Raises:
        DefaultCorpusMissing: when it is not found (and not fetched); the message says how to obtain it.
        IndexLocked: when another process is writing to the index.
    """
    settings = index.settings
    try:
        path = default_corpus(settings)
    except DefaultCorpusMissing:
        if not (download or settings.online.enabled):
            raise
        path = download_default_corpus(settings, console=console)
    return ingest(index, [path], show_progress=show_progress, console=console, on_progress=on_progress)


def count_records(path: Path) -> int:
    """Distinct paper records in a (gzipped) JSONL corpus (a repeated id with the same title counts once, as
    ingest skips it): about the number of abstracts a build embeds, for a progress total."""
    opener = gzip.open if path.suffix == ".gz" else open
    seen: set[tuple[str, str]] = set()
    with opener(path, "rb") as fh:
        for line in fh:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                seen.add((str(rec.get("id") or rec.get("paper_id") or len(seen)), str(rec.get("title") or "")))
    return len(seen)
