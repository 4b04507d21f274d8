"""How workflow nodes pass untrusted actions through the control gate: the one submit path.

Every gated action of every node (queries, edits, commands, runs, messages) goes through
:func:`submit`. It hands the gate the node's policies (:mod:`._policies`) and its trajectory so far
(earlier actions with their scores and flags, the last tool output escaped), and returns an approval
or ``None`` (blocked: the agent is not told). A held action pauses the run with a LangGraph
``interrupt`` until a human decides, as often as needed: a node re-runs from its top after each
resume, earlier actions come back from the gate's decision cache (keyed by action digest), and each
action still undecided pauses the run again. A ``terminate`` raises :class:`RunTerminated`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langgraph.types import interrupt

from proctor.agents._context import RunContext
from proctor.agents._policies import NodePolicies
from proctor.control import Action, ApprovedAction, GateOutcome, HistoryItem, summarize_action

MAX_PAUSES = 1000  # held actions one node may wait on; a bound against a resume loop


class RunTerminated(RuntimeError):
    """A reviewer terminated the run; its artifacts are quarantined."""


class HeldForHuman(RuntimeError):
    """An action awaits a human decision (raised only where the graph cannot pause)."""


@dataclass
class Trajectory:
    """What one node's agent did so far, as the monitors see it."""

    items: list[HistoryItem] = field(default_factory=list)
    tool_output: str | None = None

    def record(self, action: Action, outcome: GateOutcome) -> None:
        """Add a decided action (its score, flags and decision) to the history."""
        flags = [r for v in outcome.decision.verdicts for r in v.reasons if v.score >= 0.5][:4]
        self.items.append(HistoryItem(summary=summarize_action(action), score=outcome.decision.score,
                                      flags=[f[:200] for f in flags], decision=outcome.status))

    def observe(self, output: str) -> None:
        """The last tool output (escaped and truncated by the gate before a monitor sees it)."""
        self.tool_output = output


async def submit(ctx: RunContext, action: Action, *, trajectory: Trajectory | None = None,
                 policies: NodePolicies | None = None) -> ApprovedAction | None:
    """Route ``action`` through the gate; ``None`` means it must not run.

    Raises:
        RunTerminated: a reviewer (or the protocol) terminated the run.
        HeldForHuman: outside a graph, when the action is held.
    """
    trajectory = trajectory if trajectory is not None else Trajectory()
    callbacks = (policies or NodePolicies(ctx)).callbacks()

    async def once() -> GateOutcome:
        return await ctx.gate.submit(action, callbacks, history=trajectory.items, tool_output=trajectory.tool_output)

    outcome = await once()
    pauses = 0
    while outcome.status == "held":
        if pauses >= MAX_PAUSES:
            raise HeldForHuman(f"audit item {outcome.item_id} is still undecided")
        pauses += 1
        # Pauses the graph (nothing after this line runs until a resume). After `proctor audit
        # decide`, the node re-runs: this interrupt returns, and the cached decision is read.
        interrupt({"item_id": outcome.item_id, "node": action.node, "kind": action.kind})
        outcome = await once()
    trajectory.record(action, outcome)
    if outcome.status == "terminated":
        raise RunTerminated(f"terminated at audit item {outcome.item_id or action.id}")
    return outcome.approved if outcome.status == "approved" else None


async def execute_approved(ctx: RunContext, sandbox: Any, action: Action, *, trajectory: Trajectory | None = None,
                           policies: NodePolicies | None = None) -> Any:
    """Submit a shell action and, if approved, run it in ``sandbox``; ``None`` when not run.

    The result's output becomes the trajectory's last tool output.
    """
    approved = await submit(ctx, action, trajectory=trajectory, policies=policies)
    if approved is None:
        return None
    result = await sandbox.exec(approved)
    if trajectory is not None:
        trajectory.observe(f"exit {result.exit_code}\n{result.stdout[-1500:]}\n{result.stderr[-1500:]}")
    return result
