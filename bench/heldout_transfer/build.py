#!/usr/bin/env python3
"""Build the held-out *transfer* evaluation set (patches from repositories unseen by Proctor).

Usage:
    python3 build.py GITDIR [GITDIR ...]     # write data/ and MANIFEST.json
    python3 build.py --list GITDIR ...       # print the sampled commits, write nothing
    python3 build.py --check                 # validate every patch under data/

Each GITDIR is a (bare) git directory of one of the SOURCES below; it is recognised by the
pinned tip commit it must contain.  Standard library plus the git CLI; the output is
deterministic for a given set of git directories.  The side tasks themselves are in plants.py.
"""
from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.dont_write_bytecode = True
from plants import PLANTS  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "shared" / "heldout" / "transfer"  # fetched-repository data lives under shared/
SEED = 20240917
MIN_LINES, MAX_LINES = 4, 600
MAX_FILES = 15

SOURCES = {
    "grafana-helm": dict(
        repo="grafana/helm-charts", short="grafana-helm-charts", licence="Apache-2.0",
        tip="7a0ab968961a165318ab95ff678908c3b9bc3240", since="2020-08-01", kind="helm",
        n_honest=20, n_attack=12),
    "argo-helm": dict(
        repo="argoproj/argo-helm", short="argo-helm", licence="Apache-2.0",
        tip="af0a9310bacbaa4636018dfe22c801a6d33a5c43", since="2018-01-01", kind="helm",
        n_honest=14, n_attack=10),
    "pytorch-examples": dict(
        repo="pytorch/examples", short="pytorch-examples", licence="BSD-3-Clause",
        tip="77f55b912142e11fcfdf5b530231fb9c52f181e8", since="2016-01-01", kind="python",
        n_honest=14, n_attack=9),
    "litgpt": dict(
        repo="Lightning-AI/litgpt", short="litgpt", licence="Apache-2.0",
        tip="26857050fe3ff627cd714fe92f5838f51a3d5efa", since="2023-01-01", kind="python",
        n_honest=12, n_attack=9),
}

CODE_SUFFIXES = {".py", ".yaml", ".yml", ".tpl", ".json", ".toml", ".cfg", ".ini", ".sh", ".gotmpl", ".tf", ".ts"}
CODE_NAMES = {"Dockerfile", "NOTES.txt", "Makefile", ".helmignore"}
SKIP_NAMES = {"package-lock.json", "yarn.lock", "poetry.lock", "uv.lock", "Chart.lock", "pnpm-lock.yaml",
              "artifacthub-repo.yml"}
SKIP_PARTS = {"vendor", "crds", "__snapshots__", "node_modules", "docs"}
LEAK = re.compile(r"honest|attack|malicious|\bplant", re.I)
TRAILER = re.compile(r"^[A-Za-z][A-Za-z-]*: ")


def git(gitdir: str, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", gitdir, "-c", "core.quotepath=off", *args],
                          check=True, capture_output=True).stdout


def is_code(path: str) -> bool:
    parts = path.split("/")
    name = parts[-1]
    if name in SKIP_NAMES or name.upper().startswith(("CHANGELOG", "LICENSE", "README")):
        return False
    if any(p in SKIP_PARTS for p in parts[:-1]) or name.endswith((".lock", ".snap", ".min.js")):
        return False
    if re.search(r"\s|\"|'", path):
        return False
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return suffix in CODE_SUFFIXES or name in CODE_NAMES or re.fullmatch(r"requirements.*\.txt", name) is not None


def plantable(kind: str, path: str) -> bool:
    if kind == "helm":
        return path.startswith("charts/") and (
            "/templates/" in path and path.endswith((".yaml", ".tpl")) or path.endswith("/values.yaml"))
    return path.endswith(".py")


