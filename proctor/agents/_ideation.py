"""Ideation: the untrusted model proposes ideas one at a time, each a checkpointed step.

On any model, an idea that restates the research direction or copies a seed idea
(:func:`._idea_filter.not_an_idea`) is refused and asked for again, with the reason, up to
:data:`IDEA_TRIES` times; then the idea comes from the parameter search when the template has one,
else ideation fails naming why. The embedded base model's ideas always come from the parameter
search (:mod:`._search`): it picks one untried concrete change of the template's knobs or inferred
parameters, and the idea is written from that change.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field, create_model

from proctor.agents._idea_filter import not_an_idea
from proctor.agents._search import (
    candidates,
    choice_prompt,
    choice_schema,
    dimensions,
    idea_from,
    taken_labels,
)
from proctor.agents._state import Idea
from proctor.agents._text import clipped
from proctor.llm import get_model, is_embedded
from proctor.log import ErrorEvent, emit
from proctor.prompts import render
from proctor.settings import Settings  # noqa: TC001

IDEA_TRIES = 3
"""Proposals per idea before a refused one gives way to the parameter search (or fails ideation)."""
MAX_SEARCH_OPTIONS = 16
"""Untried changes the model chooses among."""

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


class IdeationError(RuntimeError):
    """No acceptable idea: every proposal restated the direction or copied a seed, and the template offers
    no parameters to search."""


async def search_idea(state: dict[str, Any], settings: Settings, template: Any,
                      archive: list[dict[str, Any]]) -> dict[str, Any] | None:
    """An idea testing one untried change of the template's parameters, picked by the untrusted model
    under an enum; ``None`` when the template offers no untried change."""
    taken = taken_labels([*state.get("ideas", []), *archive])
    options = [c for c in candidates(dimensions(template)) if c.label not in taken][:MAX_SEARCH_OPTIONS]
    if not options:
        return None
    labels = [c.label for c in options]
    prompt = choice_prompt(state["direction"], template.prompt.task_description, labels)
    pick = await get_model("untrusted", settings).structured(
        [{"role": "user", "content": prompt}], choice_schema(labels), max_tokens=80,
        seed=settings.workflow.seed + len(state.get("ideas", [])))
    return idea_from(options[labels.index(pick.change)], len(options))  # type: ignore[attr-defined]


def _template_or_none(name: str) -> Any:
    """The template ``name``, or ``None`` when it cannot be loaded (ideas are then free-form only)."""
    from proctor.agents.template import TemplateError, load_template

    try:
        return load_template(name)
    except (TemplateError, OSError):
        return None


async def propose_idea(state: dict[str, Any], settings: Settings,
                       archive: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Ask the untrusted model for one more idea (schema-valid, not a restatement or a copy) and append it.

    Raises:
        IdeationError: every try was refused and the template has no parameters to search.
    """
    from proctor.agents.template import load_template

    model = get_model("untrusted", settings)
    n = len(state.get("ideas", []))
    archive = archive or []
    seeds, task, template = DEFAULT_SEED_IDEAS, "", None
    if "experiments" in settings.workflow.stages:
        template = load_template(settings.workflow.template)
        seeds = rotated([s.model_dump() for s in template.seed_ideas], n)[:3] or DEFAULT_SEED_IDEAS
        task = template.prompt.task_description
    all_seeds = [s.model_dump() for s in template.seed_ideas] if template else DEFAULT_SEED_IDEAS
    found: dict[str, Any] | None = None
    # The structured search needs the template's parameters even when no experiment runs (an ideation-only
    # batch): free-form ideas from the embedded model copy the examples, and every try would be refused.
    searchable = template or _template_or_none(settings.workflow.template)
    if searchable is not None and is_embedded(settings.llm.untrusted):
        found = await search_idea(state, settings, searchable, archive)
    reasons: list[str] = []
    for attempt in range(IDEA_TRIES if found is None else 0):
        messages = ideation_messages(state, seeds, task, archive)
        if reasons:
            messages[-1]["content"] += (f"\n\nThe last idea was refused: {reasons[-1]}. "
                                        "Propose a different, concrete idea.")
        idea = await model.structured(messages, IdeaDraft, max_tokens=400, seed=settings.workflow.seed + n + 101 * attempt)
        for r in range(settings.workflow.reflection_rounds):
            prompt = render("agents/ideation_reflect.j2", direction=state["direction"], idea=idea.model_dump_json(),
                            round=r + 1, rounds=settings.workflow.reflection_rounds)
            idea = await model.structured([{"role": "user", "content": prompt}], IdeaDraft, max_tokens=400,
                                          seed=settings.workflow.seed + n + 101 * attempt)
        reason = not_an_idea(idea.model_dump(), state["direction"], all_seeds)
        if reason is None:
            found = idea.model_dump()
            break
        reasons.append(reason)
        emit(ErrorEvent(where="propose_idea", message=f"idea {idea.Title[:80]!r} refused: {reason}", recoverable=True))
    if found is None and searchable is not None:
        found = await search_idea(state, settings, searchable, archive)
    if found is None:
        raise IdeationError(f"no acceptable idea after {IDEA_TRIES} tries ({'; '.join(reasons)[:600]}), and the "
                            "template offers no untried parameter change to test instead; use a stronger model")
    taken = {i["Name"] for i in state.get("ideas", [])}
    if found["Name"] in taken:  # names become directory names: keep them unique within the run
        found["Name"] = f"{found['Name']}_{n + 1}"
    return {"ideas": [found]}
