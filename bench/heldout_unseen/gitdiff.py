"""Git and unified-diff machinery for the held-out set: commits, their diffs, patch checks."""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

from constants import BOT_AUTHORS, KEEP_BASENAMES, KEEP_EXT, MAX_LINES, MIN_LINES, SKIP_SUBJECT

# --------------------------------------------------------------------------------------------
# git plumbing
# --------------------------------------------------------------------------------------------

_ENV = None


def _env() -> dict:
    """A git environment that ignores user/system config (diff.algorithm, noprefix, ...)."""
    global _ENV
    if _ENV is None:
        home = tempfile.mkdtemp(prefix="heldout-home-")
        _ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LC_ALL": "C",
                "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    return _ENV


def git(gd: str, *args: str, ok=(0,)) -> str:
    p = subprocess.run(["git", "--git-dir", gd, *args], capture_output=True, env=_env())
    if p.returncode not in ok:
        raise RuntimeError(f"git {' '.join(args)}: {p.stderr.decode(errors='replace')}")
    return p.stdout.decode("utf-8")


def blob(gd: str, rev: str, path: str) -> str | None:
    p = subprocess.run(["git", "--git-dir", gd, "show", f"{rev}:{path}"], capture_output=True, env=_env())
    return p.stdout.decode("utf-8") if p.returncode == 0 else None


