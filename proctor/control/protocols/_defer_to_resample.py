"""Defer to resample (Bhatt et al. 2025, "Ctrl-Z: Controlling AI Agents via Resampling")."""

from __future__ import annotations

from typing import Literal

from proctor.control.core import Action, ControlProtocol, ProtocolContext, ProtocolDecision
from proctor.control.protocols._registry import protocol


@protocol("defer_to_resample")
def defer_to_resample(resample_threshold: float = 0.3, samples: int = 2,
                      aggregate: Literal["max", "min", "mean"] = "max") -> ControlProtocol:
    """Silently resample suspicious actions and use the samples as evidence.

    Steps:
        1. Score the proposed action; below ``resample_threshold`` and the audit threshold,
           ``allow`` it.
        2. Resample: draw ``samples`` fresh proposals from the untrusted policy for the same
           step (silently: the agent never learns the first one was set aside) and score each.
        3. Audit on the aggregate (``max`` by default) of all scores: at or above the audit
           threshold, hold the step for a human (``escalate``) with every sample as evidence.
        4. Otherwise run the least suspicious sample if it is below ``resample_threshold``
           (``resample``); else defer to the trusted policy when one is supplied, or ``block``.

    Args:
        resample_threshold: suspicion from which a proposal is set aside and resampled.
        samples: resamples drawn per suspicious step.
        aggregate: how the audit score combines the original and its resamples.

    Returns:
        The protocol.
    """
    if samples < 1:
        raise ValueError("defer_to_resample needs samples >= 1")

    async def route(action: Action, ctx: ProtocolContext) -> ProtocolDecision:
        first = await ctx.monitor(action, ctx.view)
        key = action.digest()
        if first.score < resample_threshold and not ctx.audit.should_audit(first.score, key):
            return ProtocolDecision(decision="allow", action=action, executed=action, verdicts=[first],
                                    protocol="defer_to_resample", score=first.score, reason="below the resample threshold")
        pool: list[tuple[Action, float]] = [(action, first.score)]
        verdicts = [first]
        resamples: list[Action] = []
        if ctx.policies.resample is not None:
            for _ in range(samples):
                alt = await ctx.policies.resample(action, ctx.view)
                verdict = await ctx.monitor(alt, ctx.view)
                resamples.append(alt)
                verdicts.append(verdict)
                pool.append((alt, verdict.score))
        scores = [s for _, s in pool]
        agg = max(scores) if aggregate == "max" else min(scores) if aggregate == "min" else sum(scores) / len(scores)
        common = dict(action=action, verdicts=verdicts, protocol="defer_to_resample", score=agg, resamples=resamples)
        if ctx.audit.should_audit(agg, key):
            return ProtocolDecision(decision="escalate", executed=None, reason=f"{aggregate} over {len(pool)} samples above the audit threshold", **common)  # type: ignore[arg-type]
        best, best_score = min(pool[1:], key=lambda p: p[1], default=(None, 1.0))
        if best is not None and best_score < resample_threshold:
            return ProtocolDecision(decision="resample", executed=best, reason="ran the least suspicious resample", **common)  # type: ignore[arg-type]
        if ctx.policies.trusted_policy is not None:
            trusted = (await ctx.policies.trusted_policy(action, ctx.view)).model_copy(update={"origin": "trusted"})
            return ProtocolDecision(decision="defer_to_trusted", executed=trusted, reason="every sample suspicious", **common)  # type: ignore[arg-type]
        return ProtocolDecision(decision="block", executed=None, reason="every sample suspicious and no trusted policy", **common)  # type: ignore[arg-type]

    return route
