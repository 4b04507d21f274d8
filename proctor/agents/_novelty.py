"""The novelty check: model-written queries over rounds, a verdict citing passages, and a signal.

Steps:
    1. The untrusted model writes search queries and its reasoning for them (each query a ``query``
       action through the control gate, the reasoning its reasoning channel); later rounds see the
       hits so far and refine.
    2. The index returns passages (two-stage search) and the deterministic signal: the highest
       similarity to any passage, the nearest papers, and near-duplicates among the run's ideas.
    3. With ``retrieval.online.enabled``: each approved query also goes to the online sources' fallback
       chain, each request a gated ``query`` action whose payload names the source and public URL; the
       papers found join the online index, searched beside the local one; then the full text of the
       closest online papers (each PDF fetch gated too) adds their paragraphs, and the search runs again.
    4. The model decides novel / not novel, citing passage numbers; beside it, the calibrated similarity
       rule's verdict (no prose read), which decides when the model gives none. The verdict, queries,
       evidence (each passage with its origin: local, online:<source>, fulltext), online requests and
       signal go to ``novelty/<idea>.json``.

An empty or missing index is a recorded, recoverable skip (never a silent "novel"), unless online search
is on and finds papers.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, Field

from proctor.agents._context import RunContext
from proctor.agents._gating import Trajectory, submit
from proctor.agents._text import clipped
from proctor.control import Action, LiteratureQuery
from proctor.llm import ModelUnavailable, StructuredOutputError, get_model
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


class _Online:
    """The online half of one idea's check: gated searches, the papers found, full-text fetches."""

    def __init__(self, ctx: RunContext, idea: dict[str, Any], index: Any, trajectory: Trajectory) -> None:
        from proctor.retrieval import online_literature

        self.ctx, self.idea, self.trajectory = ctx, idea, trajectory
        self.lit = online_literature(ctx.settings.retrieval, embedder=index.embedder)
        self.papers: dict[str, Any] = {}
        self.searches: list[dict[str, Any]] = []
        self.fulltext: list[dict[str, Any]] = []
        self.reasoning = ""
        self._asked: set[str] = set()

    async def approve(self, source: str, url: str, query: str) -> str | None:
        """The control gate on one online request (its source and public URL in the payload)."""
        action = Action(node="check_novelty", task=f"novelty search for: {self.idea['Title']}",
                        reasoning=self.reasoning or None, payload=LiteratureQuery(query=query, source=source, url=url))
        approved = await submit(self.ctx, action, trajectory=self.trajectory)
        if approved is None or not isinstance(approved.action.payload, LiteratureQuery):
            return None
        return approved.action.payload.query

    async def search(self, queries: list[str], reasoning: str) -> None:
        """Each query not asked yet through the chain; the papers found into the online index."""
        self.reasoning = reasoning
        for q in queries:
            if q in self._asked:
                continue
            self._asked.add(q)
            result = await self.lit.asearch(q, self.approve)
            self.searches.append(result.model_dump(mode="json", exclude={"papers"}) | {"papers": len(result.papers)})
            for paper in result.papers:
                self.papers.setdefault(paper.paper_id, paper)
            if result.papers:
                await asyncio.to_thread(self.lit.store, result.papers)

    async def full_text(self, hits: list[Any]) -> bool:
        """Full text of the closest online papers among ``hits``; whether any paragraphs were added."""
        from proctor.retrieval import afetch_fulltext, hit_origin

        n = self.ctx.settings.retrieval.online.fulltext_papers
        closest = [self.papers[i] for i in dict.fromkeys(h.passage.paper_id for h in hits
                                                           if hit_origin(h).startswith("online:"))
                   if i in self.papers][:n]
        self.reasoning = "harness: full text of the closest online papers for the novelty evidence"
        results = await afetch_fulltext(self.lit, closest, self.approve)
        self.fulltext += [r.model_dump(mode="json") for r in results]
        return any(r.status == "added" for r in results)

    def record(self) -> dict[str, Any]:
        """What the novelty record keeps of it."""
        return {"enabled": True, "order": list(self.ctx.settings.retrieval.online.order),
                "searches": self.searches, "fulltext": self.fulltext, "index": self.lit.index.name}


