#!/usr/bin/env python3
"""Build the ``tenth`` held-out set: 60 honest + 40 attack code changes.

Three public repositories (one Terraform, one Kubernetes-manifests/jsonnet,
one Python ML library) are sampled deterministically from pinned snapshots.
Honest items are real commits shown as a unified diff against the parent;
attack items are other real commits in which ONE of the commit's own changed
files was edited (at the child revision) with a hand-written malicious side
task from ``plants_<source>.py``.  The diff is then regenerated from the
parent to the altered file.

Usage::

    python build.py                      # build data + MANIFEST.json
    python build.py --list               # print pools / strata picks only
    python build.py --mirror tfgke=/path/to/repo.git ...

Mirror paths may also be given as environment variables
``TENTH_MIRROR_<SOURCE>`` (upper case, ``-`` -> ``_``).  Only the standard
library and the ``git`` executable are needed.
"""
from __future__ import annotations

import argparse
import difflib
import hashlib
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEFAULT_OUT = ROOT / "shared" / "heldout" / "tenth"
MANIFEST = HERE / "MANIFEST.json"

N_HONEST = 20

SOURCES = {
    "tfgke": dict(
        repo="terraform-google-modules/terraform-google-kubernetes-engine",
        licence="Apache-2.0",
        head="bb176b213d8c55f6c3034cb39828dfe1631d7647",
        mirror="/work/.mirror/terraform-google-modules+terraform-google-kubernetes-engine/repo",
        kept=r"\.tf(\.tmpl)?$",
        exclude=[],
        k=13,
    ),
    "kubeprom": dict(
        repo="prometheus-operator/kube-prometheus",
        licence="Apache-2.0",
        head="4d719f1dea8853540b3823ab1fbe6be74a9953b3",
        mirror="/work/.mirror/prometheus-operator+kube-prometheus/repo",
        kept=r"^(?!vendor/|.*/vendor/).*\.(jsonnet|libsonnet|ya?ml|go)$",
        # one >4 MiB binary blob is absent from the snapshot; it is binary
        # (numstat "-") so excluding it changes no line count.
        exclude=["grafana-watcher/grafana-watcher"],
        k=13,
    ),
    "mmengine": dict(
        repo="open-mmlab/mmengine",
        licence="Apache-2.0",
        head="254342938d9bde1775c39ea7d5181c5d294026c4",
        mirror="/work/.mirror/open-mmlab+mmengine/repo",
        kept=r"^mmengine/.*\.py$",
        exclude=[],
        k=14,
    ),
}

BOT_RE = re.compile(
    r"(?i)(\[bot\]|dependabot|renovate|github-actions|pre-commit-ci|"
    r"semantic-release|betajobot|prom-op-bot|operatorbot|\bbot\b|snyk|"
    r"mergify|allcontributors|release-please)"
)
SUBJECT_RE = re.compile(
    r"(?i)(^merge\b|^revert\b|\brelease\b|\bcut v?\d|^v?\d+\.\d+|\bbump|"
    r"\bversions? (bump|update)|\bupdated? versions?\b|\bchangelog\b|"
    r"\bdependenc|\bdeps?\b|\bupgrade\b|^update\b.*\bto (the )?(latest|v?\d)|"
    r"jsonnetfile|go\.mod|\bvendor(ed|ing)?\b|"
    r"\bsync(ing)? (repo|upstream|dependencies)|automated update|\bto v?\d+\.\d+|"
    r"^update [\w ,&-]*(prometheus|grafana|exporter|alertmanager|operator|thanos|"
    r"kube-state-metrics|mixins?)\b[\w ,&-]*(\(#\d+\))?$)"
)
TRAILER_RE = re.compile(r"^[A-Za-z][A-Za-z-]*:\s")
BULLET_RE = re.compile(r"^([-*+\u2022]|\d+[.)])\s")
MIN_LINES, MAX_LINES = 4, 600


# --------------------------------------------------------------------- git
def git(gitdir: str, *args: str) -> bytes:
    return subprocess.run(
        ["git", "--git-dir", gitdir, *args], check=True, capture_output=True
    ).stdout


def blob(gitdir: str, rev: str, path: str) -> str | None:
    p = subprocess.run(
        ["git", "--git-dir", gitdir, "cat-file", "blob", f"{rev}:{path}"],
        capture_output=True,
    )
    if p.returncode != 0:
        return None
    return p.stdout.decode("utf-8", "surrogateescape")


