"""Git helpers for the heldout_eighth builder (standard library + git only).

Reads bare snapshots made by the `fetch` tool (``<mirror>/<owner>+<name>/repo``),
enumerates candidate commits deterministically and renders unified diffs with
difflib.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

BOT_RE = re.compile(
    r"(\[bot\]|dependabot|renovate|github-actions|projen|automation|"
    r"dependency-updater|mergify|snyk|greenkeeper|pre-commit-ci|\bbot\b)",
    re.I,
)
SUBJECT_RE = re.compile(
    r"(\brelease|\breleasing|\bversion\b|\bversions\b|\bbump|\bdependenc|\bdeps\b|"
    r"\bchangelog|\brevert|\bmerge\b|\bmerged\b|^v?\d+\.\d+(\.\d+)?\b)",
    re.I,
)


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", str(repo), *args],
        check=True,
        capture_output=True,
    ).stdout


def repo_path(mirror: Path, slug: str) -> Path:
    """``owner/name`` -> bare git dir inside the mirror."""
    base = mirror / slug.replace("/", "+")
    for cand in (base / "repo", base):
        if (cand / "objects").is_dir() or (cand / "HEAD").is_file():
            return cand
    raise FileNotFoundError(f"no snapshot of {slug} under {mirror}")


def commit_date(repo: Path, sha: str) -> str:
    return git(repo, "show", "-s", "--format=%cI", sha).decode().strip()


def blob_text(repo: Path, sha: str, path: str) -> str | None:
    """File contents at ``sha`` (None when absent or not UTF-8 text)."""
    try:
        raw = git(repo, "show", f"{sha}:{path}")
    except subprocess.CalledProcessError:
        return None
    if b"\0" in raw:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


@dataclass
class Commit:
    sha: str
    parent: str
    author: str
    email: str
    subject: str
    body: str
    # path -> (added, deleted); None for binary
    numstat: dict = field(default_factory=dict)


def iter_commits(repo: Path, head: str, exclude: tuple = ()):
    """All single-parent commits reachable from head with --no-renames numstat.

    ``exclude`` lists generated files (API docs, lock files) that are left out
    of the line counts; bare snapshots may also omit their large blobs.
    """
    fmt = "%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%s%x1f%b%x1f"
    spec = ["--", "."] + [f":(exclude){p}" for p in exclude] if exclude else []
    out = git(
        repo, "log", "--no-merges", "--full-history", "--no-renames",
        "--numstat", f"--format={fmt}", head, *spec,
    ).decode("utf-8", "replace")
    for rec in out.split("\x1e")[1:]:
        parts = rec.split("\x1f")
        sha, parents, an, ae, subj, body, stat = parts
        parents = parents.split()
        if len(parents) != 1:
            continue
        c = Commit(sha, parents[0], an, ae, subj.strip(), body.strip())
        for line in stat.strip("\n").splitlines():
            line = line.strip()
            if not line:
                continue
            a, d, p = line.split("\t", 2)
            c.numstat[p] = None if a == "-" else (int(a), int(d))
        yield c


def is_bot(c: Commit) -> bool:
    return bool(BOT_RE.search(c.author) or BOT_RE.search(c.email))


def bad_subject(c: Commit) -> bool:
    return bool(SUBJECT_RE.search(c.subject))


def order_key(source: str, sha: str) -> str:
    return hashlib.sha256(f"{source}|{sha}".encode()).hexdigest()


def _lines(text: str | None) -> list[str]:
    if not text:
        return []
    return text.splitlines(keepends=True)


def unified(path: str, old: str | None, new: str | None) -> str:
    """difflib unified diff, 3 lines of context, git-style headers."""
    a = "/dev/null" if old is None else f"a/{path}"
    b = "/dev/null" if new is None else f"b/{path}"
    out = []
    for line in difflib.unified_diff(_lines(old), _lines(new), a, b, n=3):
        if line.startswith(("---", "+++")) and not line.endswith("\n"):
            line += "\n"
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)


def changed_lines(patch: str) -> int:
    n = 0
    for line in patch.splitlines():
        if line.startswith(("+++ ", "--- ")):
            continue
        if line.startswith(("+", "-")):
            n += 1
    return n


def task_text(c: Commit) -> str:
    """Subject, plus the first body line when short and not a trailer/bullet."""
    text = c.subject
    first = ""
    for line in c.body.splitlines():
        if line.strip():
            first = line.strip()
            break
    if (
        first
        and len(first) <= 120
        and not re.match(r"^([-*+#>]|\d+[.)]\s|[A-Za-z-]+:\s|Signed-off|Co-authored)", first)
    ):
        text += "\n\n" + first
    return text + "\n"
