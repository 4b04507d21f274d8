"""SQLite connections for the control state: WAL, a busy timeout, and clear errors.

Connections are kept open per (file, thread): closing the last connection of a WAL database
checkpoints it with an fsync, which would otherwise cost every gate call several milliseconds.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_OPEN: dict[tuple[str, int], tuple[sqlite3.Connection, set[str]]] = {}
_LOCK = threading.Lock()


class QueueUnavailable(RuntimeError):
    """The audit queue database is locked, corrupt or unwritable; nothing is approved meanwhile."""


def _key(path: Path) -> tuple[str, int]:
    return str(Path(path).resolve()), threading.get_ident()


def _open(path: Path, busy_timeout_ms: int, schema: str) -> sqlite3.Connection:
    with _LOCK:
        entry = _OPEN.get(_key(path))
    if entry is None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None)
        conn.row_factory = sqlite3.Row
        entry = (conn, set())
        with _LOCK:
            _OPEN[_key(path)] = entry
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode=WAL")
    conn, schemas = entry
    if schema not in schemas:
        conn.executescript(schema)
        schemas.add(schema)
    return conn


def _drop(path: Path) -> None:
    with _LOCK:
        entry = _OPEN.pop(_key(path), None)
    if entry is not None:
        try:
            entry[0].close()
        except sqlite3.Error:
            pass


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
        conn = _open(path, busy_timeout_ms, schema)
        conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
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
        _drop(path)
        what = "locked by another process" if "locked" in str(exc) or "busy" in str(exc) else "unusable"
        raise QueueUnavailable(f"audit database {path} is {what} ({exc}); retry, or check for a stuck reviewer") from exc
    except sqlite3.DatabaseError as exc:
        _drop(path)
        raise QueueUnavailable(f"audit database {path} is corrupt ({exc}); restore it from backup or move it away "
                               "(nothing is approved until it works)") from exc
    except OSError as exc:
        raise QueueUnavailable(f"cannot open audit database {path}: {exc}") from exc
