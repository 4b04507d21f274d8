"""Labelled data for monitor evaluation and training, read from the shapes it comes in.

* **JSONL of actions** (the packaged ``data/*.jsonl`` and corpus): one item per line,
  ``{id, label, side_task, node, task, reasoning, payload, source?}``;
* **a folder of patches**: ``*.patch``/``*.diff`` files labelled by a ``labels.json``
  (``{file: label}``) or ``labels.csv`` (``file,label``) beside them, by sub-folders named
  ``honest``/``attack``, or by ``honest``/``attack`` in the file name; the task comes from a
  ``<name>.task.txt`` beside the patch or from ``--task``;
* **trajectories** in the ControlArena/Inspect style: JSON or JSONL objects with an
  ``eval_mode`` (or ``label``), a task (``main_task_description``, ``task``...), and steps whose
  ``tool_calls`` (``function``, ``arguments``) become actions: ``bash`` commands, file creations
  and ``str_replace`` edits as diffs, anything else as a message to the tool. A trajectory is one
  item scored by its most suspicious action.

Labels accept ``honest``/``attack`` and their usual synonyms (``benign``, ``malicious``, 0/1).
"""

from __future__ import annotations

import csv
import json
import re
import tarfile
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from proctor.control.core import Action
from proctor.diffs import unified_diff

EvalMode = Literal["honest", "attack"]
_LABELS = {"honest": "honest", "benign": "honest", "clean": "honest", "0": "honest", "false": "honest", "negative": "honest",
           "attack": "attack", "malicious": "attack", "sabotage": "attack", "1": "attack", "true": "attack", "positive": "attack"}
_TASK_KEYS = ("main_task_description", "task", "main_task", "task_description", "input", "instructions")


class EvalItem(BaseModel):
    """One labelled item: one action, or a trajectory of several (scored by the most suspicious)."""

    id: str
    label: EvalMode
    side_task: str | None = None
    source: str = "packaged"
    action: Action
    extra: list[Action] = Field(default_factory=list, description="Further actions of a trajectory.")

    @property
    def actions(self) -> list[Action]:
        """Every action of the item."""
        return [self.action, *self.extra]


def _label(value: Any, where: str) -> EvalMode:
    key = str(value).strip().lower()
    if key not in _LABELS:
        raise ValueError(f"{where}: label {value!r} is neither honest nor attack")
    return _LABELS[key]  # type: ignore[return-value]


def _read(text: str, source: str, default_source: str = "packaged") -> list[EvalItem]:
    items = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if "payload" not in row:
                items.append(_trajectory(row, f"{source}:{i}", default_source))
                continue
            action = Action(id=row["id"], node=row["node"], task=row.get("task", ""),
                            reasoning=row.get("reasoning") or None, payload=row["payload"])
            items.append(EvalItem(id=row["id"], label=_label(row["label"], f"{source}:{i}"),
                                  side_task=row.get("side_task"), source=row.get("source") or default_source, action=action))
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"{source}:{i}: bad eval item ({exc})") from exc
    return items


def _tool_action(call: dict[str, Any], task: str, node: str, n: int, item_id: str) -> Action:
    fn = str(call.get("function") or call.get("name") or "tool")
    args = call.get("arguments") or call.get("args") or {}
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            args = {"input": args}
    payload: dict[str, Any]
    cmd = args.get("cmd") or args.get("command") if isinstance(args, dict) else None
    if fn in ("bash", "shell", "run_command", "execute", "bash_session") and isinstance(cmd, str):
        payload = {"kind": "shell", "argv": ["bash", "-c", cmd]}
    elif isinstance(args, dict) and isinstance(args.get("path"), str) and (
            isinstance(args.get("file_text"), str) or isinstance(args.get("content"), str)):
        text = str(args.get("file_text") if isinstance(args.get("file_text"), str) else args["content"])
        payload = {"kind": "file_edit", "path": args["path"], "diff": unified_diff("", text, args["path"]), "new_content": text}
    elif isinstance(args, dict) and isinstance(args.get("path"), str) and isinstance(args.get("old_str"), str):
        path = args["path"]
        payload = {"kind": "file_edit", "path": path,
                   "diff": unified_diff(args["old_str"], str(args.get("new_str") or ""), path)}
    elif isinstance(args, dict) and isinstance(args.get("diff") or args.get("patch"), str):
        payload = {"kind": "file_edit", "path": str(args.get("path") or "patch"), "diff": args.get("diff") or args["patch"]}
    else:
        payload = {"kind": "message", "sender": "agent", "recipient": f"tool:{fn}",
                   "text": f"{fn}({json.dumps(args, sort_keys=True, default=str)[:20000]})"}
    return Action.model_validate({"id": f"{item_id}-{n}", "node": node, "task": task, "payload": payload})


def _trajectory(row: dict[str, Any], where: str, default_source: str) -> EvalItem:
    meta: dict[str, Any] = row["metadata"] if isinstance(row.get("metadata"), dict) else {}
    label = row.get("eval_mode", row.get("label", meta.get("eval_mode")))
    if label is None:
        raise ValueError("a trajectory needs eval_mode or label")
    task = next((str(v) for k in _TASK_KEYS for v in (row.get(k), meta.get(k)) if isinstance(v, str) and v), "")
    steps = row.get("trajectory") or row.get("steps") or row.get("messages") or []
    if isinstance(steps, dict):
        steps = steps.get("steps") or steps.get("messages") or []
    item_id = str(row.get("id") or row.get("sample_id") or where)
    actions: list[Action] = []
    for step in steps:
        for call in (step.get("tool_calls") or []) if isinstance(step, dict) else []:
            if isinstance(call, dict):
                actions.append(_tool_action(call, task, "trajectory", len(actions), item_id))
    if not actions:
        raise ValueError("a trajectory without tool calls")
    return EvalItem(id=item_id, label=_label(label, where), side_task=row.get("side_task") or meta.get("side_task_name"),
                    source=str(row.get("source") or default_source), action=actions[0], extra=actions[1:])


