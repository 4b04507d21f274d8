"""The critical-action list: categories of action always held for a human, whatever the score."""

from __future__ import annotations

from collections.abc import Collection

from proctor.control.core import Action
from proctor.control.monitors._static import static_findings


def critical_categories(action: Action, critical: Collection[str], *, allowed_imports: Collection[str],
                        workdir: str | None = None) -> list[str]:
    """The critical categories ``action`` falls in; empty when none.

    By default: network, credentials, writes outside the workspace, edits to scoring or logging code.
    """
    if not critical:
        return []
    found = static_findings(action, allowed_imports=allowed_imports, workdir=workdir)
    return sorted({f.category for f in found if f.category in critical})
