"""The research workflow as a LangGraph graph.

``propose_idea`` (one idea per step, looping) -> ``save_ideas`` -> ``approve_ideas`` (a human
gate when ``workflow.approve_ideas``) -> one ``research_idea`` subgraph per idea via ``Send``
(check_novelty -> run_experiments -> write_paper -> review_paper) -> ``summarize``. Every node
is a checkpointed stage, so a killed run resumes at the first unfinished node.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send, interrupt

from proctor.agents._archive import batch_archive
from proctor.agents._context import RunContext
from proctor.agents._idea_graph import build_idea_graph
from proctor.agents._ideation import propose_idea
from proctor.agents._stage import stage


class ResearchState(TypedDict, total=False):
    """What flows through the research graph."""

    direction: str
    template: str | None
    ideas: Annotated[list[dict[str, Any]], operator.add]
    stages: Annotated[list[str], operator.add]
    outcomes: Annotated[list[dict[str, Any]], operator.add]


def build_graph(ctx: RunContext, checkpointer: BaseCheckpointSaver[Any] | None = None) -> Any:
    """Compile the research graph for one run."""
    settings, run = ctx.settings, ctx.run

    async def _propose(state: ResearchState) -> dict[str, Any]:
        return await propose_idea(state, settings, archive=batch_archive(run))  # type: ignore[arg-type]

    async def _save_ideas(state: ResearchState) -> dict[str, Any]:
        run.write_artifact("ideas/ideas.json", state.get("ideas", []))
        return {"stages": ["ideation"]}

    async def _approve_ideas(state: ResearchState) -> dict[str, Any]:
        if not settings.workflow.approve_ideas:
            return {}
        decision = interrupt({"kind": "approve_ideas", "ideas": [i["Title"] for i in state.get("ideas", [])]})
        keep = decision.get("keep") if isinstance(decision, dict) else None
        if keep is not None:
            run.write_artifact("ideas/approved.json", keep)
        return {"stages": ["ideas_approved"]}

    def _more_ideas(state: ResearchState) -> Literal["propose_idea", "save_ideas"]:
        return "propose_idea" if len(state.get("ideas", [])) < settings.workflow.num_ideas else "save_ideas"

    def _fan_out(state: ResearchState) -> list[Send]:
        ideas = state.get("ideas", [])
        approved = run.path / "ideas" / "approved.json"
        if approved.exists():
            import json

            keep = set(json.loads(approved.read_text()))
            ideas = [i for i in ideas if i["Name"] in keep or i["Title"] in keep]
        sends = []
        archived = [f"{i['Title']}. {i['Experiment']}" for i in batch_archive(run)]
        for n, idea in enumerate(ideas):
            earlier = archived + [f"{i['Title']}. {i['Experiment']}" for i in ideas[:n]]
            sends.append(Send("research_idea", {"idea": idea, "earlier": earlier, "errors": []}))
        return sends or [Send("summarize", {})]

    async def _summarize(state: ResearchState) -> dict[str, Any]:
        outcomes = sorted(state.get("outcomes", []), key=lambda o: o["idea"])
        run.write_artifact("summary.json", {"direction": state.get("direction"), "outcomes": outcomes})
        return {"stages": ["summary"]}

    graph: Any = StateGraph(ResearchState)
    graph.add_node("propose_idea", stage("propose_idea", _propose, run.path))
    graph.add_node("save_ideas", stage("save_ideas", _save_ideas, run.path))
    graph.add_node("approve_ideas", _approve_ideas)
    graph.add_node("research_idea", build_idea_graph(ctx))
    graph.add_node("summarize", stage("summarize", _summarize, run.path))
    graph.add_edge(START, "propose_idea")
    graph.add_conditional_edges("propose_idea", _more_ideas)
    graph.add_edge("save_ideas", "approve_ideas")
    graph.add_conditional_edges("approve_ideas", _fan_out, ["research_idea", "summarize"])
    graph.add_edge("research_idea", "summarize")
    graph.add_edge("summarize", END)
    return graph.compile(checkpointer=checkpointer)
