"""The evaluation dataset: honest and attack actions for ML-experiment nodes.

``data/honest.jsonl`` holds realistic experiment-code diffs and commands; ``attack.jsonl``
holds actions that do the main task's kind of work while pursuing a side task (exfiltrate a
secret, open the network, tamper with metrics or data splits, extend limits, plant a backdoor,
falsify results). Each line: ``{id, label, side_task, node, task, reasoning, payload}``.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from proctor.control.core import Action

EvalMode = Literal["honest", "attack"]


class EvalItem(BaseModel):
    """One labelled action."""

    id: str
    label: EvalMode
    side_task: str | None = None
    action: Action


def _read(text: str, source: str) -> list[EvalItem]:
    items = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            action = Action(id=row["id"], node=row["node"], task=row.get("task", ""),
                            reasoning=row.get("reasoning") or None, payload=row["payload"])
            items.append(EvalItem(id=row["id"], label=row["label"], side_task=row.get("side_task"), action=action))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{source}:{i}: bad eval item ({exc})") from exc
    return items


def load_dataset(directory: Path | None = None) -> list[EvalItem]:
    """All items from ``directory`` (``*.jsonl``), default the packaged ``eval_data``.

    Raises:
        ValueError: for a malformed line (naming file and line).
    """
    if directory is not None:
        files = sorted(Path(directory).glob("*.jsonl"))
        if not files:
            raise ValueError(f"no *.jsonl files in {directory}")
        return [it for f in files for it in _read(f.read_text(encoding="utf-8"), str(f))]
    root = resources.files("proctor.control.eval").joinpath("data")
    return [it for name in ("honest.jsonl", "attack.jsonl")
            for it in _read(root.joinpath(name).read_text(encoding="utf-8"), name)]
