"""The LangGraph checkpointer a run uses: its own SQLite file, or a Postgres shared by hosts.

``batch.checkpointer_url`` chooses: unset keeps ``<run>/checkpoints.sqlite`` (WAL, durable across
``kill -9``); ``postgresql://...`` stores every run's checkpoints in one database, so a run can be
resumed on another host (needs ``langgraph-checkpoint-postgres``); ``sqlite:///path`` names a file.
Threads are keyed by run id, so one database holds many runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from proctor.log import RunDir
from proctor.settings import batch_settings_of

_PG_HINT = "a postgresql:// checkpointer needs: pip install langgraph-checkpoint-postgres 'psycopg[binary]'"
_SETUP_LOCK = 0x70726F63  # advisory lock key serialising the saver's table set-up across runs and hosts


def checkpointer_url(settings_or_url: Any) -> str | None:
    """The URL to use: a string as given, else ``settings.batch.checkpointer_url`` (None: per-run SQLite)."""
    if settings_or_url is None or isinstance(settings_or_url, str):
        return settings_or_url or None
    return batch_settings_of(settings_or_url).checkpointer_url


def thread_id_for(settings_or_url: Any, run: RunDir) -> str:
    """The LangGraph thread id of ``run``: its id in its own SQLite file, its directory name in a shared store.

    Run ids are 6 hex digits, unique within a ``runs/`` directory but not across the thousands of
    runs a shared Postgres collects; the directory name adds the UTC time and slug.
    """
    return run.header().id if checkpointer_url(settings_or_url) is None else run.path.name


@contextlib.asynccontextmanager
async def open_checkpointer(path: Path) -> AsyncIterator[AsyncSqliteSaver]:
    """An ``AsyncSqliteSaver`` on ``path`` in WAL mode (durable across ``kill -9``)."""
    async with aiosqlite.connect(str(path)) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA busy_timeout=10000")
        saver = AsyncSqliteSaver(conn)
        await saver.setup()
        yield saver


@contextlib.asynccontextmanager
async def _sqlite(path: Path) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    path.parent.mkdir(parents=True, exist_ok=True)
    async with open_checkpointer(path) as saver:
        yield saver


async def _take_setup_lock(conn: Any, wait_s: float = 120.0) -> None:
    """Poll for the set-up lock (each try is its own short transaction).

    Raises:
        TimeoutError: when another process held it for ``wait_s`` seconds.
    """
    for _ in range(int(wait_s / 0.05)):
        row = await (await conn.execute("SELECT pg_try_advisory_lock(%s)", (_SETUP_LOCK,))).fetchone()
        if row and row[0]:
            return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"another process has been setting up the checkpoint tables for {wait_s:.0f} s")


@contextlib.asynccontextmanager
async def _postgres(url: str) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    try:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
    except ImportError as exc:
        raise ImportError(_PG_HINT) from exc
    import psycopg

    async with AsyncPostgresSaver.from_conn_string(url) as saver:
        # setup() creates or migrates the tables; two runs starting at once on a fresh database would
        # both CREATE TABLE (a unique violation in pg_type), so one sets up at a time. The lock is polled,
        # never waited on: setup's CREATE INDEX CONCURRENTLY waits for every open transaction, a blocked
        # pg_advisory_lock() call included, and the two would wait for each other for ever.
        async with await psycopg.AsyncConnection.connect(url, autocommit=True) as lock:
            await _take_setup_lock(lock)
            try:
                await saver.setup()
            finally:
                await lock.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))
        yield saver


@contextlib.asynccontextmanager
async def open_checkpointer_for(settings_or_url: Any, run: RunDir) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """Open the checkpointer for ``run``.

    Args:
        settings_or_url: Root settings (reads ``settings.batch.checkpointer_url``), a URL, or None.
        run: The run (its ``checkpoints.sqlite`` is used when no URL is set).

    Yields:
        An ``AsyncSqliteSaver`` or ``AsyncPostgresSaver``, set up and ready.

    Raises:
        ValueError: for a URL scheme other than ``postgresql``/``postgres``/``sqlite``.
        ImportError: for Postgres when its packages are missing (with the install line).
    """
    url = checkpointer_url(settings_or_url)
    if url is None:
        async with _sqlite(run.checkpoint_path) as saver:
            yield saver
    elif url.startswith(("postgresql://", "postgres://")):
        async with _postgres(url) as saver:
            yield saver
    elif url.startswith("sqlite:///"):
        async with _sqlite(Path(url.removeprefix("sqlite:///"))) as saver:
            yield saver
    else:
        raise ValueError(f"unsupported checkpointer URL {url!r}: use postgresql://..., sqlite:///path, or unset")
