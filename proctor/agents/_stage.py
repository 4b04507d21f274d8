"""Wrapping graph nodes as stages: timing, cost and status events around each node."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from proctor.llm import current_ledger
from proctor.log import StageEvent, emit, in_node

Node = Callable[[Any], Awaitable[dict[str, Any]]]


def stage(name: str, fn: Node) -> Node:
    """Run ``fn`` as stage ``name``: events tagged with the node, started/finished/failed events."""

    @functools.wraps(fn)
    async def run(state: Any) -> dict[str, Any]:
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
