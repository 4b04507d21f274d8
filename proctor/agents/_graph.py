"""The research workflow as a LangGraph graph.

Nodes are verbs; each is a checkpointed stage, so a killed run resumes at the first unfinished
node. Ideas are proposed one per step (a loop), which makes resume granular.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from proctor.agents._ideation import propose_idea
from proctor.agents._stage import stage
from proctor.agents._state import ResearchState
from proctor.log import RunDir
from proctor.settings import Settings


def build_graph(
    settings: Settings, run: RunDir, checkpointer: BaseCheckpointSaver[Any] | None = None
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compile the research graph for one run."""

    async def _propose(state: ResearchState) -> dict[str, Any]:
        return await propose_idea(state, settings)

    async def _save_ideas(state: ResearchState) -> dict[str, Any]:
        run.write_artifact("ideas/ideas.json", state.get("ideas", []))
        return {"stages": ["ideation"]}

    def _more_ideas(state: ResearchState) -> Literal["propose_idea", "save_ideas"]:
        return "propose_idea" if len(state.get("ideas", [])) < settings.workflow.num_ideas else "save_ideas"

    graph = StateGraph(ResearchState)
    graph.add_node("propose_idea", stage("propose_idea", _propose))  # type: ignore[call-overload]
    graph.add_node("save_ideas", stage("save_ideas", _save_ideas))  # type: ignore[call-overload]
    graph.add_edge(START, "propose_idea")
    graph.add_conditional_edges("propose_idea", _more_ideas)
    graph.add_edge("save_ideas", END)
    return graph.compile(checkpointer=checkpointer)
