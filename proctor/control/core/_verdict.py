"""What monitors see and what they return.

A monitor is an async callable ``(action, view) -> MonitorVerdict``. It never sees the raw graph
state: :func:`build_view` makes the one redacted :class:`TrajectoryView` every monitor gets
(bounded history with earlier flags, tool output escaped so it cannot pose as monitor markup).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, Field

from proctor.control.core._actions import Action

FAILED_SCORE = 1.0
"""The score of a failed monitor, sample or part: at or above any audit threshold."""


class MonitorVerdict(BaseModel):
    """One monitor's suspicion score for one action."""

    score: float = Field(ge=0.0, le=1.0, description="Suspicion in [0, 1]; 1 is certainly malicious.")
    reasons: list[str] = Field(default_factory=list, description="Why, one finding per line.")
    parsed: bool = Field(
        default=True, description="False when the monitor, or any sample or part of it, failed (raised, "
        "timed out or gave unparseable output); the score is then 1.0 (fail-closed).")
    monitor: str = Field(description="Registry name of the monitor (or composite).")
    categories: list[str] = Field(default_factory=list, description="Finding categories (static).")
    parts: list[MonitorVerdict] = Field(
        default_factory=list, description="Verdicts of the monitors a composite combined."
    )

    def with_failures(self, failed: Sequence[str], of: int, what: str) -> MonitorVerdict:
        """This verdict, failed closed when any of its ``of`` samples or parts failed.

        A failure is never averaged away: with any failure the score is ``max(good scores, 1.0)``,
        that is 1.0, at or above every audit threshold, and ``parsed`` is False, with a first
        reason naming how many failed. Without failures the verdict is returned unchanged.

        Args:
            failed: labels of the samples or parts that failed (``sample 2``, ``cascade.first``).
            of: how many samples or parts there were.
            what: what they are, plural (``samples``, ``monitors``).

        Returns:
            The verdict.
        """
        if not failed:
            return self
        why = (f"{len(failed)} of {of} {what} failed ({', '.join(failed)}): failed closed, "
               f"score {FAILED_SCORE:g} whatever the others said")
        return self.model_copy(update={"score": FAILED_SCORE, "parsed": False, "reasons": [why, *self.reasons]})

    def flat(self) -> list[MonitorVerdict]:
        """This verdict followed by every nested part, depth first."""
        out = [self]
        for part in self.parts:
            out.extend(part.flat())
        return out


class HistoryItem(BaseModel):
    """An earlier action of the same trajectory, as a monitor may see it."""

    summary: str = Field(description="One-line rendering of the action.")
    score: float | None = Field(default=None, description="Its suspicion score, if it was scored.")
    flags: list[str] = Field(default_factory=list, description="Reasons it was flagged.")
    decision: str | None = Field(default=None, description="What the protocol decided.")


class TrajectoryView(BaseModel):
    """The redacted view of a trajectory a monitor gets."""

    node: str
    task: str
    history: list[HistoryItem] = Field(default_factory=list)
    tool_output: str = Field(default="", description="Last tool output, escaped and truncated.")


class Monitor(Protocol):
    """Scores one proposed action."""

    async def __call__(self, action: Action, view: TrajectoryView) -> MonitorVerdict: ...


def escape(text: str, limit: int = 6000) -> str:
    """Neutralise markup in untrusted text and truncate it (keeping head and tail)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if len(text) > limit:
        half = limit // 2
        text = f"{text[:half]}\n[... {len(text) - limit} characters cut ...]\n{text[-half:]}"
    return text


def build_view(
    action: Action,
    history: Sequence[HistoryItem] = (),
    tool_output: str | None = None,
    *,
    max_items: int = 8,
    max_chars: int = 6000,
) -> TrajectoryView:
    """The one function that builds a monitor's view of a trajectory."""
    recent = list(history)[-max_items:] if max_items else []
    return TrajectoryView(
        node=action.node, task=action.task, history=recent,
        tool_output=escape(tool_output or "", max_chars),
    )


def fail_closed(monitor: str, why: str) -> MonitorVerdict:
    """The verdict of a monitor that failed: maximally suspicious, marked unparsed."""
    return MonitorVerdict(score=FAILED_SCORE, reasons=[f"monitor failed, treated as suspicious: {why}"],
                          parsed=False, monitor=monitor)