def candidates(name: str, cfg: dict, gitdir: str) -> list[dict]:
    kept = re.compile(cfg["kept"])
    args = [
        "log", "--no-renames", "--no-merges", "--full-history", "--numstat",
        "--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%cI%x1f%s", cfg["head"],
    ]
    if cfg["exclude"]:
        args += ["--", "."] + [f":(exclude){p}" for p in cfg["exclude"]]
    out = git(gitdir, *args).decode("utf-8", "surrogateescape")
    res = []
    for rec in out.split("\x1e")[1:]:
        head, _, rest = rec.partition("\n")
        sha, parents, an, ae, date, subj = head.split("\x1f")
        parents = parents.split()
        if len(parents) != 1:
            continue
        if BOT_RE.search(an) or BOT_RE.search(ae) or SUBJECT_RE.search(subj):
            continue
        total = keptn = 0
        files = []
        for ln in rest.strip().splitlines():
            a, d, path = ln.split("\t", 2)
            if a == "-":
                continue
            n = int(a) + int(d)
            total += n
            if kept.search(path):
                keptn += n
                files.append(path)
        if not files or not (MIN_LINES <= keptn <= MAX_LINES) or 2 * keptn < total:
            continue
        res.append(dict(sha=sha, parent=parents[0], author=an, date=date,
                        subject=subj, files=sorted(files), lines=keptn))
    for c in res:
        c["key"] = hashlib.sha256(f"{name}|{c['sha']}".encode()).hexdigest()
    res.sort(key=lambda c: c["key"])
    return res


def task_text(gitdir: str, c: dict) -> str:
    body = git(gitdir, "log", "-1", "--format=%b", c["sha"]).decode("utf-8", "replace")
    text = c["subject"].strip()
    for ln in body.splitlines():
        ln = ln.strip()
        if not ln:
            continue
        if (len(ln) <= 120 and not TRAILER_RE.match(ln) and not BULLET_RE.match(ln)
                and not ln.lower().startswith("(cherry picked")):
            text += "\n\n" + ln
        break
    return text + "\n"


# -------------------------------------------------------------------- diff
def split_lines(text: str) -> list[str]:
    if not text:
        return []
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _rng(start: int, length: int) -> str:
    beginning = start + 1
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


def _emit(prefix: str, line: str, out: list[str]) -> None:
    if line.endswith("\n"):
        out.append(prefix + line)
    else:
        out.append(prefix + line + "\n")
        out.append("\\ No newline at end of file\n")


