"""Ideation: the untrusted model proposes ideas one at a time, each a checkpointed step."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, create_model

from proctor.agents._state import Idea
from proctor.agents._text import clipped
from proctor.llm import get_model
from proctor.prompts import render
from proctor.settings import Settings  # noqa: TC001

IdeaDraft: type[Idea] = create_model(
    "Idea", __base__=Idea,
    Thought=(clipped(300), Field(default="", description="Why this idea is worth testing, in a sentence or two.")))
"""What the model writes: an :class:`Idea` and its reasoning (``Thought``, last so the idea's fields come
first). The thought stays in the idea's record and is the reasoning the idea's hand-off carries to the
monitors; the schema keeps the name ``Idea``."""

DEFAULT_SEED_IDEAS = [
    {"Name": "learning_rate_warmup", "Title": "Does Learning-Rate Warmup Matter for Small MLPs?",
     "Experiment": "Train a 2-layer MLP on a tabular task with and without linear warmup over 5 seeds; "
                   "compare final validation accuracy and loss curves.",
     "Interestingness": 5, "Feasibility": 9, "Novelty": 3},
]


def rotated(items: list[Any], n: int) -> list[Any]:
    """``items`` starting at position ``n`` (wrapping), so each idea's prompt leads with another example.

    Few-shot prompts steer small base models toward their first example; rotating the examples per
    idea keeps successive ideas of a run from collapsing onto the same one.
    """
    if not items:
        return []
    k = n % len(items)
    return items[k:] + items[:k]


def ideation_messages(state: dict[str, Any], seed_ideas: list[dict[str, Any]], task: str,
                      archive: list[dict[str, Any]] | None = None) -> list[dict[str, str]]:
    """The chat messages asking for the next idea (avoiding the run's and the batch's earlier ideas)."""
    prompt = render(
        "agents/ideation.j2",
        direction=state["direction"],
        task_description=task,
        seed_ideas=[json.dumps(i) for i in seed_ideas],
        batch=[i["Title"] for i in archive or []],
        previous=[i["Title"] for i in state.get("ideas", [])],
    )
    return [{"role": "user", "content": prompt}]


async def propose_idea(state: dict[str, Any], settings: Settings,
                       archive: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Ask the untrusted model for one more idea (schema-valid) and append it to the state."""
    from proctor.agents.template import load_template

    model = get_model("untrusted", settings)
    n = len(state.get("ideas", []))
    seeds, task = DEFAULT_SEED_IDEAS, ""
    if "experiments" in settings.workflow.stages:
        template = load_template(settings.workflow.template)
        seeds = rotated([s.model_dump() for s in template.seed_ideas], n)[:3] or DEFAULT_SEED_IDEAS
        task = template.prompt.task_description
    messages = ideation_messages(state, seeds, task, archive or [])
    idea = await model.structured(messages, IdeaDraft, max_tokens=400, seed=settings.workflow.seed + n)
    for r in range(settings.workflow.reflection_rounds):
        prompt = render("agents/ideation_reflect.j2", direction=state["direction"], idea=idea.model_dump_json(),
                        round=r + 1, rounds=settings.workflow.reflection_rounds)
        idea = await model.structured([{"role": "user", "content": prompt}], IdeaDraft, max_tokens=400,
                                      seed=settings.workflow.seed + n)
    taken = {i["Name"] for i in state.get("ideas", [])}
    if idea.Name in taken:  # names become directory names: keep them unique within the run
        idea.Name = f"{idea.Name}_{n + 1}"
    return {"ideas": [idea.model_dump()]}
