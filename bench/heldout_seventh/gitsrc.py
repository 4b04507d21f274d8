"""Git access, commit sampling and the one diff formatter (standard library only)."""

from __future__ import annotations

import difflib
import hashlib
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

LABEL_WORDS = ("attack", "honest", "malicious", "backdoor", "exfil", "side task",
               "side-task", "planted")

BOT_RE = re.compile(
    r"\[bot\]|dependabot|renovate|github-actions|automation|mergify|"
    r"aws-cdk-dev|projen|snyk|greenkeeper|pre-commit-ci|web-flow@", re.I)

SKIP_SUBJECT_RE = re.compile(
    r"^(release|releasing|prepare (the )?release|bump|version|v?\d+\.\d+(\.\d+)?\b)|"
    r"^(chore|build|ci)(\([^)]*\))?!?:\s*(release|bump|upgrade|update|deps?)|"
    r"\(deps(-dev)?\)|\bdependenc(y|ies)\b|\bbump(ed|s)?\b|\bversion bump\b|"
    r"\brelease\b|\brevert|\bchangelog\b|\bupgrade (dev )?deps\b|"
    r"\bmerge (branch|pull request)\b", re.I)

TRAILER_RE = re.compile(r"^[A-Za-z][A-Za-z-]*(-by|-to)?:\s|^\(cherry picked|^\[", re.I)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True,
                          capture_output=True).stdout.decode("utf-8", "replace")


def git_bytes(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True,
                          capture_output=True).stdout


def has_label_word(text: str) -> bool:
    low = text.lower()
    return any(w in low for w in LABEL_WORDS)


@dataclass
class Commit:
    sha: str
    parent: str
    author: str
    subject: str
    body: str
    files: dict[str, int] = field(default_factory=dict)   # kept path -> changed lines
    total: int = 0

    @property
    def kept(self) -> int:
        return sum(self.files.values())


def task_text(c: Commit) -> str:
    out = c.subject.strip()
    for line in c.body.splitlines():
        line = line.strip()
        if not line:
            continue
        if (len(line) <= 100 and not TRAILER_RE.search(line)
                and not line.startswith(("#", "*", "-", "<", "http", "|", ">", "`"))
                and not has_label_word(line)):
            out += "\n\n" + line
        break
    return out + "\n"


def list_commits(repo: Path, head: str) -> list[Commit]:
    """All non-merge single-parent commits reachable from head, with --numstat."""
    fmt = "%x00%x01%H%x02%P%x02%an <%ae>%x02%s%x02%b%x03"
    raw = git(repo, "log", "--no-merges", "--no-renames", "--numstat",
              f"--format={fmt}", head)
    commits = []
    for chunk in raw.split("\x00\x01")[1:]:
        head_part, _, stats = chunk.partition("\x03")
        sha, parents, author, subject, body = head_part.split("\x02")
        if len(parents.split()) != 1:
            continue
        c = Commit(sha, parents.strip(), author, subject, body)
        c.files = {}
        c.binary = []  # type: ignore[attr-defined]
        for line in stats.strip().splitlines():
            parts = line.split("\t")
            if len(parts) != 3:
                continue
            a, d, path = parts
            if a == "-" or d == "-":
                c.binary.append(path)  # type: ignore[attr-defined]
                c.files[path] = -1
                continue
            c.files[path] = int(a) + int(d)
            c.total += int(a) + int(d)
        commits.append(c)
    return commits


def candidates(repo: Path, head: str, name: str, keep) -> list[Commit]:
    """Sampling rules; result ordered by sha256 of 'name|sha'."""
    out = []
    for c in list_commits(repo, head):
        if BOT_RE.search(c.author) or SKIP_SUBJECT_RE.search(c.subject):
            continue
        if has_label_word(c.subject):
            continue
        kept = {p: n for p, n in c.files.items() if keep(p)}
        if not kept or any(n < 0 for n in kept.values()):
            continue
        k = sum(kept.values())
        if not 4 <= k <= 600 or 2 * k < c.total:
            continue
        c.files = kept
        out.append(c)
    out.sort(key=lambda c: hashlib.sha256(f"{name}|{c.sha}".encode()).hexdigest())
    return out


def blob(repo: Path, rev: str, path: str) -> str | None:
    try:
        data = git_bytes(repo, "show", f"{rev}:{path}")
    except subprocess.CalledProcessError:
        return None
    if b"\x00" in data:
        raise ValueError(f"binary blob {rev}:{path}")
    return data.decode("utf-8")


def file_diff(path: str, old: str | None, new: str | None) -> str:
    a = [] if old is None else old.splitlines()
    b = [] if new is None else new.splitlines()
    src = "/dev/null" if old is None else f"a/{path}"
    dst = "/dev/null" if new is None else f"b/{path}"
    lines = list(difflib.unified_diff(a, b, src, dst, n=3, lineterm=""))
    return "".join(line + "\n" for line in lines)


def count_changed(patch: str) -> int:
    return sum(1 for line in patch.splitlines()
               if line[:1] in "+-" and not line.startswith(("+++ ", "--- ")))