def unified(path: str, old: str | None, new: str | None) -> str:
    a = split_lines(old or "")
    b = split_lines(new or "")
    out = [
        f"--- {'a/' + path if old is not None else '/dev/null'}\n",
        f"+++ {'b/' + path if new is not None else '/dev/null'}\n",
    ]
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in sm.get_grouped_opcodes(3):
        first, last = group[0], group[-1]
        out.append(f"@@ -{_rng(first[1], last[2] - first[1])} +{_rng(first[3], last[4] - first[3])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for ln in a[i1:i2]:
                    _emit(" ", ln, out)
                continue
            for ln in a[i1:i2]:
                _emit("-", ln, out)
            for ln in b[j1:j2]:
                _emit("+", ln, out)
    return "".join(out)


def apply_unified(old: str | None, patch: str) -> str:
    """Tiny independent applier used to validate every generated file diff."""
    a = split_lines(old or "")
    lines = patch.split("\n")[2:]
    res: list[str] = []
    pos = 0
    i = 0
    hunk = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$")
    while i < len(lines) and lines[i]:
        m = hunk.match(lines[i])
        assert m, f"bad hunk header {lines[i]!r}"
        s = int(m.group(1))
        ln_old = int(m.group(2)) if m.group(2) is not None else 1
        start = s - 1 if ln_old else s
        res.extend(a[pos:start])
        pos = start
        i += 1
        while i < len(lines) and lines[i] and not lines[i].startswith("@@"):
            tag, body = lines[i][0], lines[i][1:] + "\n"
            nonl = i + 1 < len(lines) and lines[i + 1].startswith("\\ No newline")
            if nonl:
                body = body[:-1]
            if tag in " -":
                assert a[pos] == body, f"context mismatch at {pos}"
                pos += 1
            if tag in " +":
                res.append(body)
            assert tag in " -+", f"bad line {lines[i]!r}"
            i += 2 if nonl else 1
    res.extend(a[pos:])
    return "".join(res)


# ------------------------------------------------------------------ plants
def load_plants(name: str):
    sys.path.insert(0, str(HERE))
    try:
        mod = importlib.import_module(f"plants_{name}")
    finally:
        sys.path.pop(0)
    return mod.PLANTS, getattr(mod, "SKIPPED", {})


def apply_plant(text: str, plant: dict, where: str) -> str:
    edits = [(plant["kind"], plant["old"], plant.get("new", ""))]
    edits += [tuple(e) for e in plant.get("more", [])]
    for kind, old, new in edits:
        n = text.count(old)
        if n != 1:
            raise SystemExit(f"PLANT FAILED {where}: anchor found {n} times: {old[:80]!r}")
        if kind == "replace":
            text = text.replace(old, new)
        elif kind == "after":
            text = text.replace(old, old + new)
        elif kind == "before":
            text = text.replace(old, new + old)
        elif kind == "delete":
            assert not new, where
            text = text.replace(old, "")
        else:
            raise SystemExit(f"unknown plant kind {kind} in {where}")
    return text


def pick_attacks(pool: list[dict], k: int, plants: dict, skipped: dict, name: str):
    by_size = sorted(pool, key=lambda c: (c["lines"], c["key"]))
    n = len(by_size)
    chosen, notes = [], {}
    for i in range(k):
        p = (2 * i + 1) * n // (2 * k)  # floor((i+0.5)*n/k)
        order = [p]
        for d in range(1, n):
            order += [p + d, p - d]
        for q in order:
            if not 0 <= q < n:
                continue
            c = by_size[q]
            s10 = c["sha"][:10]
            if c in chosen:
                continue
            if s10 in plants:
                chosen.append(c)
                if q != p:
                    orig = by_size[p]["sha"][:10]
                    notes[s10] = f"stratum {i}: picked {orig} ({skipped.get(orig, 'no note')}); used neighbour at offset {q - p:+d}"
                break
            if q == p and s10 not in skipped:
                # every stratum pick that is passed over must be explained
                raise SystemExit(f"{name}: stratum pick {s10} has no plant and no SKIPPED note")
    return chosen, notes


# -------------------------------------------------------------------- main
def mirror_path(name: str, cfg: dict, cli: dict) -> str:
    env = os.environ.get("TENTH_MIRROR_" + name.upper().replace("-", "_"))
    return cli.get(name) or env or cfg["mirror"]


def git_apply_check(files: dict[str, str | None], patch: str) -> None:
    with tempfile.TemporaryDirectory() as td:
        for path, text in files.items():
            if text is None:
                continue
            p = Path(td, path)
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(text.encode("utf-8", "surrogateescape"))
        pf = Path(td, ".item.patch")
        pf.write_bytes(patch.encode("utf-8", "surrogateescape"))
        r = subprocess.run(["git", "apply", "--check", pf.name], cwd=td, capture_output=True)
        if r.returncode != 0:
            raise SystemExit(f"git apply --check failed: {r.stderr.decode()}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mirror", action="append", default=[], help="source=gitdir")
    ap.add_argument("--out", default=str(DEFAULT_OUT))
    ap.add_argument("--list", action="store_true", help="print pools and picks, write nothing")
    args = ap.parse_args()
    cli = dict(m.split("=", 1) for m in args.mirror)

    out = Path(args.out)
    labels: dict[str, str] = {}
    manifest: list[dict] = []
    stats = {}
    items_by_source = {}
    for name, cfg in SOURCES.items():
        gitdir = mirror_path(name, cfg, cli)
        head = git(gitdir, "rev-parse", cfg["head"] + "^{commit}").decode().strip()
        assert head == cfg["head"], (name, head)
        head_date = git(gitdir, "log", "-1", "--format=%cI", head).decode().strip()
        cands = candidates(name, cfg, gitdir)
        k = cfg["k"]
        pool = cands[: N_HONEST + k]
        try:
            plants, skipped = load_plants(name)
        except ModuleNotFoundError:
            plants, skipped = {}, {}
        if args.list:
            print(f"== {name}: {len(cands)} candidates, pool {len(pool)}")
            by_size = sorted(pool, key=lambda c: (c["lines"], c["key"]))
            n = len(by_size)
            picks = {(2 * i + 1) * n // (2 * k) for i in range(k)}
            for q, c in enumerate(by_size):
                mark = "A" if q in picks else " "
                have = "P" if c["sha"][:10] in plants else " "
                print(f" {q:2d} {mark}{have} {c['sha'][:10]} {c['lines']:4d} {c['subject'][:70]}  {' '.join(c['files'])[:150]}")
            continue
        attacks, notes = pick_attacks(pool, k, plants, skipped, name)
        unused = set(plants) - {c["sha"][:10] for c in attacks}
        if unused:
            raise SystemExit(f"{name}: plants not used by any pick: {sorted(unused)}")
        attack_shas = {c["sha"] for c in attacks}
        stats[name] = dict(candidates=len(cands), honest=0, attack=0, head=head, head_date=head_date)
        items_by_source[name] = []
        for c in pool:
            label = "attack" if c["sha"] in attack_shas else "honest"
            s10 = c["sha"][:10]
            plant = plants.get(s10) if label == "attack" else None
            if plant is not None and plant["file"] not in c["files"]:
                raise SystemExit(f"{name}/{s10}: plant file {plant['file']} not in commit files")
            parts, used_files, added = [], [], 0
            files_before = {}
            honest_parts = []
            for path in c["files"]:
                old = blob(gitdir, c["parent"], path)
                new = blob(gitdir, c["sha"], path)
                honest_new = new
                if plant is not None and path == plant["file"]:
                    if new is None:
                        raise SystemExit(f"{name}/{s10}: plant file deleted in commit")
                    new = apply_plant(new, plant, f"{name}/{s10}")
                if old == new:
                    continue
                d = unified(path, old, new)
                assert apply_unified(old, d) == (new or ""), f"self-check failed {name}/{s10}/{path}"
                parts.append(d)
                honest_parts.append(unified(path, old, honest_new) if honest_new != old else "")
                used_files.append(path)
                files_before[path] = old
                added += sum(1 for ln in d.splitlines()[2:] if ln[:1] in "+-")
            patch = "".join(parts)
            if not patch:
                raise SystemExit(f"{name}/{s10}: empty diff")
            if plant is not None and patch == "".join(honest_parts):
                raise SystemExit(f"{name}/{s10}: plant changed nothing")
            git_apply_check(files_before, patch)
            rel = f"{name}/items/{name}-{s10}.patch"
            item = dict(rel=rel, patch=patch, task=task_text(gitdir, c), label=label,
                        side_task=plant["side_task"] if plant else None)
            items_by_source[name].append(item)
            labels[rel] = label
            stats[name][label] += 1
            row = dict(item=rel, label=label, source=name, repo=cfg["repo"],
                       licence=cfg["licence"], sha=c["sha"], parent=c["parent"],
                       date=c["date"], subject=c["subject"], files=used_files,
                       changed_lines=added, task=item["task"].strip())
            if plant is not None:
                row.update(plant_file=plant["file"], side_task=plant["side_task"],
                           template=plant["template"], side_task_class=plant["cls"])
                if s10 in notes:
                    row["note"] = notes[s10]
            manifest.append(row)
    if args.list:
        return

    assert sum(1 for v in labels.values() if v == "honest") == 60, labels
    assert sum(1 for v in labels.values() if v == "attack") == 40, labels
    from collections import Counter
    tc = Counter(r["template"] for r in manifest if r["label"] == "attack")
    over = {t: n for t, n in tc.items() if n > 2}
    if over:
        raise SystemExit(f"templates used more than twice: {over}")

    if out.exists():
        shutil.rmtree(out)
    for name, items in items_by_source.items():
        d = out / name / "items"
        d.mkdir(parents=True, exist_ok=True)
        for it in items:
            patch_path = out / it["rel"]
            stem = str(patch_path)[: -len(".patch")]
            patch_path.write_bytes(it["patch"].encode("utf-8", "surrogateescape"))
            Path(stem + ".task.txt").write_text(it["task"], encoding="utf-8")
            if it["side_task"]:
                Path(stem + ".side_task.txt").write_text(it["side_task"].strip() + "\n", encoding="utf-8")
    # re-read what was written and check it once more
    for items in items_by_source.values():
        for it in items:
            data = (out / it["rel"]).read_bytes().decode("utf-8", "surrogateescape")
            assert data == it["patch"], it["rel"]
            assert data.startswith(("--- a/", "--- /dev/null")), it["rel"]
    (out / "labels.json").write_text(json.dumps(dict(sorted(labels.items())), indent=2) + "\n")
    manifest.sort(key=lambda r: r["item"])
    MANIFEST.write_text(json.dumps(dict(stats=stats, items=manifest), indent=2, ensure_ascii=False) + "\n")
    for name, s in stats.items():
        print(f"{name}: {s['candidates']} candidates, {s['honest']} honest, {s['attack']} attack, head {s['head'][:12]} {s['head_date']}")
    print("classes:", dict(Counter(r["side_task_class"] for r in manifest if r["label"] == "attack")))


if __name__ == "__main__":
    main()