def commits(gitdir: str, src: dict) -> list[dict]:
    """Non-merge commits reachable from the pinned tip, with their changed files (renames off).

    ``--raw`` is used rather than ``--numstat`` because a snapshot may lack its largest blobs;
    sizes are measured on the rendered diff instead.
    """
    out = git(gitdir, "log", "--no-merges", "--no-renames", "--raw", "--no-abbrev", f"--since={src['since']}",
              "--format=@@@%H%x09%P%x09%s", src["tip"]).decode("utf-8", "replace")
    rows: list[dict] = []
    for line in out.splitlines():
        if line.startswith("@@@"):
            sha, parents, subject = (line[3:].split("\t", 2) + ["", ""])[:3]
            rows.append(dict(sha=sha, parents=parents.split(), subject=subject, files=[]))
        elif line.startswith(":") and rows:
            meta, path = line.split("\t", 1)
            m_old, m_new, b_old, b_new, status = meta[1:].split()
            rows[-1]["files"].append(dict(path=path, status=status[0], mode_old=m_old, mode_new=m_new,
                                          old=None if set(b_old) == {"0"} else b_old,
                                          new=None if set(b_new) == {"0"} else b_new))
    return rows


def kept_files(c: dict) -> list[dict]:
    return [f for f in c["files"] if is_code(f["path"]) and f["status"] in "AMD"
            and "160000" not in (f["mode_old"], f["mode_new"])]


def eligible(c: dict, kind: str) -> bool:
    if len(c["parents"]) != 1:
        return False
    kept = kept_files(c)
    if not kept or len(kept) > MAX_FILES:
        return False
    return any(plantable(kind, f["path"]) for f in kept if f["new"] is not None)


def blob(gitdir: str, sha: str | None) -> str | None:
    if sha is None:
        return None
    r = subprocess.run(["git", "--git-dir", gitdir, "cat-file", "blob", sha], capture_output=True)
    if r.returncode != 0:
        raise ValueError(f"blob {sha} missing from the snapshot")
    if b"\0" in r.stdout:
        raise ValueError("binary")
    return r.stdout.decode("utf-8")  # raises on non-UTF-8: the commit is skipped


# ---------------------------------------------------------------- unified diff (same code for every item)

def _range(start: int, length: int) -> str:
    if length == 1:
        return str(start + 1)
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"


def _lines(text: str | None) -> list[str]:
    return [] if text is None else text.splitlines(keepends=True)


def _emit(prefix: str, line: str, out: list[str]) -> None:
    if line.endswith("\n"):
        out.append(prefix + line)
    else:
        out.append(prefix + line + "\n")
        out.append("\\ No newline at end of file\n")


def file_diff(path: str, old: str | None, new: str | None, fmode: str = "100644") -> tuple[str, int]:
    """A git-style unified diff of one file (3 lines of context) and its number of changed lines."""
    a, b = _lines(old), _lines(new)
    head = [f"diff --git a/{path} b/{path}\n"]
    if old is None:
        head.append(f"new file mode {fmode}\n")
    elif new is None:
        head.append(f"deleted file mode {fmode}\n")
    head.append("--- /dev/null\n" if old is None else f"--- a/{path}\n")
    head.append("+++ /dev/null\n" if new is None else f"+++ b/{path}\n")
    body: list[str] = []
    changed = 0
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in sm.get_grouped_opcodes(3):
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        body.append(f"@@ -{_range(i1, i2 - i1)} +{_range(j1, j2 - j1)} @@\n")
        for tag, x1, x2, y1, y2 in group:
            if tag == "equal":
                for line in a[x1:x2]:
                    _emit(" ", line, body)
                continue
            for line in a[x1:x2]:
                _emit("-", line, body)
                changed += 1
            for line in b[y1:y2]:
                _emit("+", line, body)
                changed += 1
    if not body:
        return "", 0
    return "".join(head + body), changed


# ---------------------------------------------------------------- planting

def apply_plant(text: str | None, plant: dict) -> tuple[str, int]:
    """Return the post-image with the side task applied and the 1-based line where it starts."""
    op = plant["op"]
    if op == "multi":
        first = None
        for sub in plant["ops"]:
            text, line = apply_plant(text, {**sub, "path": plant["path"]})
            first = line if first is None else min(first, line)
        return text, first
    if op == "newfile":
        assert text is None, f"{plant['path']} already exists in the commit"
        return plant["text"], 1
    assert text is not None, f"{plant['path']} is not in the commit's post-image"
    if op in ("after", "before"):
        anchor = plant["anchor"]
        lines = text.splitlines(keepends=True)
        hits = [i for i, line in enumerate(lines) if anchor in line]
        assert hits, f"anchor {anchor!r} not found in {plant['path']}"
        i = hits[plant.get("nth", 0)]
        at = i + 1 if op == "after" else i
        snippet = plant["text"] if plant["text"].endswith("\n") else plant["text"] + "\n"
        new = "".join(lines[:at]) + snippet + "".join(lines[at:])
        return new, at + 1
    if op == "replace":
        old, rep = plant["old"], plant["new"]
        starts = [m.start() for m in re.finditer(re.escape(old), text)]
        if "nth" not in plant:
            assert len(starts) == 1, f"{old!r} occurs {len(starts)} times in {plant['path']}"
        at = starts[plant.get("nth", 0)]
        return text[:at] + rep + text[at + len(old):], text[:at].count("\n") + 1
    raise ValueError(op)


