"""Scale-test fixtures: one PostgreSQL cluster for the session, a fresh chroma server per test."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from ._services import ChromaServer, Postgres


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL server started for the session (``initdb`` + ``pg_ctl start``), stopped at its end."""
    server = Postgres().start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def pg_url(postgres: Postgres) -> str:
    """A fresh database on the session's server (tests never see each other's tables)."""
    return postgres.create_db(f"t_{secrets.token_hex(4)}")


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    (tmp_path / "chroma-server").mkdir()
    server = ChromaServer(tmp_path / "chroma-server").start()
    try:
        yield server
    finally:
        server.stop()
