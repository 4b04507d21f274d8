"""The per-idea subgraph: check_novelty -> run_experiments -> write_paper -> review_paper.

The parent graph fans out one of these per idea with ``Send``; each node is a checkpointed stage.
A stage that fails records its error and the idea's outcome says so; other ideas go on.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langgraph.errors import GraphBubbleUp
from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from proctor.agents._context import RunContext
from proctor.agents._gating import RunTerminated
from proctor.agents._stage import stage
from proctor.llm import BudgetExceeded, ModelUnavailable


class IdeaState(TypedDict, total=False):
    """State of one idea's branch (keys distinct from the parent's, except ``outcomes``)."""

    idea: dict[str, Any]
    earlier: list[str]
    novelty: dict[str, Any]
    experiment: dict[str, Any]
    paper: dict[str, Any]
    review: dict[str, Any]
    errors: list[str]
    outcomes: Annotated[list[dict[str, Any]], operator.add]


# GraphBubbleUp (a held action's interrupt) must reach LangGraph to pause the run: never a stage failure.
_FATAL = (BudgetExceeded, ModelUnavailable, RunTerminated, GraphBubbleUp)


def _duplicate_of(novelty: dict[str, Any], idea: dict[str, Any]) -> str | None:
    """Why an idea is skipped as a near-duplicate of an earlier one, or ``None``.

    An idea from the parameter search is its one change, distinct from every earlier idea's by
    construction; its text is written from a pattern, so it reads as near-identical to its siblings.
    """
    if "near_duplicate" not in (novelty.get("flags") or []) or isinstance(idea.get("Planned_change"), dict):
        return None
    dups = (novelty.get("signal") or {}).get("duplicates") or [{}]
    best = max(dups, key=lambda d: d.get("similarity", 0.0))
    return (f"near-duplicate of an earlier idea (similarity {best.get('similarity', 0.0):.2f} to "
            f"{best.get('text', '?')[:80]!r}); workflow.skip_duplicates=false runs it anyway")


def experiment_failure(experiment: dict[str, Any]) -> str | None:
    """Why an idea's experiment produced no result (its last attempt's error), or ``None`` if it did."""
    if experiment.get("status") in ("ok", None):
        return None
    if experiment.get("reason") or experiment.get("error"):
        return str(experiment.get("reason") or experiment.get("error"))[:500]
    for attempt in reversed(experiment.get("attempts") or []):
        why = attempt.get("error") or "; ".join(attempt.get("errors") or [])
        if why:
            return f"attempt {attempt.get('attempt')}: {why}"[:500]
    return "no attempt ran"


def build_idea_graph(ctx: RunContext) -> Any:
    """Compile the per-idea subgraph (checkpointed through the parent's checkpointer)."""
    stages = ctx.settings.workflow.stages

    def guarded(name: str, key: str, fn: Any) -> Any:
        async def node(state: IdeaState) -> dict[str, Any]:
            if name not in stages:
                return {key: {"status": "skipped", "reason": "not in workflow.stages"}}
            try:
                return {key: await fn(state)}
            except _FATAL:
                raise
            except Exception as exc:  # recorded, recoverable: the idea's outcome shows it
                error = f"{name}: {type(exc).__name__}: {exc}"[:1500]
                return {key: {"status": "failed", "error": error},
                        "errors": [*state.get("errors", []), error]}
        return node

    async def novelty(state: IdeaState) -> dict[str, Any]:
        from proctor.agents._novelty import check_idea_novelty

        return await check_idea_novelty(ctx, state["idea"], state.get("earlier", []))

    async def experiments(state: IdeaState) -> dict[str, Any]:
        from proctor.agents._experiments import run_experiments
        from proctor.agents._handoff import handed_idea

        duplicate = _duplicate_of(state.get("novelty", {}), state["idea"])
        if duplicate and ctx.settings.workflow.skip_duplicates:
            return {"status": "skipped", "reason": duplicate}
        idea = await handed_idea(ctx, state["idea"])  # gated, then paraphrased (control.paraphrase)
        return await run_experiments(ctx, idea, ctx.settings.workflow.template)

    async def writeup(state: IdeaState) -> dict[str, Any]:
        from proctor.agents._writeup import write_idea_paper

        return await write_idea_paper(ctx, state["idea"], state.get("experiment", {}), state.get("novelty", {}))

    async def review(state: IdeaState) -> dict[str, Any]:
        from proctor.agents._review_stage import review_idea_paper

        paper = state.get("paper", {})
        if ctx.settings.workflow.approve_paper and paper.get("status") == "ok":
            decision = interrupt({"kind": "approve_paper", "idea": state["idea"]["Name"],
                                  "paper": paper.get("markdown")})
            if not (isinstance(decision, dict) and decision.get("approve")):
                return {"status": "skipped", "reason": "paper not approved for review"}
        return await review_idea_paper(ctx, state["idea"], paper)

    async def finish(state: IdeaState) -> dict[str, Any]:
        outcome = {
            "idea": state["idea"]["Name"], "title": state["idea"]["Title"],
            "novelty": {k: state.get("novelty", {}).get(k) for k in ("status", "novel", "flags", "reason")},
            "experiment": state.get("experiment", {}).get("status"),
            "skipped": state.get("experiment", {}).get("reason"),
            "experiment_failure": experiment_failure(state.get("experiment", {})),
            "paper": state.get("paper", {}).get("markdown"),
            "review": {k: state.get("review", {}).get(k) for k in ("status", "overall", "decision")},
            "errors": state.get("errors", []),
        }
        ctx.run.write_artifact(f"ideas/{state['idea']['Name']}/outcome.json", outcome)
        return {"outcomes": [outcome]}

    graph: Any = StateGraph(IdeaState)
    steps = [("check_novelty", "novelty", "novelty", novelty),
             ("run_experiments", "experiments", "experiment", experiments),
             ("write_paper", "writeup", "paper", writeup),
             ("review_paper", "review", "review", review)]
    previous = START
    for node, name, key, fn in steps:
        graph.add_node(node, stage(node, guarded(name, key, fn), ctx.run.path))
        graph.add_edge(previous, node)
        previous = node
    graph.add_node("finish_idea", finish)
    graph.add_edge(previous, "finish_idea")
    graph.add_edge("finish_idea", END)
    return graph.compile()
