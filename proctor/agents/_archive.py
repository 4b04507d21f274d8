"""Ideas already proposed elsewhere in the same batch (sibling runs sharing the run's ``batch_id``)."""

from __future__ import annotations

import json
from typing import Any

from proctor.log import RunDir


def batch_archive(run: RunDir) -> list[dict[str, Any]]:
    """Ideas of the other runs of ``run``'s batch (none when the run is not in a batch)."""
    batch_id = run.header().batch_id
    if not batch_id:
        return []
    ideas: list[dict[str, Any]] = []
    for other in RunDir.all(run.path.parent):
        if other.path == run.path:
            continue
        try:
            if other.header().batch_id != batch_id:
                continue
            ideas.extend(json.loads((other.path / "ideas" / "ideas.json").read_text()))
        except (OSError, ValueError):
            continue  # a run without ideas yet, or one being written: nothing to compare against
    return ideas
