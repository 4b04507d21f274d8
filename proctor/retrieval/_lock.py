"""One writer at a time per index: an exclusive file lock in the index directory.

Readers never take the lock. A second writer fails at once (or after ``lock_timeout_s``) with
:class:`IndexLocked`, whose message names the process holding the lock.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from proctor.log import utcnow


class IndexLocked(RuntimeError):
    """Another process is writing to this index."""


@contextmanager
def writer_lock(index_dir: Path, timeout: float = 0.0) -> Iterator[None]:
    """Hold the index's writer lock for the block.

    Raises:
        IndexLocked: when another process holds it past ``timeout`` seconds.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / "write.lock"), timeout=timeout)
    owner = index_dir / "write.lock.owner"
    try:
        lock.acquire()
    except Timeout as exc:
        held_by = "unknown process"
        try:
            info = json.loads(owner.read_text())
            held_by = f"pid {info['pid']} on {info['host']} since {info['since']}"
        except (OSError, ValueError, KeyError):
            pass
        raise IndexLocked(
            f"the index at {index_dir} is being written by another process ({held_by}); "
            "wait for it to finish (searching does not need the lock), or stop that process"
        ) from exc
    try:
        owner.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                     "since": utcnow().isoformat()}))
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()
