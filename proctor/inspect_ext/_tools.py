"""Inspect tool calls as Proctor actions, and back.

* A shell tool (Inspect's ``bash``: ``{"command": ...}``) becomes ``ShellCommand(["bash", "-c", command])``
  and a Python tool (``python``: ``{"code": ...}``) ``ShellCommand(["python3", "-c", code])``: the
  forms the static monitor reads (shell segments, the Python AST) and a reviewer edits (the script,
  the command line).
* Any other tool becomes an ``AgentMessage`` from the agent to ``tool:<name>`` whose text is the
  call's arguments as JSON (scored, never held for its payload alone).

:func:`tool_call_for` turns the action the gate approved (perhaps edited by the trusted editor, or
modified by a human) back into a call of the *same* tool, as Inspect requires of a ``modify``.
"""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Mapping
from typing import Any, Literal

from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageTool, ChatMessageUser
from inspect_ai.tool import ToolCall

from proctor.control import Action, AgentMessage, HistoryItem, ShellCommand, summarize_action

ShellKind = Literal["bash", "python"]
SHELL_TOOLS: dict[str, ShellKind] = {"bash": "bash", "python": "python"}
"""Tool name -> how its single argument runs (Inspect's own ``bash()`` and ``python()``)."""
_ARG: dict[ShellKind, str] = {"bash": "command", "python": "code"}
_PREFIX: dict[ShellKind, list[str]] = {"bash": ["bash", "-c"], "python": ["python3", "-c"]}
MAX_TASK_CHARS = 4000


def _kind(call: ToolCall, shell_tools: Mapping[str, ShellKind]) -> ShellKind | None:
    kind = shell_tools.get(call.function)
    if kind is None or not isinstance(call.arguments.get(_ARG[kind]), str):
        return None
    return kind


def action_for(call: ToolCall, *, node: str, task: str = "", reasoning: str | None = None,
               shell_tools: Mapping[str, ShellKind] = SHELL_TOOLS) -> Action:
    """The Proctor action a tool call proposes (``reasoning``: the model's text beside the call)."""
    kind = _kind(call, shell_tools)
    payload: ShellCommand | AgentMessage
    if kind is not None:
        payload = ShellCommand(argv=[*_PREFIX[kind], call.arguments[_ARG[kind]]],
                               timeout_s=_timeout(call.arguments.get("timeout")))
    else:
        payload = AgentMessage(sender="agent", recipient=f"tool:{call.function}",
                               text=json.dumps(call.arguments, indent=1, sort_keys=True, default=str))
    return Action(node=node, task=task[:MAX_TASK_CHARS], payload=payload, reasoning=reasoning or None)


def _timeout(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def tool_call_for(call: ToolCall, action: Action, *,
                  shell_tools: Mapping[str, ShellKind] = SHELL_TOOLS) -> ToolCall | None:
    """``call`` with the arguments of ``action``; ``None`` when the action is no call of that tool."""
    kind = _kind(call, shell_tools)
    p = action.payload
    arguments: dict[str, Any]
    if kind is not None and isinstance(p, ShellCommand):
        if p.argv[:2] == _PREFIX[kind] and len(p.argv) == 3:
            body = p.argv[2]
        elif kind == "bash" and p.argv:
            body = shlex.join(p.argv)
        else:
            return None
        arguments = {**call.arguments, _ARG[kind]: body}
    elif kind is None and isinstance(p, AgentMessage):
        try:
            parsed = json.loads(p.text)
        except ValueError:
            return None
        if not isinstance(parsed, dict):
            return None
        arguments = parsed
    else:
        return None
    return dataclasses.replace(call, arguments=arguments)


def task_of(history: list[ChatMessage]) -> str:
    """The sample's task as the agent got it: its first user message."""
    first = next((m for m in history if isinstance(m, ChatMessageUser)), None)
    return first.text if first is not None else ""


def last_tool_output(history: list[ChatMessage]) -> str | None:
    """The last tool result the agent saw (escaped by the gate before a monitor reads it)."""
    last = next((m for m in reversed(history) if isinstance(m, ChatMessageTool)), None)
    return last.text if last is not None else None


def trajectory(history: list[ChatMessage], decided: Mapping[str, HistoryItem], *, node: str,
               shell_tools: Mapping[str, ShellKind] = SHELL_TOOLS) -> list[HistoryItem]:
    """Earlier tool calls of the conversation, with the gate's scores and decisions where it made them."""
    items: list[HistoryItem] = []
    for message in history:
        if not isinstance(message, ChatMessageAssistant):
            continue
        for call in message.tool_calls or []:
            known = decided.get(call.id)
            items.append(known if known is not None else HistoryItem(
                summary=summarize_action(action_for(call, node=node, shell_tools=shell_tools))))
    return items
