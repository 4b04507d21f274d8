"""The audit queue in PostgreSQL: one database holding the queues of every run of a batch spread over hosts.

A run's queue is still opened by its path, ``<run>/control/audit.sqlite`` (the gate, the TUI, ``proctor
audit`` and the batch report all do). When ``<run>/control/queue.json`` names a PostgreSQL database
(:func:`share_queue` writes it: a batch does for each of its runs when ``batch.audit_queue_url`` is
set), the run's held items, decisions and audit count live in that database instead, in a schema of the
run's own (the same tables and SQL as the SQLite file), so a reviewer on one host decides what a run on
another host holds, and the host running it sees the decision. The local file keeps only the gate's
cache and its count of actions seen.

Connections are kept per (database, thread). A database that cannot be reached raises
:class:`QueueUnavailable` naming it: nothing is approved meanwhile, as with a locked SQLite file.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from proctor.control.audit._sqlite import QueueUnavailable, connect
from proctor.log import atomic_write

POINTER = "queue.json"  # beside the queue's SQLite file
_PG_HINT = "a PostgreSQL audit queue needs psycopg: pip install 'psycopg[binary]' (the 'scale' extra)"
_OPEN: dict[tuple[str, int], Any] = {}
_READY: set[tuple[str, str]] = set()
_LOCK = threading.Lock()


class SharedQueue(NamedTuple):
    """Where a run's queue lives when it is shared: a database URL and the run's schema in it."""

    url: str
    scope: str

    @property
    def schema(self) -> str:
        """The run's schema: a digest of its scope (run directory names are not identifiers)."""
        return "q_" + hashlib.sha256(self.scope.encode()).hexdigest()[:24]

    @property
    def where(self) -> str:
        """``host:port/database`` (no credentials), for messages."""
        parts = urlsplit(self.url)
        return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path or '/'}"


def shared_queue(path: Path) -> SharedQueue | None:
    """The shared database the queue at ``path`` was moved to, or None (the SQLite file itself)."""
    pointer = Path(path).parent / POINTER
    try:
        data = json.loads(pointer.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise QueueUnavailable(f"cannot read {pointer} (where this run's audit queue lives): {exc}") from exc
    return SharedQueue(str(data["url"]), str(data["scope"]))


def share_queue(queue_path: Path, url: str, scope: str) -> SharedQueue:
    """Keep the queue at ``queue_path`` in the PostgreSQL database ``url`` under ``scope`` (the run's name).

    The local file is created too (the gate keeps its cache there), so whatever looks for a run's
    queue file finds it from the start, on every host that has the run directory.

    Raises:
        ValueError: for a URL that is not ``postgresql://`` (or ``postgres://``).
    """
    if not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"a shared audit queue needs a postgresql:// URL, got {url!r}")
    pointer = Path(queue_path).parent / POINTER
    pointer.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(pointer, json.dumps({"url": url, "scope": scope}).encode())
    with connect(Path(queue_path), 5000, ""):
        pass
    return SharedQueue(url, scope)


class _Conn:
    """The slice of ``sqlite3.Connection`` the queue uses, on psycopg (``?`` placeholders become ``%s``)."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> Any:
        return self._conn.execute(sql.replace("?", "%s"), args)


def _connection(queue: SharedQueue, timeout_ms: int) -> Any:
    key = (queue.url, threading.get_ident())
    with _LOCK:
        conn = _OPEN.get(key)
    if conn is not None and not conn.closed:
        return conn
    try:
        import psycopg
        from psycopg.rows import dict_row
    except ImportError as exc:
        raise ImportError(_PG_HINT) from exc
    conn = psycopg.connect(queue.url, autocommit=True, row_factory=dict_row,
                           connect_timeout=max(2, timeout_ms // 1000),
                           options=f"-c lock_timeout={max(timeout_ms, 1000)}")
    with _LOCK:
        _OPEN[key] = conn
    return conn


def _drop(queue: SharedQueue) -> None:
    with _LOCK:
        conn = _OPEN.pop((queue.url, threading.get_ident()), None)
        _READY.difference_update({k for k in _READY if k[0] == queue.url})
    if conn is not None:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - already broken
            pass


def _ensure(conn: Any, queue: SharedQueue, schema_sql: str) -> None:
    if (queue.url, queue.schema) in _READY:
        return
    with conn.transaction():  # one creator at a time: concurrent CREATE ... IF NOT EXISTS can collide
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (queue.schema,))
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{queue.schema}"')
        conn.execute(f'SET search_path TO "{queue.schema}"')
        for statement in filter(str.strip, schema_sql.split(";")):
            conn.execute(statement)
    with _LOCK:
        _READY.add((queue.url, queue.schema))


@contextmanager
def connect_shared(queue: SharedQueue, timeout_ms: int, schema_sql: str, *, write: bool = False) -> Iterator[_Conn]:
    """A connection working in the run's schema; ``write`` runs the block as one serialised transaction.

    Raises:
        QueueUnavailable: when the database cannot be reached, or drops the connection.
    """
    import psycopg

    try:
        conn = _connection(queue, timeout_ms)
        _ensure(conn, queue, schema_sql)
        conn.execute(f'SET search_path TO "{queue.schema}"')
        if write:
            with conn.transaction():
                # One writer per run's queue at a time, as SQLite's BEGIN IMMEDIATE gives.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (queue.schema,))
                yield _Conn(conn)
        else:
            yield _Conn(conn)
    except psycopg.OperationalError as exc:
        _drop(queue)
        raise QueueUnavailable(f"the audit queue database {queue.where} is unreachable ({exc}); nothing is "
                               "approved until it is back: a paused run resumes once it answers") from exc
    except psycopg.Error as exc:
        _drop(queue)
        raise QueueUnavailable(f"the audit queue database {queue.where} failed: {type(exc).__name__}: {exc}") from exc