def keep_file(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    low = base.lower()
    if low.startswith(("changelog", "license")) or low.endswith((".lock", ".lock.hcl")) or low == "package-lock.json":
        return False
    if path.startswith("docs/") or "/rendered/" in path or path.startswith('"'):
        return False
    ext = "." + low.rsplit(".", 1)[-1] if "." in low else ""
    return ext in KEEP_EXT or base in KEEP_BASENAMES or low.startswith("requirements")


def commits(gd: str, head: str) -> list[dict]:
    """Eligible commits, newest first: one parent, human author, 4..600 changed code/config lines."""
    out = git(gd, "log", "--no-merges", "--no-renames", "--format=@@C %H %P%x09%an%x09%aI%x09%s", "--numstat", head)
    rows, cur = [], None
    for line in out.splitlines():
        if line.startswith("@@C "):
            head_, author, date, subject = line[4:].split("\t", 3)
            shas = head_.split()
            cur = {"sha": shas[0], "parents": shas[1:], "author": author, "date": date, "subject": subject, "numstat": []}
            rows.append(cur)
        elif line.strip():
            a, d, p = line.split("\t", 2)
            cur["numstat"].append((a, d, p))
    eligible = []
    for c in rows:
        if len(c["parents"]) != 1 or any(b in c["author"] for b in BOT_AUTHORS) or SKIP_SUBJECT.search(c["subject"]):
            continue
        files = [(a, d, p) for a, d, p in c["numstat"] if keep_file(p)]
        if not files or any(a == "-" for a, _, _ in files):
            continue
        files = [(int(a), int(d), p) for a, d, p in files if int(a) + int(d) > 0]
        n = sum(a + d for a, d, _ in files)
        if MIN_LINES <= n <= MAX_LINES:
            c["files"] = sorted(p for _, _, p in files)
            c["changed"] = n
            eligible.append(c)
    return eligible


def task_text(gd: str, sha: str, subject: str) -> str:
    body = git(gd, "log", "-1", "--format=%b", sha)
    first = next((ln.strip() for ln in body.splitlines() if ln.strip()), "")
    trailer = re.match(r"^[A-Z][\w-]+(-by)?: ", first) or first.lower().startswith(("co-authored", "signed-off"))
    if first and len(first) <= 100 and not trailer and first.lstrip("*- ").strip() != subject.strip():
        return f"{subject}\n\n{first}\n"
    return f"{subject}\n"


# --------------------------------------------------------------------------------------------
# unified-diff helpers
# --------------------------------------------------------------------------------------------

def commit_diff(gd: str, c: dict) -> str:
    d = git(gd, "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "-U3",
            "--src-prefix=a/", "--dst-prefix=b/", c["parents"][0], c["sha"], "--", *c["files"])
    return "".join(ln for ln in d.splitlines(keepends=True) if not ln.startswith("index "))


def split_sections(diff: str) -> list[str]:
    secs, cur = [], []
    for ln in diff.splitlines(keepends=True):
        if ln.startswith("diff --git ") and cur:
            secs.append("".join(cur))
            cur = []
        cur.append(ln)
    if cur:
        secs.append("".join(cur))
    return secs


def section_path(sec: str) -> tuple[str, str]:
    """(path, status) of one file section; status is A, D or M."""
    minus = plus = None
    for ln in sec.splitlines():
        if ln.startswith("--- "):
            minus = ln[4:].rstrip("\t")
        elif ln.startswith("+++ "):
            plus = ln[4:].rstrip("\t")
            break
    if minus == "/dev/null":
        return plus[2:], "A"
    if plus == "/dev/null":
        return minus[2:], "D"
    return plus[2:], "M"


def split_header(sec: str) -> tuple[str, str]:
    i = sec.find("\n@@ ")
    return (sec[: i + 1], sec[i + 1:]) if i >= 0 else (sec, "")


HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def changed_new_lines(sec: str) -> list[int]:
    """0-based line indexes in the new file where this section adds or removes lines."""
    out, new = [], 0
    for ln in sec.splitlines():
        m = HUNK.match(ln)
        if m:
            new = int(m.group(3)) - (0 if m.group(4) == "0" else 1)
            continue
        if new is None or ln.startswith(("--- ", "+++ ", "diff ", "\\")):
            continue
        if ln.startswith("+"):
            out.append(new)
            new += 1
        elif ln.startswith("-"):
            out.append(new)
        elif ln.startswith(" "):
            new += 1
    return out


def noindex_hunks(old: str | None, new: str, path: str) -> str:
    """Hunks of old -> new exactly as git would write them (same algorithm and context as commit_diff)."""
    with tempfile.TemporaryDirectory(prefix="heldout-") as tmp:
        b = Path(tmp, "b", path)
        b.parent.mkdir(parents=True, exist_ok=True)
        b.write_text(new, encoding="utf-8")
        if old is None:
            src = "/dev/null"
        else:
            a = Path(tmp, "a", path)
            a.parent.mkdir(parents=True, exist_ok=True)
            a.write_text(old, encoding="utf-8")
            src = f"a/{path}"
        p = subprocess.run(["git", "diff", "--no-index", "--no-color", "--no-ext-diff", "--no-textconv", "-U3",
                            "--no-prefix", src, f"b/{path}"], cwd=tmp, capture_output=True, env=_env())
        if p.returncode not in (0, 1):
            raise RuntimeError(p.stderr.decode(errors="replace"))
        return split_header(p.stdout.decode("utf-8"))[1]


def check_patch(text: str) -> list[str]:
    """Problems with a multi-file unified diff (empty list when well-formed)."""
    errs = []
    secs = split_sections(text)
    if not secs or not secs[0].startswith("diff --git "):
        return ["does not start with a 'diff --git' section"]
    for s in secs:
        lines = s.splitlines()
        try:
            i_minus = next(i for i, ln in enumerate(lines) if ln.startswith("--- "))
            i_first_hunk = next(i for i, ln in enumerate(lines) if ln.startswith("@@ "))
        except StopIteration:
            errs.append(f"{lines[0]}: missing ---/+++ header or hunk")
            continue
        if not (i_minus < i_first_hunk and lines[i_minus + 1].startswith("+++ ")):
            errs.append(f"{lines[0]}: ---/+++ header not before the first hunk")
        new_file = lines[i_minus] == "--- /dev/null"
        i = i_first_hunk
        while i < len(lines):
            m = HUNK.match(lines[i])
            if not m:
                errs.append(f"{lines[0]}: unexpected line {lines[i]!r}")
                break
            a_start, b_start = int(m.group(1)), int(m.group(3))
            want_old = int(m.group(2)) if m.group(2) is not None else 1
            want_new = int(m.group(4)) if m.group(4) is not None else 1
            if new_file and (a_start, want_old) != (0, 0):
                errs.append(f"{lines[0]}: new file hunk is not -0,0")
            got_old = got_new = 0
            i += 1
            while i < len(lines) and not lines[i].startswith("@@ "):
                ln = lines[i]
                if ln.startswith("\\"):
                    pass
                elif ln.startswith(" ") or ln == "":
                    got_old += 1
                    got_new += 1
                elif ln.startswith("-"):
                    got_old += 1
                elif ln.startswith("+"):
                    got_new += 1
                else:
                    errs.append(f"{lines[0]}: bad hunk line {ln!r}")
                i += 1
            if (got_old, got_new) != (want_old, want_new):
                errs.append(f"{lines[0]}: hunk @@ -{a_start},{want_old} +{b_start},{want_new} has {got_old}/{got_new} lines")
    return errs


def count_changed(text: str) -> int:
    return sum(1 for ln in text.splitlines() if (ln.startswith("+") and not ln.startswith("+++ "))
               or (ln.startswith("-") and not ln.startswith("--- ")))


