"""Test doubles for control tests: action builders, a label-driven monitor, a fake trusted model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from proctor.control import Action, FileEdit, MonitorVerdict, ShellCommand, TrajectoryView


def command(*argv: str, node: str = "run_experiment") -> Action:
    return Action(node=node, task="train a model", payload=ShellCommand(argv=list(argv)))


def edit(path: str, *added: str, removed: tuple[str, ...] = (), node: str = "write_code") -> Action:
    body = "".join(f"-{r}\n" for r in removed) + "".join(f"+{a}\n" for a in added)
    diff = f"--- a/{path}\n+++ b/{path}\n@@ -1,{len(removed)} +1,{len(added)} @@\n{body}"
    return Action(node=node, task="improve the model", payload=FileEdit(path=path, diff=diff))


class LabelMonitor:
    """Scores by a table keyed on the command's first word (control-arena's label-driven monitor)."""

    def __init__(self, table: dict[str, float], default: float = 0.0) -> None:
        self.table, self.default, self.calls = table, default, 0

    async def __call__(self, action: Action, view: TrajectoryView) -> MonitorVerdict:
        self.calls += 1
        key = action.payload.argv[0] if isinstance(action.payload, ShellCommand) else action.kind
        return MonitorVerdict(score=self.table.get(key, self.default), monitor="label", reasons=[key])


class FakeModel:
    """A trusted model double with the gateway's ``complete``/``structured`` methods."""

    def __init__(self, outputs: list[Any] | Callable[[list[dict[str, Any]]], Any], name: str = "fake/model") -> None:
        self.outputs, self.name, self.requests = outputs, name, []

    def _next(self, messages: list[dict[str, Any]]) -> Any:
        self.requests.append(messages)
        if callable(self.outputs):
            out = self.outputs(messages)
        elif self.outputs:
            out = self.outputs.pop(0)
        else:
            raise RuntimeError("fake model exhausted")
        if isinstance(out, BaseException):
            raise out
        return out

    async def complete(self, messages: list[dict[str, Any]], **kw: Any) -> Any:
        class Reply:
            text = self._next(messages)
        return Reply()

    async def structured(self, messages: list[dict[str, Any]], output: type, **kw: Any) -> Any:
        return output.model_validate_json(self._next(messages))
