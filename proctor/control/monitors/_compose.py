"""Composite monitors: a cascade (cheap first, careful only when flagged, or on all) and max/mean ensembles.

Both fail closed: a member that raises, times out or returns an unparsed verdict is a failed
member, and any failed member makes the composite's score 1.0 with ``parsed=False`` (whatever
``how`` says), so a mean can never dilute a failure below the audit threshold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Literal

from proctor.control.core import Action, AuditRule, Monitor, MonitorVerdict, TrajectoryView, fail_closed
from proctor.control.monitors._registry import monitor

Combine = Literal["max", "mean"]


def combine(verdicts: Sequence[MonitorVerdict], how: Combine, name: str) -> MonitorVerdict:
    """One verdict from several: max or mean score, failed closed if any part failed.

    Args:
        verdicts: the parts' verdicts.
        how: ``max`` or ``mean`` of the scores when every part is parsed.
        name: name recorded on the combined verdict.

    Returns:
        The verdict, with the parts under ``parts``; score 1.0 and ``parsed=False`` when any part
        is unparsed (see :meth:`MonitorVerdict.with_failures`).
    """
    scores = [v.score for v in verdicts]
    value = max(scores) if how == "max" else sum(scores) / len(scores)
    out = MonitorVerdict(
        score=round(value, 6), monitor=name, reasons=[r for v in verdicts for r in v.reasons],
        categories=sorted({c for v in verdicts for c in v.categories}), parts=list(verdicts),
    )
    return out.with_failures([v.monitor for v in verdicts if not v.parsed], len(verdicts), "monitors")


async def guarded(member: Monitor, action: Action, view: TrajectoryView, label: str,
                  timeout_s: float | None = None) -> MonitorVerdict:
    """Run one member monitor; an exception or a timeout becomes a failed (fail-closed) verdict.

    Args:
        member: the monitor.
        action: the action to score.
        view: the trajectory view.
        label: name recorded on the failed verdict (``ensemble[1]``, ``cascade.first``).
        timeout_s: seconds the member may take; None waits for it.

    Returns:
        The member's verdict, or a score-1.0 unparsed verdict saying why it failed.
    """
    try:
        return await asyncio.wait_for(member(action, view), timeout_s)
    except TimeoutError:
        return fail_closed(label, f"timed out after {timeout_s:g} s")
    except Exception as exc:  # a crashed member must not take the others' verdicts with it
        return fail_closed(label, f"{type(exc).__name__}: {str(exc)[:200]}")


@monitor("ensemble")
def ensemble_monitor(monitors: Sequence[Monitor], how: Combine = "max", name: str = "ensemble",
                     timeout_s: float | None = None) -> Monitor:
    """Run every monitor concurrently and combine their scores.

    Steps:
        1. Score the action with each monitor (each within ``timeout_s``).
        2. Combine by ``max`` (any monitor can raise suspicion) or ``mean``.
        3. Fail closed: any member that raised, timed out or is unparsed makes the score 1.0
           and ``parsed`` False, for ``mean`` too.

    Args:
        monitors: the monitors (built from nested specs by :func:`build_monitor`).
        how: ``max`` or ``mean``.
        name: name recorded on the combined verdict.
        timeout_s: seconds each member may take; None waits for it.

    Returns:
        The monitor.
    """
    if not monitors:
        raise ValueError("an ensemble needs at least one monitor")

    async def score(action: Action, view: TrajectoryView) -> MonitorVerdict:
        verdicts = await asyncio.gather(*(guarded(m, action, view, f"{name}[{i}]", timeout_s)
                                          for i, m in enumerate(monitors)))
        return combine(verdicts, how, name)

    return score


Escalate = Literal["flagged", "all"]
CascadeHow = Combine | Literal["second"]


def cascade_score(first: float, second: float | None, how: CascadeHow) -> float:
    """The cascade's score from its layers' scores (``second`` None: the careful layer did not run)."""
    if second is None:
        return round(first, 6)
    value = second if how == "second" else max(first, second) if how == "max" else (first + second) / 2
    return round(value, 6)


@monitor("cascade")
def cascade_monitor(first: Monitor, second: Monitor, threshold: float = 0.2, how: CascadeHow = "max",
                    name: str = "cascade", timeout_s: float | None = None, escalate: Escalate = "flagged",
                    escalation: Mapping[str, AuditRule] | None = None) -> Monitor:
    """Run a cheap monitor on everything and a careful one only on what it flags (or on all).

    Steps:
        1. Score with ``first`` (e.g. the learned or static monitor).
        2. With ``escalate="flagged"``: below the escalation threshold (and parsed), return that
           verdict: the careful monitor is skipped. The threshold is the calibrated one for the
           action's node type in ``escalation`` (else its pooled ``*`` entry; a score equal to it
           escalates with the rule's tie probability, drawn from the action digest), else the fixed
           ``threshold`` (escalate at or above it). With ``escalate="all"`` nothing is skipped.
        3. Otherwise, a failed ``first`` included, score with ``second`` (e.g. the LLM monitor)
           and combine: ``max`` (default), ``mean``, or ``second`` (the careful monitor decides
           alone).
        4. Fail closed: if either layer raised, timed out or is unparsed, the score is 1.0 and
           ``parsed`` False, whatever ``how`` says (the second layer's verdict is still recorded,
           for the reviewer).

    Args:
        first: cheap monitor.
        second: careful monitor.
        threshold: score of ``first`` from which ``second`` runs, without calibrated thresholds.
        how: how to combine when both ran.
        name: name recorded on the combined verdict.
        timeout_s: seconds each layer may take; None waits for it.
        escalate: ``flagged`` (the second layer only on what the first flags) or ``all``.
        escalation: calibrated escalation rules by node type (``*`` pooled), from the thresholds file.

    Returns:
        The monitor.
    """
    if escalate not in ("flagged", "all"):
        raise ValueError(f"escalate must be 'flagged' or 'all', got {escalate!r}")
    rules = dict(escalation or {})

    def flagged(action: Action, score: float) -> bool:
        rule = rules.get(action.node) or rules.get("*")
        if rule is None:
            return score >= threshold
        return rule.should_audit(score, action.digest())

    async def score(action: Action, view: TrajectoryView) -> MonitorVerdict:
        cheap = await guarded(first, action, view, f"{name}.first", timeout_s)
        if escalate == "flagged" and cheap.parsed and not flagged(action, cheap.score):
            return combine([cheap], "max", name)
        careful = await guarded(second, action, view, f"{name}.second", timeout_s)
        out = combine([cheap, careful], "max" if how == "second" else how, name)
        if out.parsed:
            out = out.model_copy(update={"score": cascade_score(cheap.score, careful.score, how)})
        return out

    return score
