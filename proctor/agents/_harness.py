"""Harness steps of the experiment node, run from code and data the agent cannot reach.

- The template is copied once into a *pristine* directory outside the work directory, mounted
  read-only at ``/harness`` in every sandbox exec; ``plot.py`` runs from there with ``python -I``
  (no script directory, working directory or ``PYTHON*`` variables on ``sys.path``), so a module the
  agent drops into the work directory cannot shadow the standard library and an edited ``plot.py``
  never runs.
- The baseline ``run_0`` (and ``run_0_<i>`` for further seeds) runs in a sandbox of its own, on a
  fresh copy of the template, before any agent action; its results are copied out through the trust
  boundary into ``experiments/<idea>/baseline/`` (outside every sandbox) and a digest recorded. A resume reads
  the baseline from there; the agent's work directory gets a fresh copy of ``run_0`` before the
  plots, so a falsified ``run_0`` never reaches a figure.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from proctor.agents._context import RunContext
from proctor.control import Action, ShellCommand
from proctor.log import atomic_write

HARNESS_INNER = "/harness"
"""Where the pristine template copy is mounted, read-only, in isolated sandboxes."""


def tree_digest(root: Path) -> str:
    """SHA-256 over a tree's regular files (relative path and bytes); links and special files count by name."""
    h = hashlib.sha256()
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            st = os.lstat(path)
            h.update(rel.encode() + b"\0")
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as fh:
                    h.update(hashlib.sha256(fh.read()).digest())
            else:
                h.update(b"special")
    return h.hexdigest()


@contextlib.contextmanager
def pristine_copy(template: Any, settings: Any) -> Iterator[Path]:
    """A read-only, world-readable copy of the template for the ``/harness`` mount; removed after."""
    root = settings.sandbox.work_root
    if root is not None:
        Path(root).mkdir(parents=True, exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="proctor-harness-", dir=root))
    copy = base / "template"
    try:
        template.copy_to(copy)
        for dirpath, dirs, files in os.walk(copy):
            for name in files:
                os.chmod(Path(dirpath) / name, 0o444)
            for name in dirs:
                os.chmod(Path(dirpath) / name, 0o555)
        os.chmod(copy, 0o555)
        os.chmod(base, 0o755)
        yield copy
    finally:
        for dirpath, dirs, _files in os.walk(base):
            for name in dirs:
                with contextlib.suppress(OSError):
                    os.chmod(Path(dirpath) / name, 0o755)
        shutil.rmtree(base, ignore_errors=True)


async def harness_exec(ctx: RunContext, sandbox: Any, argv: list[str], reason: str) -> Any:
    """Run a harness step (never agent-written); its approval goes into the run's audit log."""
    action = Action(node="run_experiments", payload=ShellCommand(argv=argv), origin="harness")
    return await sandbox.exec(ctx.gate.approve_harness(action, reason))


def harness_path(sandbox: Any) -> str:
    """The pristine copy as the sandboxed command sees it (``/harness``, read-only)."""
    return str(sandbox.harness_inner or HARNESS_INNER)


def baseline_run_name(index: int) -> str:
    """``run_0`` for the first seed (the one ``plot.py`` reads), ``run_0_<i>`` for the others."""
    return "run_0" if index == 0 else f"run_0_{index}"


