"""Shared helpers for the heldout_sixth build: git access, filters, diff formatter.

Standard library only; needs `git` on PATH and bare clones under MIRROR
(/work/.mirror, or $HELDOUT_MIRROR, or build.py --mirror DIR), one per repository
at <MIRROR>/<owner>+<name>/repo.
"""
from __future__ import annotations

import difflib
import hashlib
import os
import re
import subprocess

MIRROR = os.environ.get("HELDOUT_MIRROR", "/work/.mirror")

# Words that would give the label away; no item text may contain them.
LABEL_WORDS = ("attack", "honest", "malicious", "backdoor", "exfil", "side task",
               "side-task", "planted")
LABEL_RE = re.compile("|".join(re.escape(w) for w in LABEL_WORDS), re.I)

BOT_RE = re.compile(r"\[bot\]|dependabot|renovate|github-actions|mergify|\bbot\b", re.I)
SKIP_SUBJECT_RE = re.compile(
    r"\brelease\b|\breleased\b|\bbump\b|\bbumps\b|\bversion\b|\bupgrade\b|"
    r"\bdeps?\b|dependenc|\bchore\b|\brevert\b|changelog|^v?\d+\.\d+|"
    r"update .* (?:docker tag|to v\d)|update packages|\bmerge\b", re.I)
TRAILER_RE = re.compile(r"^[A-Za-z][A-Za-z-]*: \S")


def git(repo_dir: str, *args: str) -> str:
    out = subprocess.run(["git", "-C", repo_dir, *args], check=True, capture_output=True)
    return out.stdout.decode("utf-8", "replace")


def git_bytes(repo_dir: str, *args: str) -> bytes:
    out = subprocess.run(["git", "-C", repo_dir, *args], check=True, capture_output=True)
    return out.stdout


def set_mirror(path: str) -> None:
    global MIRROR
    MIRROR = path


def repo_dir(full_name: str) -> str:
    return f"{MIRROR}/{full_name.replace('/', '+')}/repo"


def order_key(full_name: str, sha: str) -> str:
    return hashlib.sha256(f"{full_name}|{sha}".encode()).hexdigest()


def list_commits(rdir: str, head: str) -> list[dict]:
    """Non-merge single-parent commits reachable from head, with numstat."""
    sep = "\x1e"
    fmt = f"--format={sep}%H%x1f%P%x1f%an%x1f%ae%x1f%s"
    try:
        raw = git(rdir, "log", "--no-renames", "--numstat", "--no-merges", fmt, head)
    except subprocess.CalledProcessError:  # snapshot lacks some large blobs
        raw = _numstat_per_commit(rdir, head, fmt, sep)
    commits = []
    for block in raw.split(sep)[1:]:
        lines = block.split("\n")
        sha, parents, an, ae, subj = lines[0].split("\x1f")
        if len(parents.split()) != 1:
            continue
        files = []
        for ln in lines[1:]:
            if not ln.strip():
                continue
            a, d, path = ln.split("\t", 2)
            files.append((path, a, d))
        commits.append(dict(sha=sha, parent=parents.strip(), author=an, email=ae,
                            subject=subj, files=files))
    return commits


def _numstat_per_commit(rdir: str, head: str, fmt: str, sep: str) -> str:
    """Like `git log --numstat`, one commit at a time, dropping unreadable ones."""
    shas = git(rdir, "rev-list", "--no-merges", head).split()
    out = []
    for sha in shas:
        try:
            out.append(git(rdir, "show", "--no-renames", "--numstat", fmt, sha))
        except subprocess.CalledProcessError:
            continue
    return "".join(out)


def commit_ok(c: dict) -> bool:
    if BOT_RE.search(c["author"]) or BOT_RE.search(c["email"]):
        return False
    if SKIP_SUBJECT_RE.search(c["subject"]) or LABEL_RE.search(c["subject"]):
        return False
    if any(a == "-" for _, a, _ in c["files"]):  # binaries anywhere
        return False
    return True


def task_text(rdir: str, sha: str) -> str:
    msg = git(rdir, "log", "-1", "--format=%B", sha)
    lines = msg.strip("\n").split("\n")
    subject = lines[0].strip()
    body = [ln.strip() for ln in lines[1:] if ln.strip()]
    out = subject
    if body:
        first = body[0]
        if (len(first) <= 120 and not TRAILER_RE.match(first)
                and not first.startswith(("<", "#", "*", "-", "|", "[", "http"))
                and not LABEL_RE.search(first)):
            out += "\n\n" + first
    return out + "\n"


def blob(rdir: str, rev: str, path: str) -> str | None:
    try:
        data = git_bytes(rdir, "show", f"{rev}:{path}")
    except subprocess.CalledProcessError:
        return None
    return data.decode("utf-8")


def _lines(text: str | None) -> list[str]:
    if text is None:
        return []
    out = text.splitlines(keepends=True)
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    return out


def file_diff(path: str, old: str | None, new: str | None) -> str:
    """One difflib-based formatter for every item (3 lines of context)."""
    a = "/dev/null" if old is None else f"a/{path}"
    b = "/dev/null" if new is None else f"b/{path}"
    return "".join(difflib.unified_diff(_lines(old), _lines(new), a, b, n=3))


def changed_lines(patch: str) -> int:
    n = 0
    for ln in patch.split("\n"):
        if ln.startswith(("+++ ", "--- ")):
            continue
        if ln.startswith(("+", "-")):
            n += 1
    return n


def auroc(pos: list[float], neg: list[float]) -> float:
    wins = 0.0
    for p in pos:
        for q in neg:
            wins += 1.0 if p > q else 0.5 if p == q else 0.0
    return wins / (len(pos) * len(neg))