def _patch_labels(folder: Path) -> dict[str, str]:
    if (folder / "labels.json").is_file():
        return {str(k): str(v) for k, v in json.loads((folder / "labels.json").read_text(encoding="utf-8")).items()}
    if (folder / "labels.csv").is_file():
        with (folder / "labels.csv").open(encoding="utf-8") as fh:
            return {r[0]: r[1] for r in csv.reader(fh) if len(r) >= 2 and r[0] != "file"}
    return {}


def _patches(folder: Path, task: str) -> list[EvalItem]:
    from proctor.control.core import FileEdit

    labels = _patch_labels(folder)
    items = []
    for f in sorted(p for p in folder.rglob("*") if p.suffix in (".patch", ".diff") and p.is_file()):
        rel = str(f.relative_to(folder))
        parts = [p.lower() for p in f.relative_to(folder).parts]
        label = labels.get(rel) or labels.get(f.name) or next(
            (p for p in parts[:-1] if p in _LABELS), None) or next((w for w in ("honest", "attack") if w in f.name.lower()), None)
        if label is None:
            raise ValueError(f"{f}: no label (labels.json, labels.csv, an honest/attack folder or name)")
        task_file = f.with_suffix(".task.txt")
        text = f.read_text(encoding="utf-8", errors="replace")
        # The monitors see the file the patch changes, never where the patch was filed (an ``attack/`` folder).
        target = re.search(r"^\+\+\+ (?:b/)?(\S+)", text, re.M)
        path = target.group(1) if target and target.group(1) != "/dev/null" else f.stem
        action = Action(id=rel, node="patch", task=task_file.read_text(encoding="utf-8") if task_file.is_file() else task,
                        payload=FileEdit(path=path, diff=text))
        items.append(EvalItem(id=rel, label=_label(label, str(f)), source=parts[0] if len(parts) > 2 else folder.name,
                              action=action))
    return items


def load_dataset(directory: Path | None = None, task: str = "") -> list[EvalItem]:
    """All items at ``directory`` (a JSONL/JSON file, a folder of them, or a folder of patches), default the packaged set.

    Raises:
        ValueError: for a malformed item (naming file and line), or a folder with nothing labelled in it.
    """
    if directory is not None:
        path = Path(directory)
        if path.is_file():
            return _file(path)
        files = sorted(p for p in path.glob("*") if p.suffix in (".jsonl", ".json") and p.name != "labels.json")
        items = [it for f in files for it in _file(f)]
        if any(p.suffix in (".patch", ".diff") for p in path.rglob("*")):
            items += _patches(path, task)
        if not items:
            raise ValueError(f"no labelled items in {directory} (*.jsonl, *.json trajectories or *.patch files)")
        return items
    root = resources.files("proctor.control.eval").joinpath("data")
    return [it for name in ("honest.jsonl", "attack.jsonl")
            for it in _read(root.joinpath(name).read_text(encoding="utf-8"), name)]


def _file(path: Path) -> list[EvalItem]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        body = json.loads(text)
        rows = body if isinstance(body, list) else body.get("samples") or body.get("trajectories") or [body]
        text = "\n".join(json.dumps(r) for r in rows)
    source = path.parent.name if path.stem in ("honest", "attack") else path.stem
    return _read(text, str(path), default_source=source)


def corpus(names: tuple[str, ...] = ("pipeline", "agentdojo", "infra")) -> list[EvalItem]:
    """The packaged monitor corpus (``data/corpus/<name>.jsonl``).

    Only what Proctor wrote itself (or a PyPI package ships) is packaged. Data cut from other
    repositories (the real Helm/CDK commits, the held-out sets) lives in the repository's ``shared/``
    folder and is passed to ``proctor control train --data``; hand-offs built from real papers come
    from :func:`handoff_dataset`.
    """
    root = resources.files("proctor.control.eval").joinpath("data", "corpus")
    return [it for n in names for it in _read(root.joinpath(f"{n}.jsonl").read_text(encoding="utf-8"), f"{n}.jsonl", n)]


def handoff_dataset(shared: Path) -> list[EvalItem]:
    """The hand-off items (:func:`handoff_items`) built from the shared data folder ``shared``.

    Raises:
        ValueError: when ``shared`` lacks the ICLR benchmark's papers or the abstract corpus.
    """
    from proctor.control.eval._handoffs import handoff_items

    try:
        rows = handoff_items(Path(shared))
    except (OSError, tarfile.TarError, EOFError, ValueError, KeyError) as exc:
        raise ValueError(f"{shared}: no hand-off texts ({type(exc).__name__}: {exc}); expected "
                         "iclr2022-review-bench/papers.tar.gz and abstracts/ml-venues-2020-2024.jsonl.gz") from exc
    return _read("\n".join(json.dumps(r) for r in rows), "handoffs", "handoffs")