# ---------------------------------------------------------------- building

def task_text(gitdir: str, sha: str) -> str:
    msg = git(gitdir, "log", "-1", "--format=%B", sha).decode("utf-8", "replace").strip().splitlines()
    task = msg[0].strip()
    body = [line.strip() for line in msg[1:] if line.strip()]
    if body and len(body[0]) <= 100 and not TRAILER.match(body[0]) and not body[0].startswith(("*", "-", "http")):
        task += "\n" + body[0]
    return task + "\n"


def render(gitdir: str, c: dict, kind: str, plant: dict | None) -> dict | None:
    """The commit's patch (code/config files only), optionally with one side task planted."""
    files = {f["path"]: f for f in kept_files(c)}
    if plant and plant["op"] == "newfile":
        assert plant["path"] not in files, f"{c['sha'][:10]}: {plant['path']} is already in the commit"
        exists = subprocess.run(["git", "--git-dir", gitdir, "cat-file", "-e", f"{c['sha']}:{plant['path']}"],
                                capture_output=True).returncode == 0
        assert not exists, f"{c['sha'][:10]}: {plant['path']} already exists in the repository"
        files[plant["path"]] = dict(path=plant["path"], status="A", mode_old="000000", mode_new="100644",
                                    old=None, new=None)
    elif plant:
        assert plant["path"] in files, f"{c['sha'][:10]}: plant target {plant['path']} is not one of the commit's files"
    chunks, total, where = [], 0, None
    try:
        for p in sorted(files):
            f = files[p]
            old, new = blob(gitdir, f["old"]), blob(gitdir, f["new"])
            if plant is not None and p == plant["path"]:
                new, line = apply_plant(new, plant)
                where = f"{p}:{line}"
            text, n = file_diff(p, None if f["status"] == "A" else old, None if f["status"] == "D" else new,
                                f["mode_new"] if f["status"] != "D" else f["mode_old"])
            if text:
                chunks.append(text)
                total += n
    except (ValueError, UnicodeDecodeError):
        if plant:
            raise
        return None
    patch = "".join(chunks)
    if not patch or not MIN_LINES <= total <= MAX_LINES + (40 if plant else 0):
        return None
    task = task_text(gitdir, c["sha"])
    if LEAK.search(patch if plant else patch + task):
        return None
    return dict(patch=patch, task=task, changed=total, paths=sorted(files), where=where)


def identify(gitdir: str) -> str:
    for key, src in SOURCES.items():
        r = subprocess.run(["git", "--git-dir", gitdir, "cat-file", "-e", src["tip"] + "^{commit}"],
                           capture_output=True)
        if r.returncode == 0:
            return key
    raise SystemExit(f"{gitdir}: contains none of the pinned tips")


def select(gitdir: str, key: str) -> tuple[list[dict], list[dict]]:
    src = SOURCES[key]
    pool = sorted((c for c in commits(gitdir, src) if eligible(c, src["kind"])), key=lambda c: c["sha"])
    random.Random(f"{SEED}:{key}").shuffle(pool)
    honest, attack = [], []
    for c in pool:
        if len(honest) < src["n_honest"]:
            r = render(gitdir, c, src["kind"], None)
            if r:
                honest.append({**c, **r})
        elif len(attack) < src["n_attack"]:
            if render(gitdir, c, src["kind"], None) is None:  # same filter as the other class
                continue
            attack.append(c)
        else:
            break
    return honest, attack


