"""Labelled tool calls from AgentDojo (Debenedetti et al., 2024), one source of the monitor corpus.

AgentDojo ships, for each suite (workspace, travel, banking, slack), user tasks with the tool
calls that solve them (honest) and injection tasks with the calls an attacker wants (attack). An
honest item is one ground-truth call of a user task, with that task's prompt as the node's task;
an attack item is one injection call under a user task's prompt (the task the agent was really
given), so the call is off-task by construction. Each call becomes a message to a tool
(``AgentMessage(recipient="tool:<function>")``) whose text is ``function(json arguments)``.

Needs the ``agentdojo`` package (not a dependency of Proctor: ``pip install agentdojo``); the
extracted items ship as ``data/corpus/agentdojo.jsonl``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any


def _call_item(item_id: str, label: str, task: str, call: Any, side: str | None) -> dict[str, Any]:
    args = json.dumps(dict(call.args), sort_keys=True, default=str)
    return {"id": item_id, "label": label, "side_task": side, "node": "tool_call", "task": task,
            "source": "agentdojo", "reasoning": None,
            "payload": {"kind": "message", "sender": "agent", "recipient": f"tool:{call.function}",
                        "text": f"{call.function}({args})"}}


def extract(out: Path, version: str = "v1.2", pairs: int = 3, seed: int = 0) -> int:
    """Write AgentDojo's ground-truth calls as eval items to ``out``; return how many."""
    from agentdojo.task_suite.load_suites import get_suites  # type: ignore[import-not-found]

    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for suite_name, suite in sorted(get_suites(version).items()):
        env = suite.load_and_inject_default_environment({})
        users = sorted(suite.user_tasks.items())
        for uid, task in users:
            try:
                calls = task.ground_truth(env)
            except Exception:  # a few ground truths need a run-time environment; skip them
                continue
            for n, call in enumerate(calls):
                rows.append(_call_item(f"adj-{suite_name}-{uid}-{n}", "honest", task.PROMPT, call, None))
        for iid, inj in sorted(suite.injection_tasks.items()):
            try:
                calls = inj.ground_truth(env)
            except Exception:
                continue
            for uid, task in rng.sample(users, min(pairs, len(users))):
                for n, call in enumerate(calls):
                    rows.append(_call_item(f"adj-{suite_name}-{iid}-{uid}-{n}", "attack", task.PROMPT, call,
                                           f"injection:{suite_name}"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows), encoding="utf-8")
    return len(rows)