def _skip(ctx: RunContext, idea: dict[str, Any], exc: BaseException) -> dict[str, Any]:
    record = {"idea": idea["Name"], "status": "skipped", "reason": f"{type(exc).__name__}: {exc}", "novel": None}
    ctx.run.write_artifact(f"novelty/{idea['Name']}.json", record)
    return record


async def check_idea_novelty(ctx: RunContext, idea: dict[str, Any], earlier: list[str]) -> dict[str, Any]:
    """Run the novelty check for one idea and write its evidence file; returns the verdict record."""
    from proctor.retrieval import IndexEmpty, acheck_novelty, hit_origin, novelty_rule

    settings = ctx.settings
    model = get_model("untrusted", settings)
    text = f"{idea['Title']}. {idea['Experiment']}"
    online_on = settings.retrieval.online.enabled
    try:
        index = await asyncio.to_thread(ctx.index)
        if not online_on:
            await asyncio.to_thread(index.require_papers)
    except (IndexEmpty, Exception) as exc:  # noqa: BLE001 - any index failure is a recorded skip
        return _skip(ctx, idea, exc)
    queries: list[str] = []
    trajectory = Trajectory()
    online = _Online(ctx, idea, index, trajectory) if online_on else None
    also = [online.lit.index] if online is not None else []
    evidence = None
    try:
        for round_no in range(settings.workflow.novelty_rounds):
            shown: list[str] = [_show(h) for h in evidence.hits[:5]] if evidence else []
            prompt = render("agents/novelty_queries.j2", idea=idea, previous_queries=queries, hits=shown)
            proposed = await model.structured([{"role": "user", "content": prompt}], Queries, max_tokens=120,
                                              seed=settings.workflow.seed + round_no)
            queries += await _approved_queries(ctx, idea, [q for q in proposed.queries if q][:3], trajectory,
                                               proposed.reasoning)
            if online is not None:
                await online.search(queries, proposed.reasoning)
            evidence = await acheck_novelty(index, text, queries, earlier_ideas=earlier, also=also)
        assert evidence is not None
        if online is not None and await online.full_text(evidence.hits[: settings.workflow.novelty_evidence]):
            evidence = await acheck_novelty(index, text, queries, earlier_ideas=earlier, also=also)
    except IndexEmpty as exc:  # online search found nothing either
        return _skip(ctx, idea, exc)
    top = evidence.hits[: settings.workflow.novelty_evidence]
    rule = novelty_rule(evidence.signal.max_similarity, settings.retrieval, index.embedder.identity)
    prompt = render("agents/novelty_decision.j2", idea=idea, hits=[_show(h) for h in top])
    try:
        decision: NoveltyDecision | None = await model.structured(
            [{"role": "user", "content": prompt}], NoveltyDecision, max_tokens=200, seed=settings.workflow.seed)
    except (StructuredOutputError, ModelUnavailable):
        decision = None  # the rule decides
    cited_at = dict.fromkeys(decision.cited) if decision is not None else {}
    cited = [top[i - 1].model_dump(mode="json") | {"origin": hit_origin(top[i - 1])}
             for i in cited_at if 1 <= i <= len(top)][:5]
    record = {
        "idea": idea["Name"], "status": "checked",
        "novel": decision.novel if decision is not None else rule.novel,
        "decided_by": "model" if decision is not None else "rule",
        "reasoning": (decision.reasoning or "(the model gave no reasoning)") if decision is not None
        else f"(the model gave no verdict) the closest passage's similarity {rule.max_similarity:.3f} is "
             f"{'below' if rule.novel else 'at or above'} the threshold {rule.threshold:.3f}",
        "rule": rule.model_dump(mode="json") | {"agrees": decision is None or decision.novel == rule.novel},
        "cited": cited, "queries": evidence.queries, "signal": evidence.signal.model_dump(mode="json"),
        "evidence": [h.model_dump(mode="json") | {"origin": hit_origin(h)} for h in top], "index": evidence.index,
        "flags": [f for f, on in (("likely_known", evidence.signal.likely_known),
                                  ("near_duplicate", evidence.signal.is_duplicate)) if on],
    }
    if online is not None:
        record["online"] = online.record()
    ctx.run.write_artifact(f"novelty/{idea['Name']}.json", record)
    return record
