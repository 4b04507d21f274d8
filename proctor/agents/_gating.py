"""How workflow nodes pass untrusted actions through the control gate.

``submit`` returns an approval or ``None`` (blocked: the agent is not told), pauses the run with a
LangGraph ``interrupt`` while a human decides a held action, and raises :class:`RunTerminated`
when a reviewer terminates the run. Because a node re-runs from its top after an interrupt, the
gate's decision cache (keyed by action digest) keeps resubmission idempotent.
"""

from __future__ import annotations

from typing import Any

from langgraph.types import interrupt

from proctor.agents._context import RunContext
from proctor.control import Action, ApprovedAction


class RunTerminated(RuntimeError):
    """A reviewer terminated the run; its artifacts are quarantined."""


class HeldForHuman(RuntimeError):
    """An action awaits a human decision (raised only outside a graph)."""


async def submit(ctx: RunContext, action: Action) -> ApprovedAction | None:
    """Route ``action`` through the gate; ``None`` means it must not run.

    Raises:
        RunTerminated: a reviewer (or the protocol) terminated the run.
    """
    outcome = await ctx.gate.submit(action)
    if outcome.status == "held":
        # Pauses the graph; `proctor resume` continues once `proctor audit decide` recorded a decision.
        interrupt({"item_id": outcome.item_id, "node": action.node, "kind": action.kind})
        outcome = await ctx.gate.submit(action)  # cached by digest: now carries the reviewer's decision
        if outcome.status == "held":
            raise HeldForHuman(f"audit item {outcome.item_id} is still undecided")
    if outcome.status == "terminated":
        raise RunTerminated(f"terminated at audit item {outcome.item_id or action.id}")
    return outcome.approved if outcome.status == "approved" else None


async def execute_approved(ctx: RunContext, sandbox: Any, action: Action) -> Any:
    """Submit a shell action and, if approved, run it in ``sandbox``; ``None`` when not run."""
    approved = await submit(ctx, action)
    if approved is None:
        return None
    return await sandbox.exec(approved)
