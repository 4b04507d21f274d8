"""Showing an evidence bundle and the text a reviewer edits to modify an action.

Highlighting uses Textual's theme variables (``$text-success``...), so diffs and commands stay
readable on light and dark themes alike.
"""

from __future__ import annotations

from pygments.token import Token
from textual.content import Content
from textual.highlight import HighlightTheme, highlight

from proctor.control.audit import AuditItem
from proctor.control.core import (
    Action,
    AgentMessage,
    FileEdit,
    LiteratureQuery,
    SandboxRun,
    ShellCommand,
    modification_text,
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
    """``(text, language)`` a reviewer edits for a ``modify`` decision (a file edit: the whole new file)."""
    lang = "python" if isinstance(action.payload, FileEdit) and action.payload.path.endswith(".py") else (
        "text" if isinstance(action.payload, (FileEdit, LiteratureQuery, AgentMessage)) else "bash")
    return modification_text(action), lang



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
