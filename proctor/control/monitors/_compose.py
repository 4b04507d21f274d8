"""Composite monitors: a cascade (cheap first, careful only when flagged) and max/mean ensembles."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Literal

from proctor.control.core import Action, Monitor, MonitorVerdict, TrajectoryView
from proctor.control.monitors._registry import monitor

Combine = Literal["max", "mean"]


def combine(verdicts: Sequence[MonitorVerdict], how: Combine, name: str) -> MonitorVerdict:
    """One verdict from several: max or mean score; unparsed if any part is."""
    scores = [v.score for v in verdicts]
    value = max(scores) if how == "max" else sum(scores) / len(scores)
    return MonitorVerdict(
        score=round(value, 6), monitor=name, parsed=all(v.parsed for v in verdicts),
        reasons=[r for v in verdicts for r in v.reasons],
        categories=sorted({c for v in verdicts for c in v.categories}), parts=list(verdicts),
    )


@monitor("ensemble")
def ensemble_monitor(monitors: Sequence[Monitor], how: Combine = "max", name: str = "ensemble") -> Monitor:
    """Run every monitor concurrently and combine their scores.

    Steps:
        1. Score the action with each monitor.
        2. Combine by ``max`` (any monitor can raise suspicion; fail-closed) or ``mean``.

    Args:
        monitors: the monitors (built from nested specs by :func:`build_monitor`).
        how: ``max`` or ``mean``.
        name: name recorded on the combined verdict.

    Returns:
        The monitor.
    """
    if not monitors:
        raise ValueError("an ensemble needs at least one monitor")

    async def score(action: Action, view: TrajectoryView) -> MonitorVerdict:
        verdicts = await asyncio.gather(*(m(action, view) for m in monitors))
        return combine(verdicts, how, name)

    return score


@monitor("cascade")
def cascade_monitor(first: Monitor, second: Monitor, threshold: float = 0.2,
                    how: Combine | Literal["second"] = "max", name: str = "cascade") -> Monitor:
    """Run a cheap monitor on everything and a careful one only on what it flags.

    Steps:
        1. Score with ``first`` (e.g. the static monitor).
        2. Below ``threshold`` (and parsed), return that verdict: the careful monitor is skipped.
        3. Otherwise score with ``second`` (e.g. the LLM monitor) and combine: ``max`` (default,
           fail-closed), ``mean``, or ``second`` (the careful monitor decides alone).

    Args:
        first: cheap monitor.
        second: careful monitor.
        threshold: score of ``first`` from which ``second`` runs.
        how: how to combine when both ran.
        name: name recorded on the combined verdict.

    Returns:
        The monitor.
    """

    async def score(action: Action, view: TrajectoryView) -> MonitorVerdict:
        cheap = await first(action, view)
        if cheap.parsed and cheap.score < threshold:
            return combine([cheap], "max", name)
        careful = await second(action, view)
        if how == "second":
            out = combine([cheap, careful], "max", name)
            return out.model_copy(update={"score": careful.score, "parsed": careful.parsed})
        return combine([cheap, careful], how, name)

    return score
