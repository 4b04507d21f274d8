"""``batch.worker_init`` for tests: scripts ``mock/u`` in each worker process.

The n-th idea of a run is derived from the prompt (which lists the run's earlier ideas apart from
its sibling runs'), so a resumed worker continues the numbering. With ``PROCTOR_TEST_HANG_DIR`` set, a worker hangs inside its
run's second model call after writing ``<dir>/<pid>``: the kill -9 tests wait for that file.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any


def idea(i: int) -> str:
    return json.dumps({"Name": f"idea_{i}", "Title": f"Idea title number {i}", "Experiment": "e" * 40,
                       "Interestingness": 5, "Feasibility": 6, "Novelty": 7})


def respond(messages: list[dict[str, Any]]) -> str:
    text = " ".join(str(m.get("content", "")) for m in messages)
    marker = "Ideas already proposed in this run"  # the run's own ideas (sibling runs' are listed apart)
    n = text.split(marker, 1)[1].count("Idea title number") if marker in text else 0
    hang_dir = os.environ.get("PROCTOR_TEST_HANG_DIR")
    if hang_dir and n == 1 and not (Path(hang_dir) / "release").exists():
        (Path(hang_dir) / str(os.getpid())).write_text("hanging")
        deadline = time.monotonic() + 3600
        while not (Path(hang_dir) / "release").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    return idea(n)


def init() -> None:
    from proctor.llm import mock

    mock.script("u", respond)
