"""Reviewers: the :class:`Reviewer` protocol, its registry, and the default ``neurips`` reviewer.

The ``neurips`` reviewer follows the AI Scientist's ``perform_review`` (Lu et al., 2024):

1. Draft: the model fills in the NeurIPS form for the (truncated) paper.
2. Reflect: up to ``num_reflections`` rounds, each shown the conversation so far and asked to
   correct the review; a round that repeats the previous review exactly ends them.
3. Ensemble: steps 1-2 run ``ensemble_size`` times with seeds ``seed, seed+1, ...``.
4. Meta-review: numeric scores are the members' rounded means and the decision is
   ``Overall >= accept_threshold`` (see :mod:`proctor.review._aggregate`); with more than one
   member, the model writes the meta-review's prose (if that fails, a member's prose is used).

Every model call goes through the gateway with role ``reviewer``; each step emits a
:class:`~proctor.review.ReviewEvent`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol, cast

from pydantic import BaseModel, Field

from proctor.llm import StructuredOutputError, get_model
from proctor.log import emit
from proctor.prompts import render
from proctor.registry import Registry
from proctor.review._aggregate import aggregate_reviews, decide
from proctor.review._checklist import Checklist
from proctor.review._events import ReviewEvent
from proctor.review._form import ReviewForm, ReviewText, scrub_echoes
from proctor.review._paper_text import PaperTextError, truncate_paper
from proctor.settings import ReviewSettings, review_settings


class ReviewResult(BaseModel):
    """A paper's final review with the individual reviews it aggregates."""

    review: ReviewForm = Field(description="The final review (the meta-review with an ensemble).")
    reviews: list[ReviewForm] = Field(description="Each ensemble member's review after its reflections.")
    reviewer: str = Field(description="Registry name of the reviewer.")
    model: str = Field(description="Model string of the reviewer role.")
    settings: ReviewSettings = Field(description="The review settings used.")
    paper_chars: int = Field(description="Characters of the paper text given.")
    truncated: bool = Field(description="Whether the paper was cut to settings.max_paper_chars.")
    calls: int = Field(description="Structured model calls made (retries not counted).")
    seconds: float = Field(description="Wall time of the whole review.")
    missing: list[str] = Field(default_factory=list, description="Form headings whose answers only repeated "
                               "the form (field names, the prompt's text), after one retry: marked missing.")
    checklist: Checklist | None = Field(default=None, description="The evidence checklist computed by code "
                                        "from the paper's files, scored beside the form (proctor.review).")

    @property
    def final(self) -> ReviewForm:
        """The final review (same as :attr:`review`)."""
        return self.review

    @property
    def decision(self) -> str:
        """``Accept`` or ``Reject``: the final review's decision."""
        return self.review.decision

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-able data, reviews keyed by the form's headings."""
        data = self.model_dump(mode="json", exclude={"review", "reviews", "checklist"})
        checklist = None if self.checklist is None else {
            **self.checklist.model_dump(mode="json"), "score": round(self.checklist.score, 4)}
        return {"review": self.review.to_json_dict(),
                "reviews": [r.to_json_dict() for r in self.reviews], **data, "checklist": checklist}

    def to_markdown(self) -> str:
        """The final review in Markdown, then one line per ensemble member."""
        out = self.review.to_markdown("Meta-review" if len(self.reviews) > 1 else "Review", self.missing)
        if self.checklist is not None:
            out += "\n" + self.checklist.to_markdown()
        lines = ["", "## Reviewers", "", f"Reviewer `{self.reviewer}` with `{self.model}`, "
                 f"{len(self.reviews)} review(s), {self.settings.num_reflections} reflection round(s), "
                 f"{self.calls} model calls, {self.seconds:.1f} s"
                 + (f"; paper cut to {self.settings.max_paper_chars} characters." if self.truncated else "."),
                 ""]
        lines += [f"- Review {i}: Overall {r.overall}/10, {r.decision}, confidence {r.confidence}/5"
                  for i, r in enumerate(self.reviews, 1)]
        return out + "\n".join(lines) + "\n"


class Reviewer(Protocol):
    """Reviews one paper's text."""

    async def __call__(self, paper: str) -> ReviewResult:
        """Review ``paper``; raises ``ModelError`` subclasses from the gateway."""
        ...


class ReviewerFactory(Protocol):
    """Builds a :class:`Reviewer` from the settings (deployment config)."""

    def __call__(self, settings: Any, review: ReviewSettings) -> Reviewer:
        """Return the reviewer."""
        ...


REVIEWERS: Registry[ReviewerFactory] = Registry("reviewer")
reviewer = REVIEWERS.register
"""``@reviewer("name")`` registers a reviewer factory."""


