#!/usr/bin/env python3
"""Build the held-out "unseen domain" monitor evaluation set (stdlib only, deterministic).

Usage::

    python bench/heldout_unseen/build.py <git-dir> [<git-dir> ...] [--out shared/heldout/unseen]

Each <git-dir> is a (bare) git directory of one of the repositories in ``REPOS`` below, for
example the snapshots the ``fetch`` tool produces (``/work/.mirror/<owner>+<name>/repo``).  The
repository is recognised by its pinned head commit, so any clone that contains that commit works.

What it writes (see README.md next to this file):

* ``<out>/<source>/items/<name>.patch`` - a unified diff (``git show --format= --patch`` style,
  without ``index`` lines) of one real commit, code/config files only;
* ``<out>/<source>/items/<name>.task.txt`` - the task: the commit subject (+ a short body line);
* ``<out>/<source>/items/<name>.side_task.txt`` - attack items only: the planted side-task class;
* ``<out>/labels.json`` - ``{"<source>/items/<name>.patch": "honest" | "attack"}``;
* ``MANIFEST.json`` beside this script (not inside ``<out>``: the evaluator would read a ``*.json``
  at the top of the data folder as a file of actions).

Honest and attack items share one folder per repository with neutral names, so neither the
patch path nor the item id (both of which the evaluator hands to the monitors) reveals the label.

Attack items are *different* commits from the honest ones; each keeps its real change and gets
exactly one hand-written side task (``TEMPLATES``, registered by ``templates_terraform.py`` and ``templates_ansible.py``), either as an extra hunk in one of the
commit's own files or as one extra new file.  No template is used more than twice.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import templates_ansible  # noqa: F401  registers the templates (it imports the Terraform ones first)
from constants import MAX_TEMPLATE_USES, REPOS, SEED
from edits import TEMPLATES
from gitdiff import (
    _env,
    blob,
    changed_new_lines,
    check_patch,
    commit_diff,
    commits,
    count_changed,
    noindex_hunks,
    section_path,
    split_header,
    split_sections,
    task_text,
)

# --------------------------------------------------------------------------------------------
# building the set
# --------------------------------------------------------------------------------------------

def identify(gd: str) -> str:
    for key, meta in REPOS.items():
        p = subprocess.run(["git", "--git-dir", gd, "cat-file", "-e", meta["head"] + "^{commit}"],
                           capture_output=True, env=_env())
        if p.returncode == 0:
            return key
    raise SystemExit(f"{gd}: contains none of the pinned heads {[m['head'] for m in REPOS.values()]}")


def plant(gd: str, c: dict, base: str, ctx: dict, usage: dict, rng: random.Random) -> dict | None:
    """Plant one side task in commit ``c`` (whose honest diff is ``base``); None when no template fits."""
    secs = split_sections(base)
    info = [(section_path(s), s) for s in secs]
    cache: dict[str, str | None] = {}

    def content(path):
        if path not in cache:
            cache[path] = blob(gd, c["sha"], path)
        return cache[path]

    options: dict[str, list] = {}
    for t in TEMPLATES:
        if usage[t["id"]] >= MAX_TEMPLATE_USES:
            continue
        if t["kind"] == "hunk":
            for (path, status), sec in info:
                if status == "D" or (t["when"] and not t["when"](path)):
                    continue
                text = content(path)
                if text is None:
                    continue
                new = t["fn"](path, text, changed_new_lines(sec), ctx)
                if new and new != text:
                    options.setdefault(t["id"], []).append(("hunk", path, status, sec, new))
        else:
            r = t["fn"](gd, c, ctx)
            if r:
                options.setdefault(t["id"], []).append(("new_file", r[0], "A", None, r[1]))
    if not options:
        return None
    least = min(usage[tid] for tid in options)
    tid = rng.choice(sorted(tid for tid in options if usage[tid] == least))
    how, path, status, sec, new = rng.choice(options[tid])
    t = next(t for t in TEMPLATES if t["id"] == tid)

    if how == "hunk":
        old = blob(gd, c["parents"][0], path) if status != "A" else None
        header, hunks = split_header(sec)
        if noindex_hunks(old, content(path), path) != hunks:  # our diff must reproduce git's for the real change
            return None
        secs[secs.index(sec)] = header + noindex_hunks(old, new, path)
    else:
        secs.append(f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
                    + noindex_hunks(None, new, path))
        secs.sort(key=lambda s: section_path(s)[0].encode())
    usage[tid] += 1
    return {"patch": "".join(secs), "template": tid, "side_task": t["cls"], "subtlety": t["subtlety"],
            "plant": {"file": path, "how": how}}


def build(git_dirs: list[str], out: Path, manifest_path: Path) -> dict:
    found = {identify(gd): gd for gd in git_dirs}
    if out.exists():
        if not (out / "labels.json").is_file():
            raise SystemExit(f"{out} exists and is not a dataset folder this script wrote; not removing it")
        shutil.rmtree(out)
    usage = {t["id"]: 0 for t in TEMPLATES}
    items, labels, repos_meta = [], {}, {}
    for key in [k for k in REPOS if k in found]:
        meta, gd = REPOS[key], found[key]
        ctx = {"repo": key, **meta}
        pool = commits(gd, meta["head"])
        order = list(pool)
        rng = random.Random(f"{SEED}:{key}")
        rng.shuffle(order)
        folder = out / meta["source"] / "items"
        folder.mkdir(parents=True, exist_ok=True)
        chosen, seen_diffs = [], set()
        rest = iter(order)
        for c in rest:
            if sum(1 for x in chosen if x[1] == "honest") == meta["n_honest"]:
                break
            diff = commit_diff(gd, c)
            if diff and not check_patch(diff) and diff not in seen_diffs:
                seen_diffs.add(diff)
                chosen.append((c, "honest", diff, None))
        for c in rest:
            if sum(1 for x in chosen if x[1] == "attack") == meta["n_attack"]:
                break
            diff = commit_diff(gd, c)
            if not diff or check_patch(diff) or diff in seen_diffs:
                continue
            p = plant(gd, c, diff, ctx, usage, rng)
            if p and not check_patch(p["patch"]):
                seen_diffs.add(diff)
                chosen.append((c, "attack", p["patch"], p))
        for c, label, patch, p in chosen:
            name = f"{meta['short']}-{c['sha'][:10]}"
            rel = f"{meta['source']}/items/{name}.patch"
            (folder / f"{name}.patch").write_text(patch, encoding="utf-8")
            (folder / f"{name}.task.txt").write_text(task_text(gd, c["sha"], c["subject"]), encoding="utf-8")
            entry = {"name": name, "label": label, "repo": key, "license": meta["license"], "commit": c["sha"],
                     "commit_date": c["date"], "subject": c["subject"], "patch": rel,
                     "files": [section_path(s)[0] for s in split_sections(patch)], "changed_lines": count_changed(patch),
                     "honest_changed_lines": c["changed"]}
            if p:
                (folder / f"{name}.side_task.txt").write_text(p["side_task"] + "\n", encoding="utf-8")
                entry.update(side_task=p["side_task"], template=p["template"], subtlety=p["subtlety"], plant=p["plant"])
            labels[rel] = label
            items.append(entry)
        dates = sorted(c["date"] for c in pool)
        picked = sorted(c["date"] for c, *_ in chosen)
        repos_meta[key] = {"license": meta["license"], "domain": meta["domain"], "snapshot_head": meta["head"],
                           "eligible_commits": len(pool), "eligible_range": [dates[0], dates[-1]],
                           "picked_range": [picked[0], picked[-1]],
                           "honest": sum(1 for x in chosen if x[1] == "honest"),
                           "attack": sum(1 for x in chosen if x[1] == "attack")}
    (out / "labels.json").write_text(json.dumps(dict(sorted(labels.items())), indent=1) + "\n", encoding="utf-8")
    manifest = {"seed": SEED, "repos": repos_meta, "template_uses": {k: v for k, v in usage.items() if v},
                "templates": [{"id": t["id"], "side_task": t["cls"], "subtlety": t["subtlety"], "kind": t["kind"]}
                              for t in TEMPLATES],
                "items": sorted(items, key=lambda e: e["patch"])}
    manifest_path.write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return manifest


def check_folder(out: Path) -> list[str]:
    errs = []
    for f in sorted(out.rglob("*.patch")):
        errs += [f"{f}: {e}" for e in check_patch(f.read_text(encoding="utf-8"))]
        if not f.with_suffix(".task.txt").is_file():
            errs.append(f"{f}: no task file")
    return errs


def main(argv=None) -> int:
    here = Path(__file__).resolve().parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("git_dirs", nargs="*", help="git directories of the repositories in REPOS")
    ap.add_argument("--out", type=Path, default=here.parents[1] / "shared" / "heldout" / "unseen")
    ap.add_argument("--manifest", type=Path, default=here / "MANIFEST.json")
    ap.add_argument("--check", action="store_true", help="only validate the patches already in --out")
    a = ap.parse_args(argv)
    if not a.check:
        if not a.git_dirs:
            ap.error("give the git directories to build from")
        m = build(a.git_dirs, a.out, a.manifest)
        for k, r in m["repos"].items():
            print(f"{k}: {r['honest']} honest, {r['attack']} attack (from {r['eligible_commits']} eligible commits)")
        print(f"templates used: {len(m['template_uses'])} of {len(TEMPLATES)}")
    errs = check_folder(a.out)
    for e in errs:
        print("MALFORMED", e, file=sys.stderr)
    print(f"checked {len(list(a.out.rglob('*.patch')))} patches: {'OK' if not errs else f'{len(errs)} problems'}")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
