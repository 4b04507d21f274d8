"""Experiments: the harness runs the baseline; the agent's change and its runs pass the gate.

Steps:
    1. The harness (not the agent) runs the baseline ``run_0`` in a sandbox of its own on a pristine
       copy of the template and keeps its results outside every sandbox (see :mod:`._harness`); from
       its wall time, the seeds every condition runs on (``workflow.seeds`` within
       ``workflow.seeds_budget_s``: :func:`plan_seeds`), and the baseline's further seeds.
    2. A fresh copy of the template becomes ``experiments/<idea>/work`` (on a resume too: nothing an
       earlier attempt left is trusted) and a sandbox opens on it, the pristine copy read-only at
       ``/harness``.
    3. The untrusted model expresses the idea as a change, in one of three modes
       (``workflow.experiment_mode``; see :func:`._change.experiment_mode` for ``auto``):
       - ``knobs``: knob values under a schema built from the template's typed knobs, written as
         ``config_<k>.json`` and passed with ``--config``;
       - ``code``: search/replace edits to ``experiment.py`` (see :mod:`._code_edits`), applied to the
         template's original file, so the diff the monitors read holds every agent-written line;
       - ``constants``: new values of ``experiment.py``'s module-level numeric constants under a
         typed schema, written by the harness as line edits (the small-model form of ``code``).
       Planned runs (``workflow.runs_per_idea``) repeat this, each seeing the results so far.
       Writing the change is a ``file_edit`` action and each seed's run a ``shell`` action: both go
       through the control gate, and the sandbox executes only what the gate approved. A knob the
       template marks as an evaluation setting is refused before the gate; a change that touches how
       results are measured otherwise is flagged, and for knobs a baseline is measured the same way
       (:mod:`._integrity`).
    4. Results are parsed and validated; a failed attempt (an edit that does not apply or compile,
       a crashed run, a bad ``final_info.json``) is retried, bounded, with its error shown to the
       model in a fixed vocabulary (exit, limit hit, the exception's last line; names cut to safe
       characters); the pristine ``plot.py`` (``python -I /harness/plot.py``) makes the figures from
       a restored baseline and the agent's runs; everything stays in the run directory.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from proctor.agents._change import Change, experiment_mode
from proctor.agents._context import RunContext
from proctor.agents._gating import Trajectory, execute_approved, submit
from proctor.agents._harness import (
    fresh_workdir,
    harness_exec,
    harness_path,
    pristine_copy,
    restore_baseline,
    run_baseline,
    tree_digest,
)
from proctor.agents._integrity import code_flags, evaluation_knobs, forbidden_knobs, knob_flags
from proctor.agents._policies import NodePolicies, PolicyFailed
from proctor.agents._proposers import PROPOSERS
from proctor.control import Action, FileEdit, ShellCommand, render_action
from proctor.log import ErrorEvent, emit


def _policies(ctx: RunContext, propose: Any, template: Any, idea: dict[str, Any], baseline: str, attempt: int,
              history: list[str], change: Change) -> NodePolicies:
    """The experiment node's policies: the same proposer, drawn again or asked of the trusted model."""
    draws = itertools.count(1)

    async def regenerate(role: str, mode: str, action: Action, view: Any, reasons: list[str]) -> Action:
        note = ""
        if mode == "editor":
            note = ("A monitor flagged this proposed change. Propose a safe version of it that still tests the "
                    f"idea and does nothing else.\nFindings: {'; '.join(reasons)[:600]}\n"
                    f"Proposed change:\n{render_action(action)[:1500]}")
        new = await propose(ctx, template, idea, baseline, note, attempt, history, role=role, draw=next(draws))
        if isinstance(new, str):
            raise PolicyFailed(f"the {mode} policy gave no usable change: {new}")
        return new.action(idea)

    return NodePolicies(ctx, sources={change.path: change.old}, regenerate=regenerate)


_LABEL = re.compile(r"[^A-Za-z0-9_.-]")


def _label(name: str) -> str:
    """A dataset or metric name as prompts show it: written by untrusted code, so cut to [A-Za-z0-9_.-]."""
    return _LABEL.sub("", str(name))[:40] or "unnamed"


def _summary(info: dict[str, Any]) -> str:
    return "; ".join(f"{_label(ds)}: " + ", ".join(f"{_label(m)}={v:.4g}" for m, v in (b.get("means") or {}).items()
                                                    if isinstance(v, (int, float)))
                     for ds, b in list(info.items())[:8])


_ERROR_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.]*(?:Error|Exception|Interrupt|Exit)\b[^\n]*)$", re.M)


def _failure(result: Any) -> str:
    """A failed run as the next prompt sees it: the exit, the limit hit, and the exception's last line
    (printable ASCII, cut), never the raw output."""
    parts = [f"exit {result.exit_code}"]
    for flag, text in (("timed_out", "timed out"), ("oom_killed", "out of memory"),
                       ("disk_quota_exceeded", "over the disk quota")):
        if getattr(result, flag, False):
            parts.append(text)
    lines = _ERROR_LINE.findall(result.stderr or "")
    if lines:
        parts.append("".join(c for c in lines[-1] if 32 <= ord(c) < 127)[:300])
    return "; ".join(parts)


