"""Inter-process file locks that die with their holder, built on :mod:`filelock`.

Every lock is an exclusive ``flock`` (through :mod:`filelock`) on a lock file or on an open file.
The kernel drops it when the holding process exits, ``kill -9`` included, so a crashed process
never leaves a stale lock behind: a lock file that outlives its holder blocks nobody.

* :class:`Lock`: an exclusive lock on a lock file, waiting up to a timeout (``None`` waits for
  ever, ``0`` tries once). With ``record_holder`` the holder writes its pid, host and start time
  into the lock file, so the error another process gets names it.
* :func:`writer_lock`: the single-writer lock (fails at once by default and names the holder).
* :func:`append_lock`: a lock on an already open file (an append-only log locks the log file
  itself, so no lock file appears next to it).

Example:
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.lock"
    >>> with writer_lock(path):
    ...     writer_lock(path).held()
    True
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import filelock
from pydantic import BaseModel, ValidationError


class LockHolder(BaseModel):
    """Who holds a lock taken with ``record_holder`` (read from its lock file)."""

    pid: int
    host: str
    since: str

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.since}"


class LockHeld(RuntimeError):
    """Another holder kept the lock past the timeout.

    Attributes:
        path: The lock file.
        holder: The holder it names, when the lock records one and it could be read.
    """

    def __init__(self, path: Path, holder: LockHolder | None) -> None:
        self.path, self.holder = path, holder
        super().__init__(f"{path} is held by {holder or 'another process'}")


class Lock:
    """An exclusive lock on the file ``path`` (created with its parents when missing).

    Two :class:`Lock` objects on one path exclude each other even within one process; one object
    may be acquired and released from different threads.

    Args:
        path: The lock file; it stays in place after release.
        timeout: Seconds :meth:`acquire` waits; ``None`` waits for ever, ``0`` tries once.
        record_holder: Write this process's pid, host and start time into the lock file while
            holding it (see :meth:`holder`).
    """

    def __init__(self, path: Path, *, timeout: float | None = None, record_holder: bool = False) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.record_holder = record_holder
        self._lock: filelock.BaseFileLock | None = None

    def acquire(self) -> None:
        """Take the lock, waiting up to the timeout (a no-op when this object holds it already).

        Raises:
            LockHeld: when another holder keeps it past the timeout.
            RuntimeError: when waiting for ever would deadlock (this thread holds the lock through
                another object).
        """
        if self.locked:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = filelock.UnixFileLock(
            self.path, timeout=-1 if self.timeout is None else max(self.timeout, 0.0), thread_local=False,
            fallback_to_soft=False, on_acquired=_write_holder if self.record_holder else None,
        )
        try:
            lock.acquire()
        except filelock.Timeout:
            raise LockHeld(self.path, self.holder() if self.record_holder else None) from None
        self._lock = lock

    def release(self) -> None:
        """Give the lock back (idempotent); a recorded holder is cleared first."""
        lock, self._lock = self._lock, None
        if lock is None:
            return
        if self.record_holder:
            try:
                os.truncate(self.path, 0)
            except OSError:
                pass
        lock.release(force=True)

    @property
    def locked(self) -> bool:
        """Whether this object holds the lock."""
        return self._lock is not None and self._lock.is_locked

    def held(self) -> bool:
        """Whether anyone (this process included, through any object) holds the lock now."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            return not filelock.lock_descriptor(fd, blocking=False)
        finally:
            os.close(fd)  # closing drops a lock the probe took

    def holder(self) -> LockHolder | None:
        """The holder recorded in the lock file, if any (``None`` when free or unreadable)."""
        try:
            return LockHolder.model_validate_json(self.path.read_bytes())
        except (OSError, ValidationError):
            return None

    def __enter__(self) -> Lock:
        self.acquire()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"Lock({str(self.path)!r}, locked={self.locked})"


def _write_holder(fd: int) -> None:
    record = LockHolder(pid=os.getpid(), host=socket.gethostname(), since=datetime.now(UTC).isoformat())
    os.ftruncate(fd, 0)
    os.pwrite(fd, record.model_dump_json().encode(), 0)


def writer_lock(path: Path, timeout: float | None = 0.0) -> Lock:
    """The single-writer lock on ``path``: exclusive, recording its holder, failing at once by default.

    Args:
        path: The lock file.
        timeout: Seconds a second writer waits before :class:`LockHeld` (``None`` for ever).

    Returns:
        The (not yet acquired) lock; use it as a context manager.
    """
    return Lock(path, timeout=timeout, record_holder=True)


@contextmanager
def append_lock(fd: int, poll_s: float = 0.001) -> Iterator[None]:
    """Hold an exclusive lock on the open file ``fd`` itself for the block, waiting as long as it takes.

    Writers that lock the same file this way (in any process, or through another descriptor in this
    one) take turns; readers that do not lock are unaffected.

    Args:
        fd: An open descriptor of the file (read-only is enough).
        poll_s: Seconds between attempts while another writer holds it.
    """
    filelock.lock_descriptor(fd, blocking=True, poll_interval=poll_s)
    try:
        yield
    finally:
        filelock.unlock_descriptor(fd)
