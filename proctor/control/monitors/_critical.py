"""The critical-action list: categories of action always held for a human, whatever the score."""

from __future__ import annotations

from collections.abc import Collection

from proctor.control.core import Action, AgentMessage, LiteratureQuery
from proctor.control.monitors._static import static_findings


def critical_categories(action: Action, critical: Collection[str], *, allowed_imports: Collection[str],
                        workdir: str | None = None) -> list[str]:
    """The critical categories ``action`` falls in; empty when none.

    By default: network, credentials, writes outside the workspace, edits to scoring or logging code.
    A message to another agent or a literature query does none of these (its payload's findings, a URL it
    mentions say, score it but never force a hold; its reasoning's may, when ``stated_intent`` is listed).
    """
    if not critical:
        return []
    found = static_findings(action, allowed_imports=allowed_imports, workdir=workdir)
    if isinstance(action.payload, (AgentMessage, LiteratureQuery)):
        found = [f for f in found if f.category == "stated_intent"]
    return sorted({f.category for f in found if f.category in critical})
