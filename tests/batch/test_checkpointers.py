"""Checkpointers: per-run SQLite by default, a real PostgreSQL server (started by the test) when set."""

from __future__ import annotations

import operator
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from glob import glob
from pathlib import Path
from typing import Annotated, Any, TypedDict

import anyio
import pytest
from langgraph.graph import END, START, StateGraph

from proctor.batch import BatchSettings, checkpointer_url, open_checkpointer_for, thread_id_for
from proctor.log import RunDir


class _State(TypedDict):
    steps: Annotated[list[str], operator.add]


def _graph(saver: Any) -> Any:
    g: Any = StateGraph(_State)
    g.add_node("one", lambda s: {"steps": ["one"]})
    g.add_edge(START, "one")
    g.add_edge("one", END)
    return g.compile(checkpointer=saver)


async def _roundtrip(url: str | None, run: RunDir) -> list[str]:
    config = {"configurable": {"thread_id": run.path.name}}
    async with open_checkpointer_for(url, run) as saver:
        await _graph(saver).ainvoke({"steps": ["start"]}, config)
    async with open_checkpointer_for(url, run) as saver:  # a new connection: as another host would
        state = await _graph(saver).aget_state(config)
    return list(state.values["steps"])


def _run(tmp_path: Path) -> RunDir:
    return RunDir.create(tmp_path, "ckpt", settings={}, settings_digest="x")


def test_default_is_the_runs_sqlite_file(tmp_path: Path) -> None:
    run = _run(tmp_path)
    assert anyio.run(_roundtrip, None, run) == ["start", "one"]
    assert run.checkpoint_path.exists()
    settings = type("S", (), {"batch": BatchSettings(checkpointer_url="postgresql://db/x")})()
    assert checkpointer_url(settings) == "postgresql://db/x" and checkpointer_url(object()) is None
    assert thread_id_for(None, run) == run.header().id and thread_id_for(settings, run) == run.path.name
    with pytest.raises(ValueError, match="unsupported checkpointer URL"):
        anyio.run(_roundtrip, "redis://x", run)


def _pg_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    dirs = sorted(glob("/usr/lib/postgresql/*/bin"))
    return Path(dirs[-1]) if dirs else None


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on a unix socket, started here and stopped at teardown."""
    bindir = _pg_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="proctor-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres account
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser; cannot start PostgreSQL")
        try:
            shutil.chown(base, "postgres")
        except (LookupError, PermissionError):
            pytest.skip("running as root and there is no postgres user")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = base / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run([*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
                   check=True, capture_output=True)
    opts = f"-k {base} -p {port} -c listen_addresses='' -c fsync=off"
    subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(base / "log"),
                    "-w", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql://postgres@/postgres?host={base}&port={port}"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_postgres_checkpointer_shares_state(postgres_url: str, tmp_path: Path) -> None:
    pytest.importorskip("langgraph.checkpoint.postgres", reason="pip install langgraph-checkpoint-postgres")
    first, second = _run(tmp_path), _run(tmp_path)
    assert anyio.run(_roundtrip, postgres_url, first) == ["start", "one"]
    assert anyio.run(_roundtrip, postgres_url, second) == ["start", "one"]  # threads do not mix
    assert not first.checkpoint_path.exists()