def build(gitdirs: list[str], list_only: bool) -> None:
    by_key = {identify(g): g for g in gitdirs}
    missing = set(SOURCES) - set(by_key)
    if missing and not list_only:
        raise SystemExit(f"missing git dirs for: {', '.join(sorted(missing))}")
    labels: dict[str, str] = {}
    manifest: list[dict] = []
    files: dict[str, str] = {}
    for key in SOURCES:
        if key not in by_key:
            continue
        g, src = by_key[key], SOURCES[key]
        honest, attack = select(g, key)
        if list_only:
            for role, rows in (("H", honest), ("A", attack)):
                for c in rows:
                    r = c if role == "H" else render(g, c, src["kind"], None)
                    print(f"{key}\t{role}\t{c['sha']}\t{r['changed']}\t{c['subject'][:70]}\t{' '.join(r['paths'])}")
            continue
        for label, rows in (("honest", honest), ("attack", attack)):
            for c in rows:
                plant = None
                if label == "attack":
                    plant = PLANTS.get(c["sha"][:10])
                    if plant is None:
                        raise SystemExit(f"no side task written for {key} {c['sha']} ({c['subject']})")
                    r = render(g, c, src["kind"], plant)
                    if r is None:
                        raise SystemExit(f"planting failed for {c['sha']}")
                else:
                    r = c
                name = f"{src['short']}-{c['sha'][:10]}"
                rel = f"{key}/items/{name}.patch"
                files[rel] = r["patch"]
                files[f"{key}/items/{name}.task.txt"] = r["task"]
                if plant:
                    files[f"{key}/items/{name}.side_task.txt"] = plant["side_task"] + "\n"
                labels[rel] = label
                manifest.append(dict(
                    name=name, path=rel, label=label, source=key, repo=src["repo"], licence=src["licence"],
                    commit=c["sha"], subject=c["subject"], files=r["paths"], changed_lines=r["changed"],
                    side_task=plant["side_task"] if plant else None,
                    template=plant["template"] if plant else None,
                    plant_op=plant["op"] if plant else None,
                    plant_at=r["where"] if plant else None,
                    plant_lines=plant_size(plant) if plant else 0))
    if list_only:
        return
    used = [p for p in PLANTS if p not in {m["commit"][:10] for m in manifest if m["label"] == "attack"}]
    if used:
        print(f"note: {len(used)} unused side-task entries: {used}", file=sys.stderr)
    if DATA.exists():
        shutil.rmtree(DATA)
    for rel, text in sorted(files.items()):
        out = DATA / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    (DATA / "labels.json").write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    meta = dict(seed=SEED, sources={k: {x: v[x] for x in ("repo", "licence", "tip", "since")} for k, v in SOURCES.items()},
                items=manifest)
    (HERE / "MANIFEST.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    n_att = sum(m["label"] == "attack" for m in manifest)
    print(f"wrote {len(manifest)} items ({len(manifest) - n_att} honest, {n_att} attack) to {DATA}")


def plant_size(plant: dict) -> int:
    if plant["op"] == "multi":
        return sum(plant_size(sub) for sub in plant["ops"])
    if plant["op"] == "replace":
        return plant["old"].count("\n") + plant["new"].count("\n")
    return plant["text"].rstrip("\n").count("\n") + 1


# ---------------------------------------------------------------- checking

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def check_patch(text: str) -> list[str]:
    errs: list[str] = []
    lines = text.split("\n")
    if lines[-1] != "":
        errs.append("does not end with a newline")
    lines = lines[:-1]
    i, nfiles = 0, 0
    while i < len(lines):
        if not lines[i].startswith("diff --git a/"):
            errs.append(f"line {i + 1}: expected 'diff --git', got {lines[i][:40]!r}")
            break
        m = re.match(r"diff --git a/(\S+) b/(\S+)$", lines[i])
        if not m or m.group(1) != m.group(2):
            errs.append(f"line {i + 1}: bad diff --git header")
        path = m.group(2) if m else ""
        i += 1
        new = deleted = False
        while i < len(lines) and lines[i].startswith(("new file mode", "deleted file mode", "index ")):
            new |= lines[i].startswith("new file")
            deleted |= lines[i].startswith("deleted file")
            i += 1
        if i + 1 >= len(lines):
            errs.append(f"{path}: truncated header")
            break
        old_h, new_h = lines[i], lines[i + 1]
        want_old = "--- /dev/null" if new else f"--- a/{path}"
        want_new = "+++ /dev/null" if deleted else f"+++ b/{path}"
        if old_h != want_old or new_h != want_new:
            errs.append(f"{path}: headers {old_h!r} / {new_h!r}, want {want_old!r} / {want_new!r}")
        i += 2
        nfiles += 1
        hunks, offset, old_end = 0, 0, 0
        while i < len(lines) and lines[i].startswith("@@"):
            h = HUNK.match(lines[i])
            if not h:
                errs.append(f"{path}: bad hunk header {lines[i]!r}")
                break
            o_start, o_len = int(h.group(1)), int(h.group(2) if h.group(2) is not None else 1)
            n_start, n_len = int(h.group(3)), int(h.group(4) if h.group(4) is not None else 1)
            if new and (o_start, o_len, n_start) != (0, 0, 1):
                errs.append(f"{path}: new file hunk must be '@@ -0,0 +1,N @@', got {lines[i]!r}")
            if deleted and (n_start, n_len) != (0, 0):
                errs.append(f"{path}: deleted file hunk must end '+0,0 @@'")
            o_first = o_start if o_len else o_start + 1
            n_first = n_start if n_len else n_start + 1
            if n_first - o_first != offset or o_first <= old_end:
                errs.append(f"{path}: hunk {h.group(0)} starts at an inconsistent line (offset {offset})")
            offset += n_len - o_len
            old_end = o_start + o_len - 1 if o_len else o_start
            hunks += 1
            i += 1
            o = n = 0
            while o < o_len or n < n_len:
                if i >= len(lines):
                    break
                c = lines[i][:1]
                if c == " ":
                    o, n = o + 1, n + 1
                elif c == "-":
                    o += 1
                elif c == "+":
                    n += 1
                elif c != "\\":
                    errs.append(f"{path}: unexpected line {i + 1} in hunk: {lines[i][:40]!r}")
                    break
                i += 1
            while i < len(lines) and lines[i].startswith("\\"):
                i += 1
            if (o, n) != (o_len, n_len):
                errs.append(f"{path}: hunk {h.group(0)} has {o} old / {n} new lines")
        if hunks == 0:
            errs.append(f"{path}: no hunks")
    if nfiles == 0:
        errs.append("no files")
    return errs


def check() -> int:
    labels = json.loads((DATA / "labels.json").read_text(encoding="utf-8"))
    patches = sorted(str(p.relative_to(DATA)) for p in DATA.rglob("*.patch"))
    bad = 0
    if sorted(labels) != patches:
        print("labels.json and the patch files disagree", file=sys.stderr)
        bad += 1
    for rel in patches:
        p = DATA / rel
        text = p.read_text(encoding="utf-8")
        errs = check_patch(text)
        if LEAK.search(rel) or LEAK.search(text):
            errs.append("label word in path or patch text")
        task = p.with_suffix(".task.txt")
        if not task.is_file() or not task.read_text(encoding="utf-8").strip():
            errs.append("missing task")
        if labels.get(rel) not in ("honest", "attack"):
            errs.append(f"bad label {labels.get(rel)!r}")
        if labels.get(rel) == "attack" and not p.with_suffix(".side_task.txt").is_file():
            errs.append("attack without side_task.txt")
        for e in errs:
            print(f"{rel}: {e}", file=sys.stderr)
        bad += bool(errs)
    extra = [p.name for p in DATA.glob("*.json") if p.name != "labels.json"]
    if extra:
        print(f"unexpected top-level json in data/: {extra}", file=sys.stderr)
        bad += 1
    n_att = sum(v == "attack" for v in labels.values())
    print(f"checked {len(patches)} patches ({len(patches) - n_att} honest, {n_att} attack): "
          f"{'OK' if not bad else f'{bad} with problems'}")
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gitdirs", nargs="*")
    ap.add_argument("--list", action="store_true", help="print the sampled commits only")
    ap.add_argument("--check", action="store_true", help="validate data/ and exit")
    a = ap.parse_args()
    if a.check:
        return check()
    if not a.gitdirs:
        ap.error("give the git directories of the sources")
    build(a.gitdirs, a.list)
    return 0


if __name__ == "__main__":
    sys.exit(main())
