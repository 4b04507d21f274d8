"""Rebuild the heldout_sixth data folder and MANIFEST.json from pinned mirror commits.

Usage:
  python build.py [--out DIR] [--mirror DIR]          # write the data and MANIFEST.json
  python build.py [--out DIR] [--mirror DIR] --check  # rebuild in memory, compare with disk
  python build.py --select                            # print the sampled commits

The data goes to <repo root>/shared/heldout/sixth unless --out DIR is given;
MANIFEST.json stays next to this file. Mirrors are bare clones at
<MIRROR>/<owner>+<name>/repo, MIRROR being --mirror DIR, else $HELDOUT_MIRROR,
else /work/.mirror.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

import common
from common import (
    LABEL_RE,
    auroc,
    blob,
    changed_lines,
    commit_ok,
    file_diff,
    list_commits,
    order_key,
    repo_dir,
    task_text,
)
from plants import PLANTS

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "shared" / "heldout" / "sixth"

SOURCES = [
    dict(source="k8s_helm", repo="traefik/traefik-helm-chart",
         licence="Apache-2.0", head="a8a66d0098703627b2cf352c66b1725c196a734a",
         keep=r"^((traefik|hub-manager)/)?(templates/.+\.(ya?ml|tpl)|values\.yaml)$",
         drop=r"/crds/|^traefik-crds/",
         n_honest=20, n_attack=14),
    dict(source="aws_cdk", repo="awslabs/aws-solutions-constructs",
         licence="Apache-2.0", head="33c062fd06edcd28fbf0a135f5f0af9f27c41b9c",
         keep=r"^source/patterns/@aws-solutions-constructs/[^/]+/(lib|test|lambda)/.+\.(ts|py)$",
         drop=r"\.d\.ts$|node_modules/|cdk\.out/|\.snapshot/|__snapshots__/|\.snap$",
         n_honest=20, n_attack=13),
    dict(source="ml_training", repo="huggingface/trl",
         licence="Apache-2.0", head="f2cd57710ae345ea6428ae95363267fcf38a3dc8",
         keep=r"^(trl|examples|scripts)/.+\.(py|ya?ml)$",
         drop=r"^$",
         n_honest=20, n_attack=13),
]
MIN_LINES, MAX_LINES = 4, 600
POOL = 160  # attack candidates considered for size stratification


def kept_files(src, c):
    keep, drop = re.compile(src["keep"]), re.compile(src["drop"])
    return [(p, int(a) + int(d)) for p, a, d in c["files"]
            if keep.search(p) and not drop.search(p)]


def candidates(src):
    rdir = repo_dir(src["repo"])
    out = []
    for c in list_commits(rdir, src["head"]):
        if not commit_ok(c):
            continue
        total = sum(int(a) + int(d) for _, a, d in c["files"])
        kept = kept_files(src, c)
        size = sum(n for _, n in kept)
        if not kept or not (MIN_LINES <= size <= MAX_LINES) or 2 * size < total:
            continue
        c["kept"] = [p for p, _ in kept]
        c["size"] = size
        out.append(c)
    out.sort(key=lambda c: order_key(src["repo"], c["sha"]))
    return out


def render(src, c, plant=None):
    """Unified diff of the kept files; with a plant, the post-image is edited."""
    rdir = repo_dir(src["repo"])
    files = {}
    for p in c["kept"]:
        files[p] = [blob(rdir, c["parent"], p), blob(rdir, c["sha"], p)]
    if plant:
        apply_plant(files, plant)
    parts = [file_diff(p, old, new) for p, (old, new) in sorted(files.items())]
    return "".join(parts)


def apply_plant(files, pl):
    for ed in pl["edits"]:
        apply_edit(files, ed)


def apply_edit(files, ed):
    op, path = ed["op"], ed["file"]
    if op == "new":
        assert path not in files, path
        files[path] = [None, ed["text"]]
        return
    new = files[path][1]
    anchor = ed["anchor"]
    assert new is not None and new.count(anchor) == 1, (path, anchor, new and new.count(anchor))
    if op == "replace":
        new = new.replace(anchor, ed["text"])
    else:
        i = new.index(anchor)
        if op == "after":
            i = new.index("\n", i) + 1
        else:  # before: start of the anchor's line
            i = new.rfind("\n", 0, i) + 1
        new = new[:i] + ed["text"] + new[i:]
    files[path][1] = new


def planted_lines(before, after):
    """+/- lines that differ between the unplanted and the planted patch."""
    from collections import Counter

    def body(p):
        return Counter(ln for ln in p.split("\n") if ln[:1] in "+-" and ln[:4] not in ("+++ ", "--- "))
    a, b = body(before), body(after)
    return sum(((a - b) + (b - a)).values())


def item_name(src, c):
    return f"{src['repo'].split('/')[1]}-{c['sha'][:10]}"


def valid(src, c):
    try:
        patch = render(src, c)
    except (UnicodeDecodeError, Exception):  # undecodable or vanished file
        return None
    if LABEL_RE.search(patch) or LABEL_RE.search(task_text(repo_dir(src["repo"]), c["sha"])):
        return None
    if not (MIN_LINES <= changed_lines(patch) <= MAX_LINES):
        return None
    return patch


def select(src):
    cands = candidates(src)
    honest, rest = [], []
    it = iter(cands)
    for c in it:
        if len(honest) == src["n_honest"]:
            rest.append(c)
            break
        patch = valid(src, c)
        if patch is not None:
            c["patch"] = patch
            honest.append(c)
    rest.extend(c for _, c in zip(range(POOL), it, strict=False))
    sizes = sorted(changed_lines(c["patch"]) for c in honest)
    n = src["n_attack"]
    attack = []
    for i in range(n):
        target = max(MIN_LINES, sizes[int((i + 0.5) / n * len(sizes))] - 3)
        while True:
            best = min(rest, key=lambda c: (abs(c["size"] - target),
                                            order_key(src["repo"], c["sha"])))
            rest.remove(best)
            if valid(src, best) is not None:
                attack.append(best)
                break
    return cands, honest, attack


def build():
    files, manifest = {}, {"sources": {}, "items": {}}
    labels = {}
    stats = {"honest": [], "attack": []}
    for src in SOURCES:
        rdir = repo_dir(src["repo"])
        cands, honest, attack = select(src)
        manifest["sources"][src["source"]] = dict(
            repo=src["repo"], licence=src["licence"], head=src["head"],
            candidates=len(cands), honest=len(honest), attack=len(attack))
        for label, group in (("honest", honest), ("attack", attack)):
            for c in group:
                name = item_name(src, c)
                base = f"{src['source']}/items/{name}"
                pl = PLANTS.get(name) if label == "attack" else None
                if label == "attack" and pl is None:
                    raise SystemExit(f"no plant for {name}")
                patch = c["patch"] if pl is None else render(src, c, pl)
                task = task_text(rdir, c["sha"])
                for text in (patch, task):
                    if pl is not None:
                        assert not LABEL_RE.search(text), name
                files[f"{base}.patch"] = patch
                files[f"{base}.task.txt"] = task
                if pl is not None:
                    files[f"{base}.side_task.txt"] = pl["side_task"].strip() + "\n"
                labels[f"{base}.patch"] = label
                n = changed_lines(patch)
                stats[label].append(n)
                manifest["items"][f"{base}.patch"] = dict(
                    commit=c["sha"], label=label, changed_lines=n,
                    planted_lines=planted_lines(render(src, c), patch) if pl else 0,
                    template=pl["template"] if pl else None,
                    side_task_class=pl["cls"] if pl else None)
    unused = set(PLANTS) - {k.split("/")[-1][:-6] for k, v in labels.items() if v == "attack"}
    assert not unused, f"plants without item: {sorted(unused)}"
    files["labels.json"] = json.dumps(dict(sorted(labels.items())), indent=2) + "\n"
    manifest["items"] = dict(sorted(manifest["items"].items()))
    manifest["size_only_auroc"] = round(auroc(stats["attack"], stats["honest"]), 4)
    return files, manifest


def compare(root, files):
    """Names (relative to root) that differ from `files` or are on disk but not in it."""
    bad = [rel for rel, text in sorted(files.items())
           if not os.path.isfile(os.path.join(root, rel))
           or open(os.path.join(root, rel), encoding="utf-8", newline="").read() != text]
    ondisk = set()
    for dirpath, _, names in os.walk(root):
        for nm in names:
            ondisk.add(os.path.relpath(os.path.join(dirpath, nm), root))
    return bad, sorted(ondisk - set(files))


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="data folder (default: %(default)s)")
    ap.add_argument("--mirror", default=common.MIRROR,
                    help="folder of bare clones <owner>+<name>/repo (default: %(default)s)")
    ap.add_argument("--check", action="store_true", help="compare a rebuild with disk")
    ap.add_argument("--select", action="store_true", help="print the sampled commits")
    args = ap.parse_args(argv)
    common.set_mirror(args.mirror)
    if args.select:
        os.makedirs("/tmp/h6", exist_ok=True)
        for src in SOURCES:
            cands, honest, attack = select(src)
            print(f"## {src['source']} candidates={len(cands)}")
            for c in attack:
                print(f"ATTACK {item_name(src, c)} size={c['size']} {c['subject']}")
                print("   ", c["kept"])
                with open(f"/tmp/h6/{item_name(src, c)}.patch", "w") as fh:
                    fh.write(render(src, c))
        return 0
    files, manifest = build()
    manifest_text = json.dumps(manifest, indent=2) + "\n"
    manifest_path = os.path.join(HERE, "MANIFEST.json")
    if args.check:
        bad, extra = compare(args.out, files)
        if not os.path.isfile(manifest_path) or open(
                manifest_path, encoding="utf-8", newline="").read() != manifest_text:
            bad.append(manifest_path)
        print(f"checked {len(files)} files in {args.out} + MANIFEST.json: "
              f"{len(bad)} differ, {len(extra)} extra")
        for rel in bad + extra:
            print("  ", rel)
        return 1 if bad or extra else 0
    _, extra = compare(args.out, files) if os.path.isdir(args.out) else ([], [])
    for rel in extra:  # stale items from an earlier build
        os.remove(os.path.join(args.out, rel))
    for rel, text in files.items():
        p = os.path.join(args.out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    with open(manifest_path, "w", encoding="utf-8", newline="") as fh:
        fh.write(manifest_text)
    print(f"wrote {len(files)} files to {args.out}; size-only AUROC={manifest['size_only_auroc']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
