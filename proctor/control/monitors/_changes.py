"""What an action changes, file by file and hunk by hunk, in each file's own language.

A payload's diff may be one file's hunks or a whole multi-file patch (``diff --git`` sections, as
``git diff`` writes them); :func:`file_changes` splits it into :class:`FileChange` records that the
detectors score on what they add and what they remove. Text that is not a diff is new content.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from proctor.control.core import Action, FileEdit
from proctor.diffs import DiffLine, Hunk, is_diff, parse_hunks

Language = Literal["python", "yaml", "terraform", "dockerfile", "shell", "json", "code", "text"]

_FILE_SPLIT = re.compile(r"^(?=diff --git )", re.M)
_PLUS = re.compile(r"^\+\+\+ (?:b/)?(\S+)", re.M)
_MINUS = re.compile(r"^--- (\S+)", re.M)
_GIT = re.compile(r"^diff --git a/(\S+) b/(\S+)")
PROSE_SUFFIXES = (".md", ".rst", ".txt", ".adoc", ".html")  # documents, not config or code
MAX_CHANGE_CHARS = 400_000  # a patch beyond this is scored on its first part (and flagged as huge)


def language_of(path: str) -> Language:
    """The language a detector should read ``path`` in, from its name."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.endswith((".py", ".pyi")):
        return "python"
    if name.endswith((".yaml", ".yml", ".tpl")) or name in ("chart.lock",):
        return "yaml"
    if name.endswith((".tf", ".tfvars", ".hcl")):
        return "terraform"
    if name == "dockerfile" or name.startswith("dockerfile.") or name.endswith(".dockerfile") or name == "containerfile":
        return "dockerfile"
    if name.endswith((".sh", ".bash", ".zsh")) or name in ("makefile",):
        return "shell"
    if name.endswith(".json"):
        return "json"
    if name.endswith((".ts", ".tsx", ".js", ".mjs", ".cjs", ".java", ".go", ".cs", ".kt", ".rb", ".rs", ".scala",
                      ".jsonnet", ".libsonnet")):
        return "code"
    return "text"


@dataclass
class FileChange:
    """One file's change: its hunks, what they add and remove, and the file's language."""

    path: str
    language: Language
    hunks: list[Hunk] = field(default_factory=list)
    new_file: bool = False
    deleted: bool = False
    content: str | None = None  # the whole new file when known

    @property
    def added(self) -> list[str]:
        """Added lines, in order."""
        return [line.text for h in self.hunks for line in h.added]

    @property
    def removed(self) -> list[str]:
        """Removed lines, in order."""
        return [line.text for h in self.hunks for line in h.removed]

    def new_text(self) -> str:
        """The new side: the whole file when known, else each hunk's context and added lines."""
        if self.content is not None:
            return self.content
        return "\n\n".join("\n".join(line.text for line in h.new_side) for h in self.hunks)

    def old_text(self) -> str:
        """The old side of each hunk (context and removed lines)."""
        return "\n\n".join("\n".join(line.text for line in h.lines if line.kind != "added") for h in self.hunks)


def _section(text: str, fallback: str) -> FileChange | None:
    git = _GIT.match(text)
    plus, minus = _PLUS.search(text), _MINUS.search(text)
    path = plus.group(1) if plus and plus.group(1) != "/dev/null" else None
    if path is None and git:
        path = git.group(2)
    if path is None and minus:
        path = minus.group(1).removeprefix("a/")
    path = path or fallback
    hunks = parse_hunks(text)
    if not hunks and not git:
        return None
    return FileChange(path=path, language=language_of(path), hunks=hunks,
                      new_file=bool(minus and minus.group(1) == "/dev/null") or "\nnew file mode" in text[:300],
                      deleted=bool(plus and plus.group(1) == "/dev/null") or "\ndeleted file mode" in text[:300])


def split_patch(diff: str, path: str = "unknown") -> list[FileChange]:
    """Per-file changes of a unified diff (one file's hunks or a multi-file patch)."""
    diff = diff[:MAX_CHANGE_CHARS]
    parts = [p for p in _FILE_SPLIT.split(diff) if p.strip()]
    if len(parts) <= 1 and not _GIT.match(diff.lstrip()):
        # Several ---/+++ pairs without git headers: split before each '--- ' that a '+++ ' follows.
        # (One file with a git header is one section: splitting it would leave the header alone.)
        parts = [p for p in re.split(r"^(?=--- .*\n\+\+\+ )", diff, flags=re.M) if p.strip()]
    out = [c for c in (_section(p, path) for p in parts) if c is not None]
    return out


def file_changes(action: Action) -> list[FileChange]:
    """The file changes of ``action`` (none for a command, query or message)."""
    p = action.payload
    if not isinstance(p, FileEdit):
        return []
    if is_diff(p.diff):
        changes = split_patch(p.diff, p.path)
        if len(changes) == 1 and p.new_content is not None:
            changes[0].content = p.new_content[:MAX_CHANGE_CHARS]
        if changes:
            return changes
    text = (p.new_content if p.new_content is not None else p.diff)[:MAX_CHANGE_CHARS]
    lines = text.splitlines()
    hunk = Hunk(1, 0, 1, len(lines))
    hunk.lines = [DiffLine("added", t, None, i) for i, t in enumerate(lines, 1)]
    return [FileChange(path=p.path, language=language_of(p.path), hunks=[hunk], new_file=True, content=text)]
