"""Minimal git helpers for the heldout_ninth builder (stdlib + git only)."""
import subprocess


def git(repo, *args, text=True):
    # pin the settings that could change numstat / path output under a user's git config
    cfg = ["-c", "core.quotePath=false", "-c", "diff.algorithm=myers", "-c", "diff.renames=false",
           "-c", "color.ui=false", "-c", "log.showSignature=false"]
    out = subprocess.run(["git", *cfg, "-C", repo, *args], capture_output=True, check=True)
    return out.stdout.decode("utf-8", "replace") if text else out.stdout


def commits_with_numstat(repo, head):
    """Yield dicts for every non-merge commit reachable from head (newest first).

    Each dict: sha, parents, author, subject, body, numstat [(added, deleted, path)]
    (binary files have added/deleted None). Renames are disabled so every path is a
    plain add/modify/delete."""
    fmt = "%x00%H%x01%P%x01%an <%ae>%x01%s%x01%b%x02"
    raw = git(repo, "log", "--no-merges", "--no-renames", "--no-ext-diff", "--format=" + fmt,
              "--numstat", head)
    for rec in raw.split("\x00")[1:]:
        head_part, _, stat = rec.partition("\x02")
        sha, parents, author, subject, body = head_part.split("\x01", 4)
        rows = []
        for line in stat.strip("\n").splitlines():
            if not line.strip():
                continue
            a, d, p = line.split("\t", 2)
            if a == "-":
                rows.append((None, None, p))
            else:
                rows.append((int(a), int(d), p))
        yield {"sha": sha, "parents": parents.split(), "author": author,
               "subject": subject, "body": body, "numstat": rows}


def blob(repo, sha, path):
    """Text of path at commit sha, or None if absent there."""
    try:
        data = git(repo, "cat-file", "blob", f"{sha}:{path}", text=False)
    except subprocess.CalledProcessError:
        return None
    return data.decode("utf-8", "replace")


def commit_date(repo, sha):
    return git(repo, "show", "-s", "--format=%cI", sha).strip()
