"""Showing an evidence bundle, and turning an edited action text back into an action.

Highlighting uses Textual's theme variables (``$text-success``...), so diffs and commands stay
readable on light and dark themes alike.
"""

from __future__ import annotations

import shlex

from pygments.token import Token
from textual.content import Content
from textual.highlight import HighlightTheme, highlight

from proctor.control.audit import AuditItem
from proctor.control.core import (
    Action,
    ActionPayload,
    AgentMessage,
    FileEdit,
    LiteratureQuery,
    SandboxRun,
    ShellCommand,
)


class DiffTheme(HighlightTheme):
    """Textual's highlight theme plus diff insertions and deletions."""

    STYLES = {
        **HighlightTheme.STYLES,
        Token.Generic.Inserted: "$text-success",
        Token.Generic.Deleted: "$text-error",
        Token.Generic.Subheading: "$text-accent",
    }


def editable_text(action: Action) -> tuple[str, str]:
    """``(text, language)`` a reviewer edits for a ``modify`` decision."""
    p = action.payload
    if isinstance(p, FileEdit):
        return (p.diff if p.diff.strip() else p.new_content or ""), "diff"
    if isinstance(p, ShellCommand):
        if len(p.argv) == 3 and p.argv[:2] in (["bash", "-c"], ["sh", "-c"]):
            return p.argv[2], "bash"
        return shlex.join(p.argv), "bash"
    if isinstance(p, SandboxRun):
        return shlex.join(p.command), "bash"
    if isinstance(p, LiteratureQuery):
        return p.query, "text"
    return p.text, "text"


def modified_action(action: Action, text: str) -> Action:
    """The action with its payload replaced by the reviewer's edited ``text``.

    Raises:
        ValueError: when the text is empty or cannot be split into a command.
    """
    if not text.strip():
        raise ValueError("the modified action is empty")
    p = action.payload
    payload: ActionPayload
    if isinstance(p, FileEdit):
        payload = FileEdit(path=p.path, diff=text if p.diff.strip() else "",
                           new_content=None if p.diff.strip() else text)
    elif isinstance(p, ShellCommand):
        shell = len(p.argv) == 3 and p.argv[:2] in (["bash", "-c"], ["sh", "-c"])
        payload = p.model_copy(update={"argv": [*p.argv[:2], text.strip()] if shell else shlex.split(text)})
    elif isinstance(p, SandboxRun):
        payload = p.model_copy(update={"command": shlex.split(text)})
    elif isinstance(p, LiteratureQuery):
        payload = LiteratureQuery(query=text.strip())
    elif isinstance(p, AgentMessage):
        payload = p.model_copy(update={"text": text})
    else:  # pragma: no cover - the payload union is closed
        raise ValueError(f"cannot modify a {type(p).__name__}")
    return Action.model_validate({**action.model_dump(), "payload": payload.model_dump()})


def action_content(action: Action) -> Content:
    """The action, syntax-highlighted (a diff for file edits, shell for commands)."""
    text, language = editable_text(action)
    p = action.payload
    if isinstance(p, FileEdit):
        head = Content.from_markup("[b]edit[/b] $path\n", path=p.path)
    elif isinstance(p, ShellCommand):
        head = Content.from_markup("[b]shell[/b]$cwd\n", cwd=f" (cwd {p.cwd})" if p.cwd else "")
    elif isinstance(p, SandboxRun):
        head = Content.from_markup("[b]sandbox run[/b] image=$image gpus=$gpus\n", image=str(p.image), gpus=str(p.gpus))
    else:
        head = Content.from_markup("[b]$kind[/b]\n", kind=p.kind)
    body = highlight(text, language=language, theme=DiffTheme) if language != "text" else Content(text)
    return head + body


def evidence_content(item: AuditItem, run_name: str) -> Content:
    """Everything but the action: task, monitors, resamples and trajectory, as one block."""
    ev = item.evidence
    parts = [Content.from_markup(
        "[b]$id[/b] in [b]$run[/b]  node $node  protocol $protocol\n"
        "percentile [b]$pct[/b]  score $score  status $status\n[$text-warning]$reason[/]\n\n[b]Task[/b]\n$task\n",
        id=item.id, run=run_name, node=item.node, protocol=item.protocol, pct=f"{item.percentile:.3f}",
        score=f"{item.score:.3f}", status=item.status, reason=item.reason or "-", task=ev.task or "-")]
    if ev.critical:
        parts.append(Content.from_markup("[$text-error b]critical:[/] $c\n", c=", ".join(ev.critical)))
    if ev.action.reasoning:
        parts.append(Content.from_markup("\n[b]Agent reasoning[/b]\n$r\n", r=ev.action.reasoning))
    parts.append(Content.from_markup("\n[b]Monitors[/b]\n"))
    for top in ev.verdicts:
        for v in top.flat():
            style = "$text-error" if v.score >= 0.7 else "$text-warning" if v.score >= 0.3 else "$text-success"
            note = "" if v.parsed else " (unparsed: fail-closed)"
            parts.append(Content.from_markup(f"[{style}]$score[/] [b]$name[/b]$note\n", score=f"{v.score:.2f}",
                                             name=v.monitor, note=note))
            parts += [Content.from_markup("  - $r\n", r=r) for r in v.reasons]
    if not ev.verdicts:
        parts.append(Content("  (none recorded)\n"))
    if ev.resamples:
        parts.append(Content.from_markup("\n[b]Resamples ($n)[/b]\n", n=str(len(ev.resamples))))
        for i, alt in enumerate(ev.resamples, 1):
            parts += [Content.from_markup("[b]#$i[/b] ", i=str(i)), action_content(alt), Content("\n")]
    parts.append(Content.from_markup("\n[b]Trajectory so far ($n)[/b]\n", n=str(len(ev.trajectory))))
    parts += [Content.from_markup("$i. $line\n", i=str(i), line=line) for i, line in enumerate(ev.trajectory, 1)]
    if item.decisions:
        parts.append(Content.from_markup("\n[b]Earlier decisions[/b]\n"))
        parts += [Content.from_markup("$d by $who: $why\n", d=d.decision, who=d.reviewer, why=d.rationale)
                  for d in item.decisions]
    return Content("").join(parts)
