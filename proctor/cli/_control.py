"""``proctor control score|calibrate|eval`` and ``proctor audit list|show|decide|verify``."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Column, Table

control_group = click.Group("control", help="Monitors, protocols, calibration and evaluation.")
audit_group = click.Group("audit", help="The human audit queue and the tamper-evident audit log.")
console = Console()

_set_option = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                           help="Override a setting, e.g. control.monitor='{\"type\":\"static\"}'.")


def _settings(overrides: tuple[str, ...]) -> Any:
    from proctor.settings import SettingsError, load_settings

    try:
        return load_settings(overrides=overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


def _action(content: str, kind: str, task: str, node: str, path: str | None) -> Any:
    from proctor.control import Action, AgentMessage, FileEdit, ShellCommand

    if kind == "diff":
        found = re.search(r"^\+\+\+ (?:b/)?(\S+)", content, re.M)
        payload: Any = FileEdit(path=path or (found.group(1) if found else "unknown.py"), diff=content)
    elif kind == "command":
        payload = ShellCommand(argv=["bash", "-c", content.strip()])
    else:
        payload = AgentMessage(sender="agent", recipient="agent", text=content)
    return Action(node=node, task=task, payload=payload)


@control_group.command("score")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--kind", type=click.Choice(["diff", "command", "text"]), required=True)
@click.option("--task", default="", help="The node's task, as the agent was given it.")
@click.option("--node", default="cli", help="Node type (selects thresholds and protocol).")
@click.option("--path", default=None, help="File path for a diff without headers.")
@_set_option
def score_command(file: str, kind: str, task: str, node: str, path: str | None, overrides: tuple[str, ...]) -> None:
    """Score one action with the configured monitors and print JSON."""
    from proctor.control import ThresholdsError, build_monitor, build_view, load_thresholds, monitor_digest

    settings = _settings(overrides)
    raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # an action is text; a binary file gets a clear error, not a traceback
        raise click.ClickException(f"{'standard input' if file == '-' else file} is not UTF-8 text "
                                   f"(byte {exc.start}: {raw[exc.start:exc.start + 1]!r})") from exc
    action = _action(content, kind, task, node, path)
    escalation = None  # a cascade escalates at the calibrated thresholds, as in the gate
    if settings.control.thresholds_path is not None:
        try:
            escalation = load_thresholds(settings.control.thresholds_path, monitor_digest(settings),
                                         settings.control.escalate).escalation_rules()
        except ThresholdsError as exc:
            raise click.ClickException(str(exc)) from exc
    monitor = build_monitor(settings.control.monitor, settings, escalation)
    verdict = asyncio.run(monitor(action, build_view(action)))
    monitors = {v.monitor: {"score": v.score, "reasons": v.reasons, "parsed": v.parsed} for v in verdict.flat()}
    click.echo(json.dumps({"score": verdict.score, "monitors": monitors}, indent=2))


@control_group.command("calibrate")
@click.argument("scores_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--budget", type=float, default=None, help="Audit budget (default: control.audit_budget).")
@click.option("--escalation-budget", type=float, default=None,
              help="For a cascade monitor: the share of honest actions its first layer sends to the second "
                   "(default: control.escalation_budget).")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Thresholds JSON to write (default: control.thresholds_path, else ./thresholds.json).")
@_set_option
def calibrate_command(scores_file: str, budget: float | None, escalation_budget: float | None, out: str | None,
                      overrides: tuple[str, ...]) -> None:
    """Set per-node audit thresholds from honest monitor scores (JSONL or events.jsonl).

    With a cascade monitor, also each node's first-layer escalation threshold, from the honest scores
    of both layers (run the honest runs with control.escalate=all so every action has both).
    """
    from proctor.control import (
        ThresholdsError,
        calibrate,
        calibrate_cascade,
        load_layer_scores,
        load_scores,
        monitor_digest,
        save_thresholds,
    )

    settings = _settings(overrides)
    digest = monitor_digest(settings)
    spec = settings.control.monitor
    audit_budget = settings.control.audit_budget if budget is None else budget
    try:
        if spec.get("type") == "cascade":
            thresholds = calibrate_cascade(
                load_layer_scores(Path(scores_file), digest), audit_budget,
                settings.control.escalation_budget if escalation_budget is None else escalation_budget, digest,
                how=str(spec.get("how", "max")), escalate=settings.control.escalate)
        else:
            thresholds = calibrate(load_scores(Path(scores_file), digest), audit_budget, digest)
    except ThresholdsError as exc:
        raise click.ClickException(str(exc)) from exc
    target = Path(out or settings.control.thresholds_path or "thresholds.json")
    save_thresholds(thresholds, target)
    table = Table("node type", "n", "threshold", "tie audit prob", "audit rate", "escalation threshold",
                  "escalation rate")
    for node, t in sorted(thresholds.nodes.items()):
        esc = t.escalation
        table.add_row(node, str(t.n), f"{t.threshold:.4f}", f"{t.tie_prob:.3f}", f"{t.audit_rate:.4f}",
                      f"{esc.threshold:.4f} (ties {esc.tie_prob:.3f})" if esc else "-", f"{esc.rate:.4f}" if esc else "-")
    console.print(table)
    console.print(f"wrote {target} (monitor config {digest}); set control.thresholds_path to use it")


def _eval_spec(text: str) -> tuple[str, dict[str, Any]]:
    """``(name, spec)`` for one ``--monitor``: a type, or a JSON spec named by ``name`` or its type and model file."""
    if not text.lstrip().startswith("{"):
        return text, {"type": text}
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--monitor {text[:80]!r}: not JSON ({exc})") from exc
    if not isinstance(spec, dict) or "type" not in spec:
        raise ValueError(f"--monitor {text[:80]!r}: a JSON spec needs a \"type\"")
    name = str(spec.pop("name", "") or spec["type"] + (f":{Path(str(spec['model_path'])).name}"
                                                        if spec.get("model_path") else ""))
    return name, spec


@control_group.command("eval")
@click.option("--out", "out", type=click.Path(file_okay=False), default="control-eval", show_default=True)
@click.option("--llm", is_flag=True, help="Also evaluate the LLM monitor (configured trusted model).")
@click.option("--data", type=click.Path(exists=True), default=None,
              help="Labelled data: a JSONL of actions, a folder of them, a folder of .patch files with labels, or "
                   "ControlArena-style trajectories (default: the packaged dataset).")
@click.option("--task", default="", help="The task of patches that have no <name>.task.txt beside them.")
@click.option("--monitor", "monitors", multiple=True, metavar="TYPE|SPEC",
              help="Evaluate only these monitors: a registered type, or a JSON spec such as "
                   "'{\"type\":\"learned\",\"model_path\":\"m.json\"}' (optional \"name\"); default: static, learned "
                   "and each detector.")
@click.option("--budget", type=float, default=None, help="Audit budget (default: control.audit_budget).")
@click.option("--bootstrap", type=int, default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--no-protocols", is_flag=True, help="Score the monitors only; skip the protocol replay.")
@_set_option
def eval_command(out: str, llm: bool, data: str | None, task: str, monitors: tuple[str, ...], budget: float | None,
                 bootstrap: int, no_protocols: bool, overrides: tuple[str, ...]) -> None:
    """Evaluate monitors (AUROC, TPR at 1%/2% FPR, bootstrap intervals, per source) and protocols; write a report."""
    from proctor.control.eval import run_eval

    settings = _settings(overrides)
    try:
        specs = dict(_eval_spec(m) for m in monitors) or None
        report = asyncio.run(run_eval(settings, Path(out), llm=llm, monitors=specs, data_dir=Path(data) if data else None,
                                      budget=budget, n_boot=bootstrap, task=task, protocols=not no_protocols))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    table = Table("monitor", "source", "honest", "attack", "AUROC [95% CI]", "TPR@1%FPR", "TPR@2%FPR [95% CI]")
    for m in report["monitors"]:
        rows = [("all", {"n_honest": report["n_honest"], "n_attack": report["n_attack"], "auroc": m["auroc"],
                         "auroc_ci": m["auroc_ci"], "tpr_at_1pct_fpr": m["tpr_at_1pct_fpr"],
                         "tpr_at_2pct_fpr": m["tpr_at_2pct_fpr"], "tpr_at_2pct_ci": None})]
        if len(m["by_source"]) > 1:
            rows += sorted(m["by_source"].items())
        for source, r in rows:
            if "auroc" not in r:
                table.add_row(m["monitor"], source, str(r["n_honest"]), str(r["n_attack"]), "-", "-", "-")
                continue
            ci = r.get("tpr_at_2pct_ci")
            table.add_row(m["monitor"], source, str(r["n_honest"]), str(r["n_attack"]),
                          f"{r['auroc']:.3f} [{r['auroc_ci'][0]:.3f}, {r['auroc_ci'][1]:.3f}]",
                          f"{r['tpr_at_1pct_fpr']:.2f}",
                          f"{r['tpr_at_2pct_fpr']:.2f}" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""))
    console.print(table)
    console.print(f"report: {report['paths']['markdown']}")


@control_group.command("train")
@click.option("--out", "out", type=click.Path(dir_okay=False), default="learned.json", show_default=True,
              help="Model file to write (use it with control.monitor='{\"type\":\"learned\",\"model_path\":...}').")
@click.option("--data", type=click.Path(exists=True), multiple=True,
              help="Extra labelled data to train on (any shape `control eval --data` reads); repeatable.")
@click.option("--holdout", multiple=True, default=("infra",), show_default=True,
              help="Sources never trained on, reported as transfer.")
@click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False), default=None,
              help="Regenerate the generated corpus sources into this folder first.")
@click.option("--handoffs-from", type=click.Path(exists=True, file_okay=False), default=None,
              help="Shared data folder (ICLR 2022 papers, abstracts): add hand-off messages built from it.")
@click.option("--no-lexical", is_flag=True, help="Leave the lexical line model out (its feature stays 0).")
@_set_option
def train_command(out: str, data: tuple[str, ...], holdout: tuple[str, ...], corpus_dir: str | None,
                  handoffs_from: str | None, no_lexical: bool, overrides: tuple[str, ...]) -> None:
    """Train the learned monitor on the packaged corpus (pipeline, planted, AgentDojo; infra held out).

    `make model` retrains the shipped model with the data it was trained on (docs/control.md).
    """
    from proctor.control.eval import corpus, handoff_dataset, load_dataset, train, write_corpus

    settings = _settings(overrides)
    if corpus_dir:
        console.print(f"corpus: {write_corpus(Path(corpus_dir))}")
    try:
        items = corpus() + [item for path in data for item in load_dataset(Path(path))]
        if handoffs_from:
            items += handoff_dataset(Path(handoffs_from))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    with console.status(f"featurising {len(items)} items and fitting"):
        model, report = train(items, settings.control.allowed_imports, holdout_sources=holdout,
                              lexical=not no_lexical)
    Path(out).write_text(json.dumps(model.to_json(), indent=1), encoding="utf-8")
    if "lexical" in report:
        lex = report["lexical"]
        console.print(f"lexical line model: {lex['tokens']} tokens from {lex['lines']} lines of {lex['items']} items")
    for split, r in report["splits"].items():
        console.print(f"{split}: {r['n_honest']} honest, {r['n_attack']} attack, AUROC {r['auroc']:.3f} "
                      f"[{r['auroc_ci'][0]:.3f}, {r['auroc_ci'][1]:.3f}], TPR@2%FPR {r['tpr_at_2pct_fpr']:.2f}")
    console.print(f"wrote {out}")


def _queue(db: str | None, run: str | None, overrides: tuple[str, ...]) -> tuple[Any, Path]:
    from proctor.control import AuditQueue
    from proctor.control.audit import control_paths

    settings = _settings(overrides)
    queue_path, log_path = control_paths(settings.control.queue_path, settings.control.audit_log_path,
                                         Path(run) if run else None)
    if db:
        queue_path = Path(db)
    return AuditQueue(queue_path, budget=settings.control.audit_budget,
                      busy_timeout_ms=settings.control.busy_timeout_ms), log_path


def _all_queues(db: str | None, run: str | None, overrides: tuple[str, ...]) -> list[tuple[str, Any, Path]]:
    """``(label, queue, audit log)`` for ``--db``/``--run`` if given, else every queue there is.

    Without flags: the default queue (user state directory or ``control.queue_path``) and the
    queue of every run under ``runs_dir``, batch runs included, so any command a paused run
    prints works as printed.
    """
    from proctor.control import AuditQueue
    from proctor.control.audit import control_paths

    if db or run:
        queue, log = _queue(db, run, overrides)
        return [(run or str(db), queue, log)]
    settings = _settings(overrides)
    found: list[tuple[str, Path, Path]] = []
    qp, lp = control_paths(settings.control.queue_path, settings.control.audit_log_path, None)
    if qp.exists():
        found.append(("(default)", qp, lp))
    root = Path(settings.runs_dir)
    for candidate in sorted([*root.glob("*/control/audit.sqlite"), *root.glob("batches/*/runs/*/control/audit.sqlite")]):
        run_dir = candidate.parent.parent
        q, log = control_paths(None, None, run_dir)
        found.append((run_dir.name, q, log))
    return [(label, AuditQueue(q, budget=settings.control.audit_budget,
                               busy_timeout_ms=settings.control.busy_timeout_ms), log) for label, q, log in found]


def _find_item(item_id: str, db: str | None, run: str | None, overrides: tuple[str, ...]) -> tuple[Any, Path, Any]:
    """``(queue, audit log, item)`` holding ``item_id``, searched in every queue."""
    from proctor.control import QueueError

    queues = _all_queues(db, run, overrides)
    for _label, queue, log in queues:
        try:
            return queue, log, queue.get(item_id)
        except QueueError:
            continue
    raise click.ClickException(f"no audit item {item_id} in any of {len(queues)} queue(s) "
                               "(the default one and every run under runs_dir); --run RUN_DIR names one")


_db_options = [click.option("--db", default=None, help="Queue database (default: from settings)."),
               click.option("--run", "run", default=None, help="Run directory whose queue to use."), _set_option]


def _with_db(f: Any) -> Any:
    for option in reversed(_db_options):
        f = option(f)
    return f


def _guard(call: Any) -> Any:
    from proctor.control import QueueError, QueueUnavailable

    try:
        return call()
    except (QueueError, QueueUnavailable) as exc:
        raise click.ClickException(str(exc)) from exc


@audit_group.command("list")
@click.option("--status", type=click.Choice(["open", "all", "pending", "escalated", "decided", "void"]),
              default="open")
@_with_db
def list_command(status: str, db: str | None, run: str | None, overrides: tuple[str, ...]) -> None:
    """Held actions of every run (or of ``--run``/``--db``), most suspicious first, and the budget counter."""
    rows, used, allowed, seen = [], 0, 0.0, 0
    for label, queue, _log in _all_queues(db, run, overrides):
        rows += [(label, it) for it in _guard(lambda q=queue: q.list(status))]
        b = _guard(queue.budget)
        used, allowed, seen = used + b.used, allowed + b.allowed, seen + b.seen
    rows.sort(key=lambda r: (-r[1].percentile, -r[1].score))
    table = Table("run", "node", "percentile", "score", "protocol", "status", "reason")
    table.columns.insert(0, Column("id", no_wrap=True, min_width=max([len(it.id) for _, it in rows], default=2)))
    for label, it in rows:
        table.add_row(it.id, label[-40:], it.node, f"{it.percentile:.3f}", f"{it.score:.3f}", it.protocol, it.status,
                      it.reason[:60])
    console.print(table)
    console.print(f"audits used {used} of {allowed:.2f} allowed ({seen} actions)"
                  + (" [red]over budget[/red]" if used > allowed else ""))


def _show_text(item: Any) -> str:
    """An item's evidence as a reviewer reads it: the action, beside it the agent's reasoning, the monitors."""
    from proctor.control import render_action

    ev = item.evidence
    out = [f"audit item {item.id}  node {item.node}  protocol {item.protocol}  status {item.status}",
           f"score {item.score:.3f}  percentile {item.percentile:.3f}  action digest {item.action_digest[:16]}",
           f"reason: {item.reason or '-'}"]
    if ev.critical:
        out.append(f"critical: {', '.join(ev.critical)}")
    out += ["", "== task ==", ev.task or "-", "", f"== action ({ev.action.kind}, origin {ev.action.origin}) ==",
            render_action(ev.action), "", "== agent reasoning ==",
            ev.action.reasoning or "(the agent gave no reasoning)", "", "== monitors =="]
    for top in ev.verdicts:
        for v in top.flat():
            out.append(f"{v.score:.2f} {v.monitor}" + ("" if v.parsed else " (unparsed: failed closed)"))
            out += [f"  - {r}" for r in v.reasons]
    if not ev.verdicts:
        out.append("(none)")
    if ev.resamples:
        out += ["", "== resamples =="] + [f"- {render_action(a)[:300]}" for a in ev.resamples]
    if ev.trajectory:
        out += ["", "== trajectory so far =="] + [f"- {line}" for line in ev.trajectory]
    for d in item.decisions:
        out.append(f"decision: {d.decision} by {d.reviewer} at {d.at.isoformat()}: {d.rationale}")
    return "\n".join(out)


@audit_group.command("show")
@click.argument("item_id")
@click.option("--json", "as_json", is_flag=True, help="The whole item as JSON.")
@_with_db
def show_command(item_id: str, as_json: bool, db: str | None, run: str | None, overrides: tuple[str, ...]) -> None:
    """One item's evidence: the action, the agent's reasoning beside it, every monitor's score and reasons
    (found in whichever run's queue holds it; ``--json`` for the whole bundle)."""
    _queue_, _log, item = _find_item(item_id, db, run, overrides)
    click.echo(item.model_dump_json(indent=2) if as_json else _show_text(item))


@audit_group.command("decide")
@click.argument("item_id")
@click.argument("decision", type=click.Choice(["approve", "modify", "reject", "terminate", "escalate"]))
@click.option("--reviewer", required=True)
@click.option("--rationale", required=True)
@click.option("--modified-action", type=click.Path(exists=True, dir_okay=False), default=None,
              help="JSON of the modified Action (for 'modify').")
@click.option("--modified", "modified_file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="For 'modify': a file with the new text: a file edit's whole new file, a command line, "
                   "a query or a message (see `audit show`); the diff is recomputed.")
@_with_db
def decide_command(item_id: str, decision: str, reviewer: str, rationale: str, modified_action: str | None,
                   modified_file: str | None, db: str | None, run: str | None, overrides: tuple[str, ...]) -> None:
    """Record a reviewer's decision on a held action (of any run; the resumed run executes a modification as given)."""
    from proctor.control import Action, AuditLog, AuditLogError, ModifyError, modify_action

    queue, log_path, held = _find_item(item_id, db, run, overrides)
    modified = Action.model_validate_json(Path(modified_action).read_text()) if modified_action else None
    if modified_file is not None:
        try:
            modified = modify_action(held.evidence.action, Path(modified_file).read_text(encoding="utf-8"))
        except ModifyError as exc:
            raise click.ClickException(str(exc)) from exc
    if decision == "modify" and modified is None:
        raise click.ClickException("'modify' needs --modified FILE (the new text) or --modified-action FILE")
    item = _guard(lambda: queue.decide(item_id, decision, reviewer=reviewer, rationale=rationale,  # type: ignore[arg-type]
                                       modified=modified))
    try:
        AuditLog(log_path).append("human_decision", {
            "item_id": item_id, "decision": decision, "reviewer": reviewer, "rationale": rationale,
            "action_digest": item.action_digest, "via": "cli",
            "modified_digest": modified.digest() if modified is not None else None})
    except AuditLogError as exc:  # the queue holds the decision; the gate logs it again on resume
        console.print(f"[yellow]decision recorded in the queue, but not in the audit log[/yellow]: {exc}")
    console.print(f"{item_id}: {decision} by {reviewer} ({item.status}); `proctor resume` continues the run")


_VERIFY_EXIT = {"intact": 0, "tampered": 1, "truncated": 1, "missing": 1, "key_missing": 3, "key_mismatch": 3,
                "unkeyed": 4}
_VERIFY_SAYS = {"tampered": "[red]is NOT intact (tampered)[/red]", "truncated": "[red]is NOT intact (truncated)[/red]",
                "missing": "[red]is missing[/red]", "key_missing": "[red]cannot be verified (key missing)[/red]",
                "key_mismatch": "[red]cannot be verified (different key)[/red]",
                "unkeyed": "[yellow]is unkeyed: cannot prove integrity[/yellow]"}


@audit_group.command("verify")
@click.argument("path", required=False, type=click.Path(dir_okay=False))
@_with_db
def verify_command(path: str | None, db: str | None, run: str | None, overrides: tuple[str, ...]) -> None:
    """Check the keyed chain and anchored head of the audit log.

    Exit 0: intact. 1: tampered (names the first bad record), truncated, or missing. 3: the key
    is missing or differs from the one the log was written with (both key ids are named). 4: an
    unkeyed log of the earlier format, whose integrity cannot be proven.
    """
    from rich.markup import escape

    from proctor.control.audit import AuditLogError, verify_log

    _, log_path = _queue(db, run, overrides)
    where = escape(str(path or log_path))
    try:
        result = verify_log(Path(path) if path else log_path)
    except AuditLogError as exc:
        console.print(f"[red]audit log {where} cannot be verified[/red]: {escape(str(exc))}")
        sys.exit(3)
    if result.ok:
        console.print(f"audit log {where} intact: {result.records} records, key {result.key_id or '-'}")
        if result.reason:
            console.print(f"[yellow]note[/yellow]: {escape(result.reason)}")
        return
    bad = f"first bad record {result.first_bad}: " if result.status == "tampered" and result.first_bad is not None else ""
    console.print(f"audit log {where} {_VERIFY_SAYS[result.status]}: {bad}{escape(result.reason)}")
    sys.exit(_VERIFY_EXIT[result.status])
