"""Wrapping graph nodes as stages: timing, cost and status events around each node."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from proctor.llm import current_ledger
from proctor.log import StageEvent, emit, in_node

Node = Callable[[Any], Awaitable[dict[str, Any]]]


class RunStopRequested(RuntimeError):
    """``<run>/control/pause`` or ``<run>/control/cancel`` exists (written by the TUI or a user)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(f"{kind} requested")


def check_requests(run_path: Path | None) -> None:
    """Raise :class:`RunStopRequested` when a pause or cancel file is present (checked between stages)."""
    if run_path is None:
        return
    for kind in ("cancel", "pause"):
        if (run_path / "control" / kind).exists():
            raise RunStopRequested(kind)


def stage(name: str, fn: Node, run_path: Path | None = None) -> Node:
    """Run ``fn`` as stage ``name``: events tagged with the node, started/finished/failed events.

    Before starting, honours pause/cancel request files in ``run_path/control/``.
    """

    @functools.wraps(fn)
    async def run(state: Any) -> dict[str, Any]:
        check_requests(run_path)
        ledger = current_ledger()
        tokens0, usd0 = (ledger.tokens, ledger.usd) if ledger else (0, 0.0)
        started = time.perf_counter()
        with in_node(name):
            emit(StageEvent(stage=name, status="started"))
            try:
                update = await fn(state)
            except BaseException as exc:
                emit(StageEvent(stage=name, status="failed", seconds=time.perf_counter() - started,
                                detail=f"{type(exc).__name__}: {exc}"[:500]))
                raise
            failed = [v.get("error", "") for v in update.values() if isinstance(v, dict) and v.get("status") == "failed"]
            skipped = [v for v in update.values() if isinstance(v, dict) and v.get("status") == "skipped"]
            emit(StageEvent(
                stage=name, status="failed" if failed else "skipped" if skipped else "finished",
                detail=(failed[0] if failed else str(skipped[0].get("reason", "")) if skipped else "")[:500],
                seconds=time.perf_counter() - started,
                tokens=(ledger.tokens - tokens0) if ledger else None,
                cost_usd=(ledger.usd - usd0) if ledger else None,
            ))
        return update

    return run
