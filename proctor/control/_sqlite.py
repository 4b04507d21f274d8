"""SQLite connections for the control state: WAL, a busy timeout, and clear errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class QueueUnavailable(RuntimeError):
    """The audit queue database is locked, corrupt or unwritable; nothing is approved meanwhile."""


@contextmanager
def connect(path: Path, busy_timeout_ms: int, schema: str, *, write: bool = False,
            durable: bool = True) -> Iterator[sqlite3.Connection]:
    """A connection with WAL and a busy timeout; ``write`` opens an immediate transaction.

    ``durable=False`` commits without an fsync (``synchronous=NORMAL``): safe against a killed
    process, not against power loss. The gate uses it for its cache and counters only; held items
    and decisions are always written durably.

    Raises:
        QueueUnavailable: when the file is locked past the timeout, corrupt, or cannot be opened.
    """
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None)
    except (sqlite3.Error, OSError) as exc:
        raise QueueUnavailable(f"cannot open audit database {path}: {exc}") from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
        conn.executescript(schema)
        if write:
            conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        if conn.in_transaction:
            conn.execute("COMMIT")
    except sqlite3.OperationalError as exc:
        what = "locked by another process" if "locked" in str(exc) or "busy" in str(exc) else "unusable"
        raise QueueUnavailable(f"audit database {path} is {what} ({exc}); retry, or check for a stuck reviewer") from exc
    except sqlite3.DatabaseError as exc:
        raise QueueUnavailable(f"audit database {path} is corrupt ({exc}); restore it from backup or move it away "
                               "(nothing is approved until it works)") from exc
    finally:
        conn.close()
