"""The default literature: the shared 18k-abstract corpus, built into the index once.

``../shared`` is looked for next to the repository root (and the working directory), or taken from
``retrieval.shared_dir`` (see :func:`proctor.paths.find_shared_data`). Building is an ordinary
ingest, so a second build finds the file in the manifest and embeds nothing.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from proctor.paths import find_shared_data, shared_candidates
from proctor.retrieval._index import LiteratureIndex
from proctor.retrieval._ingest import IngestReport, ingest
from proctor.retrieval._manifest import file_sha256
from proctor.settings import RetrievalSettings


class SharedDataMissing(FileNotFoundError):
    """The shared data folder (or the default corpus in it) is not there."""


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


def default_corpus(settings: RetrievalSettings) -> Path:
    """Path of the default literature file.

    Raises:
        SharedDataMissing: when the shared folder or the file is absent.
    """
    path = shared_dir(settings) / settings.default_corpus
    if not path.is_file():
        raise SharedDataMissing(f"the default corpus {path} is missing; see {path.parents[1]}/README.md")
    return path


def default_index_ready(index: LiteratureIndex) -> bool:
    """Whether the default corpus is fully in ``index``."""
    try:
        return index.manifest.has(file_sha256(default_corpus(index.settings)))
    except SharedDataMissing:
        return False


def build_default_index(
    index: LiteratureIndex, *, show_progress: bool = True, console: Console | None = None
) -> IngestReport:
    """Ingest the default corpus into ``index`` (a no-op when it is already there).

    Raises:
        SharedDataMissing: when the shared data is absent.
        IndexLocked: when another process is writing to the index.
    """
    return ingest(index, [default_corpus(index.settings)], show_progress=show_progress, console=console)
