"""A reviewer's modification of a held action: the same action with a new payload, ready to execute.

The modified action keeps the node and task and gets a new id; a file edit's diff is recomputed
against the file as it was before the proposal (recovered from the proposal's own diff), so the
monitors and the audit log see exactly what will be written.
"""

from __future__ import annotations

import secrets
import shlex

from proctor.control.core._actions import (
    Action,
    AgentMessage,
    FileEdit,
    LiteratureQuery,
    SandboxRun,
    ShellCommand,
)
from proctor.diffs import original_text, unified_diff


class ModifyError(ValueError):
    """The modification does not fit the held action's kind, or is empty."""


def modify_action(original: Action, text: str) -> Action:
    """``original`` with its payload replaced by what a reviewer wrote.

    Args:
        original: the held action.
        text: for a file edit, the file's full new content; for a shell command or sandbox run, the
            command line (split like a shell would; for ``bash -c SCRIPT``, the script); for a query,
            the query; for a message, its text. :func:`modification_text` gives the starting text.

    Raises:
        ModifyError: for an empty modification, a command that does not split, or a file edit whose
            original cannot be recovered from the proposal.
    """
    p = original.payload
    if not text.strip():
        raise ModifyError("the modification is empty")
    payload: FileEdit | ShellCommand | SandboxRun | LiteratureQuery | AgentMessage
    if isinstance(p, FileEdit):
        if p.new_content is None:
            raise ModifyError("the held edit carries no file content to recover the original from")
        try:
            before = original_text(p.diff, p.new_content) if p.diff.strip() else ""
        except ValueError as exc:
            raise ModifyError(f"cannot recover {p.path} before the edit: {exc}") from exc
        payload = FileEdit(path=p.path, diff=unified_diff(before, text, p.path), new_content=text)
    elif isinstance(p, ShellCommand) and _shell_script(p):
        payload = p.model_copy(update={"argv": [*p.argv[:2], text.strip()]})
    elif isinstance(p, (ShellCommand, SandboxRun)):
        try:
            argv = shlex.split(text)
        except ValueError as exc:
            raise ModifyError(f"the command does not parse: {exc}") from exc
        payload = (p.model_copy(update={"argv": argv}) if isinstance(p, ShellCommand)
                   else p.model_copy(update={"command": argv}))
    elif isinstance(p, LiteratureQuery):
        # keep where it goes (an online source); the URL is the old query's, so it is dropped
        payload = p.model_copy(update={"query": " ".join(text.split()), "url": None})
    else:
        payload = p.model_copy(update={"text": text})
    return original.model_copy(update={"id": secrets.token_hex(6), "payload": payload,
                                       "reasoning": "modified by a human reviewer"})


def _shell_script(p: ShellCommand) -> bool:
    """``bash -c SCRIPT`` / ``sh -c SCRIPT``: the reviewer edits the script itself."""
    return len(p.argv) == 3 and p.argv[:2] in (["bash", "-c"], ["sh", "-c"])


def modification_text(action: Action) -> str:
    """What a reviewer edits to modify ``action`` (the inverse of :func:`modify_action`)."""
    p = action.payload
    if isinstance(p, FileEdit):
        return p.new_content or ""
    if isinstance(p, ShellCommand):
        return p.argv[2] if _shell_script(p) else shlex.join(p.argv)
    if isinstance(p, SandboxRun):
        return shlex.join(p.command)
    if isinstance(p, LiteratureQuery):
        return p.query
    return p.text
