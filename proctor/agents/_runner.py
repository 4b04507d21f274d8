"""Starting and resuming research runs.

A run's directory holds its settings, its event log and its LangGraph checkpoints
(``checkpoints.sqlite``, WAL mode). Starting a run writes the header and invokes the graph;
resuming reads the recorded settings (plus any new ``--set`` overrides, e.g. a larger budget),
rebuilds the cost ledger from the events and continues from the last checkpoint. Every failure
leaves the directory intact with a status that says what happened and how to go on.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from proctor.agents._graph import build_graph
from proctor.llm import BudgetExceeded, Ledger, ModelError, set_process_ledger, use_ledger
from proctor.log import ErrorEvent, RunDir, set_process_log, use_log
from proctor.settings import Settings, parse_overrides
from proctor.settings._load import SettingsError


@contextlib.asynccontextmanager
async def open_checkpointer(path: Path) -> AsyncIterator[AsyncSqliteSaver]:
    """An ``AsyncSqliteSaver`` on ``path`` in WAL mode (durable across ``kill -9``)."""
    async with aiosqlite.connect(str(path)) as conn:
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA busy_timeout=10000")
        saver = AsyncSqliteSaver(conn)
        await saver.setup()
        yield saver


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def settings_for_resume(run: RunDir, overrides: list[str] | tuple[str, ...] = ()) -> Settings:
    """The run's recorded settings with ``overrides`` applied on top.

    Raises:
        SettingsError: when an override is invalid.
    """
    from pydantic import ValidationError

    recorded = run.header().settings
    try:
        return Settings(**_merge(recorded, parse_overrides(overrides)))
    except ValidationError as exc:
        raise SettingsError(f"invalid --set for resume: {exc}") from exc


async def start_run(settings: Settings, direction: str, template: str | None = None) -> RunDir:
    """Create a run directory and execute the workflow in it."""
    run = RunDir.create(
        Path(settings.runs_dir), direction, settings=settings.public_dump(),
        settings_digest=settings.digest(), template=template,
    )
    await execute(run, settings, {"direction": direction, "template": template, "ideas": [], "stages": []})
    return run


async def resume_run(run: RunDir, overrides: list[str] | tuple[str, ...] = ()) -> RunDir:
    """Continue a run from its last checkpoint."""
    settings = settings_for_resume(run, overrides)
    if overrides:
        header = run.header()
        header.settings, header.settings_digest = settings.public_dump(), settings.digest()
        run.write_header(header)
    await execute(run, settings, None)
    return run


async def execute(run: RunDir, settings: Settings, initial: dict[str, Any] | None) -> None:
    """Invoke (``initial`` given) or resume (``None``) the graph, recording the outcome."""
    ledger = Ledger.from_events(run.events.iter(), settings.llm.budget)
    set_process_log(run.events)
    set_process_ledger(ledger)
    run.set_status("running", "resumed" if initial is None else "started")
    try:
        with use_log(run.events), use_ledger(ledger):
            async with open_checkpointer(run.checkpoint_path) as saver:
                graph = build_graph(settings, run, saver)
                config: dict[str, Any] = {"configurable": {"thread_id": run.header().id},
                                          "recursion_limit": 200}
                # durability=sync: a checkpoint is on disk before the next node starts, so kill -9 loses
                # at most the node in flight.
                await graph.ainvoke(initial, config, durability="sync")  # type: ignore[call-overload]
                snapshot = await graph.aget_state(config)  # type: ignore[arg-type]
        if snapshot.next:
            run.set_status("paused", f"waiting before {', '.join(snapshot.next)}")
            return
        run.write_artifact("results.json", {"ideas": snapshot.values.get("ideas", []),
                                            "stages": snapshot.values.get("stages", [])})
        run.set_status("succeeded")
    except BudgetExceeded as exc:
        run.events.append(ErrorEvent(where="budget", message=str(exc), recoverable=True))
        run.set_status("budget_exhausted", str(exc))
        raise
    except ModelError as exc:
        run.events.append(ErrorEvent(where="model", message=str(exc), recoverable=True))
        run.set_status("failed", str(exc))
        raise
    except (Exception, KeyboardInterrupt) as exc:
        run.events.append(ErrorEvent(where="run", message=f"{type(exc).__name__}: {exc}", recoverable=True))
        run.set_status("failed", f"{type(exc).__name__}: {exc}; `proctor resume` continues it")
        raise
    finally:
        set_process_log(None)
        set_process_ledger(None)