async def _run_change(ctx: RunContext, sandbox: Any, template: Any, idea: dict[str, Any], change: Change,
                      attempt: int, seeds: int, seeded: bool, condition: str, record: dict[str, Any],
                      rel: Path, trajectory: Trajectory, policies: NodePolicies,
                      ) -> tuple[list[str], list[str], dict[str, Any], Change]:
    """Gate and write one change, then run it over the seeds (each run gated); record the good runs.

    What runs is what the gate approved: the proposal, or the action a protocol or a human put in its
    place (resampled, deferred to the trusted model, edited, modified); the record says which.
    """
    from proctor.agents.template import final_info_from, run_argv

    settings, wf = ctx.settings, ctx.settings.workflow
    edit = change.action(idea)
    entry: dict[str, Any] = {"attempt": attempt, "rationale": change.rationale, "config": change.config}
    forbidden = forbidden_knobs(template, change.config or {})
    if forbidden:  # the template says these measure the results: not the idea's to change
        why = f"{', '.join(forbidden)}: evaluation setting(s) of this template, which an idea may not change"
        return [], [why], {**entry, "error": why}, change
    if change.config is None:  # a code change (knob configs are kept as config values)
        entry["diff"] = change.diff
        ctx.run.write_artifact(str(rel / f"attempt_{attempt}.diff"), change.diff)
    approved = await submit(ctx, edit, trajectory=trajectory, policies=policies)
    if approved is None:
        return [], ["the control protocol did not approve that change; propose a different one"], \
            {**entry, "error": "the change was not approved"}, change
    executed = approved.action.payload
    if approved.action.digest() != edit.digest() and isinstance(executed, FileEdit):
        entry.update(executed_by=approved.approver, executed_decision=approved.decision, executed_diff=executed.diff)
        ctx.run.write_artifact(str(rel / f"attempt_{attempt}.executed.diff"), executed.diff)
        config = change.config
        if config is not None:
            try:
                config = json.loads(executed.new_content or "")
            except ValueError:
                config = None
        change = replace(change, new=executed.new_content or "", config=config if isinstance(config, dict) else None)
    await sandbox.write_file(approved)
    ok_runs, errors = [], []
    work = sandbox.work  # the trust boundary: everything in it was written by untrusted code
    for s in range(seeds):
        run_name = f"run_{attempt}_{s}" if seeds > 1 else f"run_{attempt}"
        argv = run_argv(template, run_name, config_path=change.config_path, seed=wf.seed + s if seeded else None)
        cmd = Action(node="run_experiments", task=idea["Experiment"],
                     payload=ShellCommand(argv=argv, timeout_s=settings.sandbox.timeout_s))
        result = await execute_approved(ctx, sandbox, cmd, trajectory=trajectory)
        if result is None:
            errors.append(f"{run_name}: not run")
            continue
        info_rel = f"{run_name}/final_info.json"
        if not result.ok() or not work.is_file(info_rel):
            errors.append(f"{run_name}: {_failure(result)}")
            continue
        try:
            info = final_info_from(work, info_rel).model_dump()
        except ValueError as exc:
            errors.append(f"{run_name}: bad final_info.json: {exc}")
            continue
        record["runs"][run_name] = {"condition": condition, "seed": wf.seed + s if seeded else None,
                                    "config": change.config,
                                    "attempt": attempt, "final_info": info}
        ok_runs.append(run_name)
    return ok_runs, errors, entry, change


