"""Checkpointers: per-run SQLite by default (PostgreSQL, started for real: tests/scale/test_postgres.py)."""

from __future__ import annotations

import operator
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
