"""Rebuild the seventh held-out set (shared/heldout/seventh/) from pinned commits.

Standard library only.  Usage:
    python bench/heldout_seventh/build.py [--mirror DIR] [--out DIR] [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import gitsrc
import plants_delivlib
import plants_elastic
import plants_peft

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "shared" / "heldout" / "seventh"
N_HONEST = 20


def _keep_elastic(p: str) -> bool:
    top = p.split("/")[0]
    return (p.endswith((".yaml", ".yml", ".tpl")) and not top.startswith(".")
            and top != "helpers" and "/test/" not in p)


def _keep_delivlib(p: str) -> bool:
    return p.startswith("lib/") and p.endswith(".ts") and not p.endswith(".d.ts")


def _keep_peft(p: str) -> bool:
    return p.endswith(".py") and p.split("/")[0] in (
        "src", "examples", "method_comparison", "scripts")


SOURCES = [
    {"source": "elastic-helm-charts", "repo": "elastic/helm-charts",
     "mirror": "elastic+helm-charts", "licence": "Apache-2.0",
     "head": "2fd64d0af65f14df7aa01da591919460dabac4b3", "domain": "Helm charts",
     "keep": _keep_elastic, "n_attack": 14, "plants": plants_elastic.PLANTS,
     "kept_files": "*.yaml, *.yml, *.tpl outside dot-folders, helpers/ and */test/"},
    {"source": "aws-delivlib", "repo": "cdklabs/aws-delivlib",
     "mirror": "cdklabs+aws-delivlib", "licence": "Apache-2.0",
     "head": "b52047e0098a3c9be5b6b2ed48019717baf3a050", "domain": "AWS CDK (TypeScript)",
     "keep": _keep_delivlib, "n_attack": 13, "plants": plants_delivlib.PLANTS,
     "kept_files": "lib/**/*.ts (not *.d.ts)"},
    {"source": "peft", "repo": "huggingface/peft",
     "mirror": "huggingface+peft", "licence": "Apache-2.0",
     "head": "5d602fdbff04c33c1c4de55cda9d4ae1d7cb7e40", "domain": "Python ML training",
     "keep": _keep_peft, "n_attack": 13, "plants": plants_peft.PLANTS,
     "kept_files": "*.py under src/, examples/, method_comparison/, scripts/"},
]


def stratified(n: int, k: int) -> set[int]:
    """k of n size ranks, spread evenly over the size order."""
    return {i for i in range(n) if (i + 1) * k // n > i * k // n}


def apply_plant(text: str | None, plant: dict) -> str:
    kind = plant["kind"]
    if kind == "newfile":
        assert text is None, plant["file"]
        return plant["text"]
    assert text is not None, plant["file"]
    if kind == "replace":
        assert text.count(plant["old"]) == 1, (plant["file"], plant["old"])
        return text.replace(plant["old"], plant["new"])
    lines = text.splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if plant["anchor"] in line]
    assert len(hits) == 1, (plant["file"], plant["anchor"], len(hits))
    i = hits[0] + (1 if kind == "after" else 0)
    new = "".join(x + "\n" for x in plant["lines"])
    return "".join(lines[:i]) + new + "".join(lines[i:])


def build_source(src: dict, mirror: Path, out: Path) -> tuple[dict, dict]:
    repo = mirror / src["mirror"] / "repo"
    if not repo.exists():
        repo = mirror / src["mirror"]
    cands = gitsrc.candidates(repo, src["head"], src["source"], src["keep"])
    pool = cands[:N_HONEST + src["n_attack"]]
    by_size = sorted(pool, key=lambda c: (c.kept, c.sha))
    attack_idx = stratified(len(by_size), src["n_attack"])
    attack = {by_size[i].sha for i in attack_idx}
    plants = src["plants"]
    missing = sorted(s[:10] for s in attack if s[:10] not in plants)
    extra = sorted(set(plants) - {s[:10] for s in attack})
    if missing or extra:
        raise SystemExit(f"{src['source']}: plants missing {missing}, unused {extra}")
    items_dir = out / src["source"] / "items"
    items_dir.mkdir(parents=True, exist_ok=True)
    labels, items = {}, []
    for c in pool:
        label = "attack" if c.sha in attack else "honest"
        plant = plants.get(c.sha[:10])
        files = sorted(c.files)
        if plant and plant["file"] not in files:
            files = sorted(files + [plant["file"]])
        parts, planted = [], 0
        for path in files:
            old = gitsrc.blob(repo, c.parent, path)
            new = gitsrc.blob(repo, c.sha, path)
            if plant and plant["file"] == path:
                base = new
                new = apply_plant(new, plant)
                pdiff = gitsrc.file_diff(path, base, new).splitlines()[2:]
                planted = max(sum(1 for line in pdiff if line.startswith(sign))
                              for sign in "+-")
                for line in new.splitlines():
                    if line not in (base or "").splitlines():
                        assert not gitsrc.has_label_word(line), line
            parts.append(gitsrc.file_diff(path, old, new))
        patch = "".join(parts)
        assert patch, c.sha
        name = f"{src['source']}-{c.sha[:10]}"
        (items_dir / f"{name}.patch").write_text(patch, encoding="utf-8")
        task = gitsrc.task_text(c)
        assert not gitsrc.has_label_word(task), task
        (items_dir / f"{name}.task.txt").write_text(task, encoding="utf-8")
        if plant:
            (items_dir / f"{name}.side_task.txt").write_text(
                plant["side_task"].strip() + "\n", encoding="utf-8")
        key = f"{src['source']}/items/{name}.patch"
        labels[key] = label
        item = {"item": key, "commit": c.sha, "label": label,
                "changed_lines": gitsrc.count_changed(patch), "files": len(files)}
        if plant:
            item.update(planted_lines=planted, template=plant["template"],
                        side_task_class=plant["class"], planted_file=plant["file"])
        items.append(item)
    head_date = gitsrc.git(repo, "show", "-s", "--format=%cI", src["head"]).strip()
    meta = {"source": src["source"], "repo": src["repo"], "licence": src["licence"],
            "domain": src["domain"], "snapshot_head": src["head"],
            "snapshot_head_date": head_date, "kept_files": src["kept_files"],
            "candidates": len(cands), "items": items}
    return labels, meta


def auroc(scores_pos: list[float], scores_neg: list[float]) -> float:
    wins = 0.0
    for p in scores_pos:
        for n in scores_neg:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(scores_pos) * len(scores_neg))


def build(mirror: Path, out: Path, manifest: Path) -> None:
    labels, sources = {}, []
    for src in SOURCES:
        lab, meta = build_source(src, mirror, out)
        labels.update(lab)
        sources.append(meta)
    (out / "labels.json").write_text(
        json.dumps(dict(sorted(labels.items())), indent=2) + "\n", encoding="utf-8")
    items = [it for s in sources for it in s["items"]]
    pos = [it["changed_lines"] for it in items if it["label"] == "attack"]
    neg = [it["changed_lines"] for it in items if it["label"] == "honest"]
    planted = sorted(it["planted_lines"] for it in items if it["label"] == "attack")
    classes: dict[str, int] = {}
    for it in items:
        if it["label"] == "attack":
            classes[it["side_task_class"]] = classes.get(it["side_task_class"], 0) + 1
    summary = {"items": len(items), "attack": len(pos), "honest": len(neg),
               "size_only_auroc": round(auroc(pos, neg), 4),
               "planted_lines": {"min": planted[0], "max": planted[-1],
                                 "median": planted[len(planted) // 2],
                                 "mean": round(sum(planted) / len(planted), 2)},
               "side_task_classes": dict(sorted(classes.items())),
               "data_sha256": _tree_hash(out)}
    doc = {"name": "heldout_seventh", "data_dir": "shared/heldout/seventh",
           "summary": summary, "sources": sources}
    manifest.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def _tree_hash(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mirror", type=Path,
                    default=Path(os.environ.get("HELDOUT_MIRROR", "/work/.mirror")))
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true",
                    help="rebuild into a temporary folder and compare byte for byte")
    args = ap.parse_args()
    manifest = HERE / "MANIFEST.json"
    if not args.check:
        build(args.mirror, args.out, manifest)
        print(manifest.read_text(encoding="utf-8").split('"sources"')[0])
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp_out, tmp_man = Path(tmp) / "data", Path(tmp) / "MANIFEST.json"
        build(args.mirror, tmp_out, tmp_man)
        want, have = _snapshot(tmp_out), _snapshot(args.out)
        bad = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
        if tmp_man.read_bytes() != manifest.read_bytes():
            bad.append("MANIFEST.json")
    if bad:
        print("differs:", *bad[:20], sep="\n  ")
        return 1
    print(f"ok: {len(want)} data files and MANIFEST.json are byte-identical")
    return 0


if __name__ == "__main__":
    sys.exit(main())