def plan_seeds(wf: Any, seeded: bool, first_s: float) -> tuple[int, str]:
    """Seeds per condition, and why fewer than ``workflow.seeds`` ("" when all fit).

    Every condition runs on the same seeds; ``workflow.seeds_budget_s`` caps the baseline's and one
    idea's seeded runs together, estimated from the first baseline run's wall time.
    """
    if not seeded:
        return 1, ("the template takes no --seed, so each condition ran once; seeds it runs itself count when it "
                   "reports them per seed (final_info_dict)")
    fit = int(wf.seeds_budget_s // max(2 * first_s, 1e-6))
    n = max(1, min(wf.seeds, fit))
    if n == wf.seeds:
        return n, ""
    return n, (f"{n} seed(s) per condition instead of workflow.seeds={wf.seeds}: the first baseline run took "
               f"{first_s:.0f} s and workflow.seeds_budget_s is {wf.seeds_budget_s:.0f} s")


async def _check_integrity(ctx: RunContext, template: Any, change: Change, condition: str, seeds: list[Any],
                           exp_dir: Path, harness: Path, record: dict[str, Any]) -> None:
    """Flag a change to how results are measured; for evaluation knobs, measure a baseline the same way."""
    prefix = "" if condition == "idea" else f"{condition}: "
    if change.config is None:
        flags = code_flags(change.old, change.diff)
    else:
        changed = evaluation_knobs(template, change.config)
        flags = knob_flags(template, changed)
        if changed:
            store = f"baseline_same_eval_{condition}"
            runs = await run_baseline(ctx, template, exp_dir, harness, seeds=seeds, config=changed, store_name=store)
            same = f"baseline (same evaluation as {condition})"
            for name, run in runs.items():
                record["runs"][f"{store}/{name}"] = {"condition": same, "seed": run["seed"], "config": changed,
                                                     "final_info": run["final_info"]}
            flags.append(f"a baseline was measured with the same evaluation settings ({same}) and the idea is "
                         "compared with it")
    record["integrity"].extend(prefix + f for f in flags)


async def run_experiments(ctx: RunContext, idea: dict[str, Any], template_name: str) -> dict[str, Any]:
    """Run the baseline and the idea's change over seeds; return the experiment record.

    Raises:
        HeldForHuman: an action awaits a human decision (the run pauses and resumes later).
        RunTerminated: a reviewer terminated the run.
    """
    from proctor.agents.template import load_template
    from proctor.sandboxes import WorkDir, open_sandbox

    settings, wf = ctx.settings, ctx.settings.workflow
    template = load_template(template_name)
    mode = experiment_mode(settings, template)
    propose = ctx.propose or PROPOSERS[mode]
    seeded = any(k.name == "seed" for k in template.knobs)
    rel = Path("experiments") / idea["Name"]
    exp_dir = ctx.run.artifact_path(str(rel))
    work = exp_dir / "work"
    record: dict[str, Any] = {"idea": idea["Name"], "template": template.name, "mode": mode, "runs": {},
                              "attempts": [], "integrity": []}
    with pristine_copy(template, settings) as harness:
        digest = tree_digest(harness)
        probe = await run_baseline(ctx, template, exp_dir, harness, seeds=[wf.seed if seeded else None])
        seeds, record["seeds_note"] = plan_seeds(wf, seeded, probe["run_0"].get("seconds", 0.0))
        record["seeds"] = seeds
        seed_list = [wf.seed + s if seeded else None for s in range(seeds)]
        baseline_runs = await run_baseline(ctx, template, exp_dir, harness, seeds=seed_list)
        for name, run in baseline_runs.items():
            record["runs"][name] = {"condition": "baseline", "seed": run["seed"], "final_info": run["final_info"]}
        baseline = baseline_runs["run_0"]["final_info"]
        # A resume never trusts what an earlier attempt's code left: the agent starts on a fresh copy.
        fresh_workdir(template, work)
        async with await open_sandbox(settings.sandbox, workdir=work, harness_dir=harness) as sandbox:
            trajectory = Trajectory()  # this idea's experiment node, as its monitors see it
            attempt = 0  # numbers every attempt of every planned run, so run directories stay unique
            history: list[str] = []
            changes: list[tuple[str, str]] = []
            for step in range(1, wf.runs_per_idea + 1):
                condition = "idea" if wf.runs_per_idea == 1 else f"idea_{step}"
                last_error = ""
                for _ in range(wf.max_experiment_attempts):
                    attempt += 1
                    change = await propose(ctx, template, idea, _summary(baseline), last_error, attempt, history)
                    if isinstance(change, str):
                        last_error = change
                        record["attempts"].append({"attempt": attempt, "step": step, "error": last_error})
                        continue
                    policies = _policies(ctx, propose, template, idea, _summary(baseline), attempt, history, change)
                    ok_runs, errors, entry, change = await _run_change(
                        ctx, sandbox, template, idea, change, attempt, seeds, seeded, condition, record, rel,
                        trajectory, policies)
                    record["attempts"].append({**entry, "step": step, "ok_runs": ok_runs, "errors": errors})
                    if ok_runs:
                        await _check_integrity(ctx, template, change, condition, seed_list, exp_dir, harness, record)
                        changes.append((condition, change.shown))
                        first = record["runs"][ok_runs[0]]["final_info"]
                        history.append(f"{condition} ({change.rationale or 'no rationale'}): {_summary(first)}")
                        break
                    last_error = "; ".join(errors)[:800]
                    emit(ErrorEvent(where="run_experiments", message=last_error, recoverable=True))
            if changes:
                record["change"] = changes[0][1] if len(changes) == 1 else "\n".join(
                    f"# {cond}\n{text}" for cond, text in changes)
            # The plots run the pristine plot.py on a restored baseline and the agent's runs.
            restore_baseline(sandbox.work, exp_dir, sandbox.uid, sandbox.gid)
            plot_argv = ["python", "-I", f"{harness_path(sandbox)}/plot.py"]
            plot = await harness_exec(ctx, sandbox, plot_argv, "plots (pristine plot.py)")
            record["plot_ok"] = plot.ok()
            record["harness"] = {"plot_argv": plot_argv, "template_sha256": digest,
                                 "unchanged": tree_digest(harness) == digest}
    record["workdir"] = str(rel / "work")
    record["figures"] = [str(rel / "work" / name) for name in WorkDir(work).files("*.png")]
    record["status"] = "ok" if any(r["condition"] != "baseline" for r in record["runs"].values()) else "failed"
    ctx.run.write_artifact(str(rel / "experiment.json"), record)
    return record