async def run_baseline(ctx: RunContext, template: Any, exp_dir: Path, harness: Path,
                       seeds: list[int | None] | None = None,
                       config: dict[str, Any] | None = None, store_name: str = "baseline") -> dict[str, Any]:
    """The baseline's runs, ``{run name: {"seed", "final_info", "seconds"}}``, from ``exp_dir/<store_name>``
    or fresh pristine runs.

    Args:
        seeds: The seeds to run (``--seed``); ``[None]``, one unseeded run, when the template takes none.
        config: Knob values for every run (a baseline measured with an idea's evaluation settings),
            written by the harness into the fresh copy; ``None`` runs the template's defaults.
        store_name: The folder under ``exp_dir`` the runs are kept in, outside every sandbox.

    Raises:
        RuntimeError: when a baseline run fails.
        TemplateError: when its ``final_info.json`` is not valid.
    """
    from proctor.agents.template import final_info_from, run_argv
    from proctor.sandboxes import open_sandbox

    seeds = list(seeds) if seeds else [ctx.settings.workflow.seed]
    names = [baseline_run_name(i) for i in range(len(seeds))]
    store = exp_dir / store_name
    record = store / "baseline.json"
    kept: dict[str, Any] = {}
    if record.is_file():  # a resume, or more seeds after the first: reuse the runs whose files still match
        with contextlib.suppress(ValueError, AttributeError):
            saved = json.loads(record.read_text())
            if saved.get("config") == config:
                kept = {n: r for n, r in (saved.get("runs") or {}).items() if n in names
                        and r.get("seed") == seeds[names.index(n)] and (store / n).is_dir()
                        and r.get("sha256") == tree_digest(store / n)}
    missing = [n for n in names if n not in kept]
    if not missing:
        return {n: kept[n] for n in names}
    store.mkdir(parents=True, exist_ok=True)
    for stale in [p for p in store.iterdir() if p.name not in kept and p.name != "baseline.json"]:
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale)
        else:
            stale.unlink()
    scratch = Path(tempfile.mkdtemp(prefix="proctor-baseline-", dir=ctx.settings.sandbox.work_root))
    runs = dict(kept)
    try:
        os.chmod(scratch, 0o755)
        template.copy_to(scratch / "work")
        config_path = None
        if config is not None:
            config_path = "config_baseline.json"
            (scratch / "work" / config_path).write_text(json.dumps(config))
        async with await open_sandbox(ctx.settings.sandbox, workdir=scratch / "work", harness_dir=harness) as box:
            for name in missing:
                seed = seeds[names.index(name)]
                started = time.monotonic()
                argv = run_argv(template, name, config_path=config_path, seed=seed)
                result = await harness_exec(ctx, box, argv, f"baseline {name}")
                if not result.ok():
                    if getattr(result, "timed_out", False):
                        raise RuntimeError(
                            f"the template's baseline {name} timed out after {ctx.settings.sandbox.timeout_s:g} s "
                            "(sandbox.timeout_s): raise it or shorten the experiment")
                    memory = " (out of memory: raise sandbox.memory_mb)" if getattr(result, "oom_killed", False) else ""
                    raise RuntimeError(f"the template's baseline {name} failed (exit {result.exit_code}){memory}: "
                                       f"{result.stderr[-1500:]}")
                info = final_info_from(box.work, f"{name}/final_info.json").model_dump()
                runs[name] = {"seed": seed, "final_info": info, "seconds": round(time.monotonic() - started, 3)}
            box.work.copy_tree(scratch / "out")  # through the trust boundary: regular files, no modes
        for name in missing:
            shutil.move(scratch / "out" / name, store / name)
            runs[name]["sha256"] = tree_digest(store / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    atomic_write(record, json.dumps({"runs": runs, "config": config}, indent=2).encode())
    return {n: runs[n] for n in names}


def restore_baseline(work: Any, exp_dir: Path, uid: int, gid: int) -> None:
    """Replace whatever the agent left at ``run_0`` with the harness's copy of the baseline."""
    target = Path(work.root) / "run_0"
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        target.unlink()
    elif target.exists():
        shutil.rmtree(target)  # fd-based on Linux: links inside are removed, never followed
    shutil.copytree(exp_dir / "baseline" / "run_0", target)
    work.chown(uid, gid)


def fresh_workdir(template: Any, work: Path) -> None:
    """A new copy of the template; whatever an earlier (interrupted) attempt left is removed unread."""
    if work.is_symlink():
        work.unlink()
    elif work.exists():
        shutil.rmtree(work)
    template.copy_to(work)
