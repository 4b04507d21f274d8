"""Rendering an action as text for review (LLM monitors, the audit queue, history lines)."""

from __future__ import annotations

import shlex

from proctor.control.core._actions import (
    Action,
    AgentMessage,
    FileEdit,
    LiteratureQuery,
    SandboxRun,
    ShellCommand,
)


def render_action(action: Action) -> str:
    """Full, human-readable text of what the action would do."""
    p = action.payload
    if isinstance(p, FileEdit):
        head = f"edit {p.path}\n"
        return head + (p.diff if p.diff.strip() else f"(new content)\n{p.new_content or ''}")
    if isinstance(p, ShellCommand):
        extra = f" (cwd={p.cwd})" if p.cwd else ""
        env = "".join(f"\n  env {k}=..." for k in sorted(p.env))
        return f"$ {shlex.join(p.argv)}{extra}{env}" + (f"\n<stdin>\n{p.stdin}" if p.stdin else "")
    if isinstance(p, SandboxRun):
        mounts = ", ".join(p.mounts) or "none"
        return f"sandbox run image={p.image} gpus={p.gpus} mounts={mounts}\n$ {shlex.join(p.command)}"
    if isinstance(p, LiteratureQuery):
        online = f"\nonline request to {p.source}: GET {p.url}" if p.source or p.url else ""
        return f"literature query: {p.query}{online}"
    if isinstance(p, AgentMessage):
        return f"message {p.sender} -> {p.recipient}:\n{p.text}"
    raise TypeError(f"cannot render {type(p).__name__}")  # pragma: no cover


def summarize_action(action: Action, limit: int = 160) -> str:
    """One line for trajectory summaries and history."""
    first = render_action(action).replace("\n", " | ")
    return first if len(first) <= limit else first[: limit - 3] + "..."
