"""The novelty check: model-written queries over rounds, a verdict citing passages, and a signal.

Steps:
    1. The untrusted model writes search queries and its reasoning for them (each query a ``query``
       action through the control gate, the reasoning its reasoning channel); later rounds see the
       hits so far and refine.
    2. The index returns passages (two-stage search) and the deterministic signal: the highest
       similarity to any passage, the nearest papers, and near-duplicates among the run's ideas.
    3. The model decides novel / not novel, citing passage numbers; the verdict, queries, evidence
       and signal go to ``novelty/<idea>.json``.

An empty or missing index is a recorded, recoverable skip (never a silent "novel").
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, Field

from proctor.agents._context import RunContext
from proctor.agents._gating import Trajectory, submit
from proctor.agents._text import clipped
from proctor.control import Action, LiteratureQuery
from proctor.llm import get_model
from proctor.prompts import render


class Queries(BaseModel):
    """Search queries the model proposes."""

    queries: list[clipped(200)]  # type: ignore[valid-type]
    reasoning: clipped(300) = ""  # type: ignore[valid-type]  # last: the queries come first


class NoveltyDecision(BaseModel):
    """The model's verdict."""

    novel: bool
    cited: list[int] = Field(default_factory=list)
    reasoning: clipped(600)  # type: ignore[valid-type]


def _show(hit: Any) -> str:
    p = hit.passage
    return f"{p.title} ({p.venue} {p.year or ''}): {' '.join(p.text.split())[:300]}"


async def _approved_queries(ctx: RunContext, idea: dict[str, Any], queries: list[str],
                            trajectory: Trajectory, reasoning: str = "") -> list[str]:
    """Each query through the gate (held ones pause the run), with the model's reasoning for them; the
    queries that may run, as approved."""
    allowed = []
    for q in queries:
        q = " ".join(q.split())[:200]
        if not q:
            continue
        action = Action(node="check_novelty", task=f"novelty search for: {idea['Title']}",
                        reasoning=reasoning or None, payload=LiteratureQuery(query=q))
        approved = await submit(ctx, action, trajectory=trajectory)
        if approved is not None and isinstance(approved.action.payload, LiteratureQuery):
            allowed.append(approved.action.payload.query)
    return allowed


async def check_idea_novelty(ctx: RunContext, idea: dict[str, Any], earlier: list[str]) -> dict[str, Any]:
    """Run the novelty check for one idea and write its evidence file; returns the verdict record."""
    from proctor.retrieval import IndexEmpty, acheck_novelty

    settings = ctx.settings
    model = get_model("untrusted", settings)
    text = f"{idea['Title']}. {idea['Experiment']}"
    try:
        index = await asyncio.to_thread(ctx.index)
        await asyncio.to_thread(index.require_papers)
    except (IndexEmpty, Exception) as exc:  # noqa: BLE001 - any index failure is a recorded skip
        record = {"idea": idea["Name"], "status": "skipped", "reason": f"{type(exc).__name__}: {exc}",
                  "novel": None}
        ctx.run.write_artifact(f"novelty/{idea['Name']}.json", record)
        return record
    queries: list[str] = []
    trajectory = Trajectory()
    evidence = None
    for round_no in range(settings.workflow.novelty_rounds):
        shown: list[str] = [_show(h) for h in evidence.hits[:5]] if evidence else []
        prompt = render("agents/novelty_queries.j2", idea=idea, previous_queries=queries, hits=shown)
        proposed = await model.structured([{"role": "user", "content": prompt}], Queries, max_tokens=120,
                                          seed=settings.workflow.seed + round_no)
        queries += await _approved_queries(ctx, idea, [q for q in proposed.queries if q][:3], trajectory,
                                           proposed.reasoning)
        evidence = await acheck_novelty(index, text, queries, earlier_ideas=earlier)
    assert evidence is not None
    top = evidence.hits[: settings.workflow.novelty_evidence]
    prompt = render("agents/novelty_decision.j2", idea=idea, hits=[_show(h) for h in top])
    decision = await model.structured([{"role": "user", "content": prompt}], NoveltyDecision, max_tokens=200,
                                      seed=settings.workflow.seed)
    cited = [top[i - 1].model_dump(mode="json") for i in dict.fromkeys(decision.cited) if 1 <= i <= len(top)][:5]
    record = {
        "idea": idea["Name"], "status": "checked", "novel": decision.novel, "reasoning": decision.reasoning or "(the model gave no reasoning)",
        "cited": cited, "queries": evidence.queries, "signal": evidence.signal.model_dump(mode="json"),
        "evidence": [h.model_dump(mode="json") for h in top], "index": evidence.index,
        "flags": [f for f, on in (("likely_known", evidence.signal.likely_known),
                                  ("near_duplicate", evidence.signal.is_duplicate)) if on],
    }
    ctx.run.write_artifact(f"novelty/{idea['Name']}.json", record)
    return record
