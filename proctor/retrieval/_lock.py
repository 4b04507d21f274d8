"""One writer at a time per index: a single-writer lock (:func:`proctor.locks.writer_lock`) in its directory.

Readers never take the lock. A second writer fails at once (or after ``lock_timeout_s``) with
:class:`IndexLocked`, whose message names the process holding the lock. A writer killed with
``kill -9`` leaves no stale lock behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from proctor.locks import LockHeld, writer_lock


class IndexLocked(RuntimeError):
    """Another process is writing to this index."""


@contextmanager
def index_lock(index_dir: Path, timeout: float = 0.0) -> Iterator[None]:
    """Hold the index's writer lock for the block.

    Raises:
        IndexLocked: when another process holds it past ``timeout`` seconds.
    """
    lock = writer_lock(index_dir / "write.lock", timeout)
    try:
        lock.acquire()
    except LockHeld as exc:
        raise IndexLocked(
            f"the index at {index_dir} is being written by another process ({exc.holder or 'unknown process'}); "
            "wait for it to finish (searching does not need the lock), or stop that process"
        ) from exc
    try:
        yield
    finally:
        lock.release()
