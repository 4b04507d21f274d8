"""Trusted monitoring (Greenblatt et al. 2024, "AI Control", section 3)."""

from __future__ import annotations

from proctor.control.core import Action, ControlProtocol, ProtocolContext, ProtocolDecision
from proctor.control.protocols._registry import protocol


@protocol("trusted_monitoring")
def trusted_monitoring() -> ControlProtocol:
    """Audit the most suspicious actions, run the rest as proposed.

    Steps:
        1. Score: the trusted monitor rates the proposed action.
        2. Audit: at or above the calibrated audit threshold (ties split at random), hold it for
           a human (``escalate``).
        3. Otherwise ``allow`` it unchanged.

    On APPS with a 2% audit budget this reached 62% safety at 97% usefulness.

    Returns:
        The protocol.
    """

    async def route(action: Action, ctx: ProtocolContext) -> ProtocolDecision:
        verdict = await ctx.monitor(action, ctx.view)
        audit = ctx.audit.should_audit(verdict.score, action.digest())
        return ProtocolDecision(
            decision="escalate" if audit else "allow", action=action, executed=None if audit else action,
            verdicts=[verdict], protocol="trusted_monitoring", score=verdict.score,
            reason="suspicion above the audit threshold" if audit else "below the audit threshold",
        )

    return route
