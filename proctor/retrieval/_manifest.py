"""Which source files an index already holds, keyed by file content.

An entry is keyed by the file's SHA-256 within an index name (which digests the embedder and the
chunker), so re-adding an unchanged file, even under another path, embeds nothing. Entries are
written only after all of a file's chunks are committed, so a killed ingest simply redoes the file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from proctor.log import atomic_write, utcnow


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


class Manifest:
    """``manifest.json`` in the index directory (in memory when there is none)."""

    def __init__(self, path: Path | None, index_name: str) -> None:
        self.path = path
        self.index_name = index_name
        self._all: dict[str, dict[str, dict[str, Any]]] = {}
        if path is not None and path.exists():
            try:
                self._all = json.loads(path.read_text())
            except (OSError, ValueError):
                self._all = {}  # a damaged manifest only costs re-embedding; ids make it idempotent

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        """Entries of this index, by file SHA-256."""
        return self._all.setdefault(self.index_name, {})

    def has(self, sha: str) -> bool:
        """Whether a file with this content is fully indexed."""
        return sha in self.entries

    def sha_for_path(self, path: str) -> str | None:
        """The content hash recorded for ``path``, if any."""
        return next((sha for sha, e in self.entries.items() if e.get("path") == path), None)

    def record(self, sha: str, path: str, papers: int, chunks: int) -> None:
        """Mark a file as fully indexed and save."""
        old = self.sha_for_path(path)
        if old is not None and old != sha:
            del self.entries[old]
        self.entries[sha] = {"path": path, "papers": papers, "chunks": chunks, "added": utcnow().isoformat()}
        if self.path is not None:
            atomic_write(self.path, json.dumps(self._all, indent=1, sort_keys=True).encode())
