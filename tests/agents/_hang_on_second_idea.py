"""Subprocess for the kill -9 test: proposes one idea, then hangs inside the second model call."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from proctor.agents import start_run
from proctor.llm import mock
from proctor.settings import load_settings


def idea(i: int) -> str:
    return json.dumps({"Name": f"idea_{i}", "Title": f"Idea title number {i}", "Experiment": "e" * 40,
                       "Interestingness": 5, "Feasibility": 6, "Novelty": 7})


def main() -> None:
    runs_dir, marker = sys.argv[1], Path(sys.argv[2])
    calls = {"n": 0}

    def respond(messages: list[dict[str, str]]) -> str:
        calls["n"] += 1
        if calls["n"] == 1:
            return idea(0)
        marker.write_text("hanging")
        time.sleep(3600)
        return idea(1)

    mock.script("u", respond)
    settings = load_settings(None, ["llm.untrusted=mock/u", "llm.allow_mock=true", f"runs_dir={runs_dir}",
                                    "workflow.num_ideas=2", "workflow.stages=[]"])
    asyncio.run(start_run(settings, "kill me"))


if __name__ == "__main__":
    main()