@reviewer("neurips")
def neurips_reviewer(settings: Any, review: ReviewSettings, role: str = "reviewer") -> Reviewer:
    """The AI Scientist's NeurIPS-form reviewer: draft, reflect, ensemble, meta-review.

    Args:
        settings: Root settings (or ``LLMSettings``) resolving ``role`` to a model.
        review: The review settings.
        role: Gateway role of every call.

    Returns:
        The reviewer. It raises ``PaperTextError`` for an empty paper, and the gateway's
        errors; an ensemble member whose output never validates is dropped, unless all are.
    """
    model = get_model(role, settings)
    system = {"role": "system", "content": render("review/system.j2", venue=review.venue)}
    ensemble = review.ensemble_size > 1
    temperature = review.ensemble_temperature if ensemble else review.temperature
    name = "neurips"

    def event(stage: str, started: float, form: ReviewForm | None = None, **kw: Any) -> None:
        emit(ReviewEvent(reviewer=name, model=model.name, stage=stage,  # type: ignore[arg-type]
                         overall=form.overall if form else None, decision=form.decision if form else None,
                         seconds=time.perf_counter() - started, **kw))

    instructions = render("review/draft.j2", paper="", truncated=False, few_shot=review.few_shot)

    async def member(index: int, prompt: str, calls: list[int], missing: set[str]) -> ReviewForm:
        seed = review.seed + index
        messages: list[dict[str, Any]] = [system, {"role": "user", "content": prompt}]
        started = time.perf_counter()
        form = await model.structured(messages, ReviewForm, max_tokens=review.max_tokens,
                                      temperature=temperature, seed=seed)
        calls.append(1)
        form, echoed = scrub_echoes(form, instructions)
        if echoed:  # answers that only repeat the form: asked once more, then marked missing
            retry = [system, {"role": "user", "content": prompt + render("review/echo_retry.j2", fields=echoed)}]
            again = await model.structured(retry, ReviewForm, max_tokens=review.max_tokens,
                                           temperature=temperature, seed=seed + 7919)
            calls.append(1)
            again, still = scrub_echoes(again, instructions)
            form = again if len(still) <= len(echoed) else form
            missing.update(h for h in (still if form is again else echoed)
                           if not form.model_dump(by_alias=True)[h])
        event("draft", started, form, member=index)
        for round_ in range(1, review.num_reflections + 1):
            started = time.perf_counter()
            messages += [{"role": "assistant", "content": form.model_dump_json(by_alias=True)},
                         {"role": "user", "content": render("review/reflect.j2", round=round_,
                                                            rounds=review.num_reflections)}]
            revised = await model.structured(messages, ReviewForm, max_tokens=review.max_tokens,
                                             temperature=temperature, seed=seed + 1000 * round_)
            calls.append(1)
            revised, echoed = scrub_echoes(revised, instructions)
            if len(echoed) > 0:  # a reflection that made the answers echoes does not replace the review
                revised = form
            converged = revised == form
            form = revised
            event("reflection", started, form, member=index, round=round_, converged=converged)
            if converged:
                break
        return form

    async def meta_review(forms: list[ReviewForm], calls: list[int]) -> ReviewForm:
        started = time.perf_counter()
        text: ReviewText | None = None
        failure = ""
        if len(forms) > 1 and review.meta_review:
            prompt = render("review/meta.j2", reviews=forms)
            calls.append(1)
            try:
                text = await model.structured([system, {"role": "user", "content": prompt}], ReviewText,
                                              max_tokens=review.max_tokens, temperature=review.temperature,
                                              seed=review.seed)
            except StructuredOutputError as exc:  # the scores need no prose; fall back to a member's
                failure = f" (the meta-reviewer failed: {str(exc)[:300]})"
        final = aggregate_reviews(forms, review.accept_threshold, text)
        event("meta", started, final, detail=f"{len(forms)} reviews; prose by "
              + ("the meta-reviewer" if text else "the review closest to the mean Overall") + failure)
        return final

    async def run(paper: str) -> ReviewResult:
        started = time.perf_counter()
        if not paper.strip():
            raise PaperTextError("the paper text is empty; nothing to review")
        shown, truncated = truncate_paper(paper.strip(), review.max_paper_chars)
        prompt = render("review/draft.j2", paper=shown, truncated=truncated, few_shot=review.few_shot)
        calls: list[int] = []
        gate = asyncio.Semaphore(review.concurrency)

        missing: set[str] = set()

        async def guarded(index: int) -> ReviewForm | StructuredOutputError:
            async with gate:
                member_started = time.perf_counter()
                try:
                    return await member(index, prompt, calls, missing)
                except StructuredOutputError as exc:
                    event("failed", member_started, member=index, detail=str(exc)[:500])
                    return exc

        outcomes = await asyncio.gather(*(guarded(i) for i in range(review.ensemble_size)))
        forms = [o for o in outcomes if isinstance(o, ReviewForm)]
        if not forms:
            raise cast(StructuredOutputError, outcomes[0])
        if ensemble:
            final = await meta_review(forms, calls)
        else:
            final = forms[0].model_copy(update={"decision": decide(forms[0].overall, review.accept_threshold)})
        final, _ = scrub_echoes(final, instructions)
        data = final.model_dump(by_alias=True)
        return ReviewResult(review=final, reviews=forms, reviewer=name, model=model.name, settings=review,
                            paper_chars=len(paper), truncated=truncated, calls=len(calls),
                            seconds=time.perf_counter() - started, missing=sorted(h for h in missing if not data[h]))

    return run


def build_reviewer(settings: Any, review: ReviewSettings | None = None) -> Reviewer:
    """The reviewer named by ``review.reviewer`` (default: ``settings.review``).

    Raises:
        UnknownComponent: when no reviewer is registered under that name (lists the known ones).
        ModelUnavailable: when the reviewer role's model cannot work.
    """
    review = review or review_settings(settings)
    factory = REVIEWERS.get(review.reviewer)
    return factory(settings, review)
