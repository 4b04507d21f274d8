"""Starting and resuming research runs.

A run's directory holds its settings, its event log and its LangGraph checkpoints
(``checkpoints.sqlite``, WAL mode). Starting a run writes the header and invokes the graph;
resuming reads the recorded settings (plus any new ``--set`` overrides, e.g. a larger budget),
rebuilds the cost ledger from the events and continues from the last checkpoint. Every failure
leaves the directory intact with a status that says what happened and how to go on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from langgraph.types import Command

from proctor.agents._checkpointers import open_checkpointer_for, thread_id_for
from proctor.agents._context import RunContext
from proctor.agents._gating import RunTerminated
from proctor.agents._graph import build_graph
from proctor.agents._stage import RunStopRequested
from proctor.control import QueueError
from proctor.llm import BudgetExceeded, Ledger, ModelError, set_process_ledger, use_ledger
from proctor.log import ErrorEvent, RunDir, set_process_log, use_log
from proctor.settings import Settings, SettingsError, parse_overrides


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def settings_for_resume(run: RunDir, overrides: list[str] | tuple[str, ...] = ()) -> Settings:
    """The run's recorded settings with ``overrides`` applied on top.

    Raises:
        SettingsError: when an override is invalid.
    """
    from pydantic import ValidationError

    recorded = run.header().settings
    try:
        return Settings(**_merge(recorded, parse_overrides(overrides)))
    except ValidationError as exc:
        raise SettingsError(f"invalid --set for resume: {exc}") from exc


async def start_run(settings: Settings, direction: str, template: str | None = None) -> RunDir:
    """Create a run directory and execute the workflow in it."""
    if template:
        settings = settings.model_copy(update={"workflow": settings.workflow.model_copy(update={"template": template})})
    run = RunDir.create(
        Path(settings.runs_dir), direction, settings=settings.public_dump(),
        settings_digest=settings.digest(), template=settings.workflow.template,
    )
    await execute(run, settings, {"direction": direction, "template": settings.workflow.template,
                                  "ideas": [], "stages": [], "outcomes": []})
    return run


async def resume_run(run: RunDir, overrides: list[str] | tuple[str, ...] = (), *, approve: bool = False) -> RunDir:
    """Continue a run from its last checkpoint (answering human gates with ``approve``)."""
    settings = settings_for_resume(run, overrides)
    if overrides:
        header = run.header()
        header.settings, header.settings_digest = settings.public_dump(), settings.digest()
        run.write_header(header)
    await execute(run, settings, None, approve=approve)
    return run


def no_result(settings: Settings, outcomes: list[dict[str, Any]]) -> str | None:
    """Why a run that runs experiments produced no result at all (no idea's experiment ran), or ``None``."""
    if "experiments" not in settings.workflow.stages:
        return None
    if any(o.get("experiment") == "ok" for o in outcomes):
        return None
    if not outcomes:
        return "no idea produced a result: there were no ideas to run"
    why = "; ".join(f"{o.get('idea')}: {o.get('experiment_failure') or o.get('skipped') or o.get('experiment')}"
                    for o in outcomes)
    return f"no idea produced a result ({why})"[:1000]


def _pending(snapshot: Any) -> list[Any]:
    found = list(getattr(snapshot, "interrupts", ()) or ())
    for task in getattr(snapshot, "tasks", ()) or ():
        found.extend(getattr(task, "interrupts", ()) or ())
    unique = {getattr(i, "id", id(i)): i for i in found}
    return list(unique.values())


def _resume_values(ctx: RunContext, interrupts: list[Any], approve: bool) -> tuple[dict[str, Any], list[str]]:
    """Answers for pending interrupts, and what is still waiting for a human."""
    answers: dict[str, Any] = {}
    waiting: list[str] = []
    for intr in interrupts:
        value = intr.value if isinstance(intr.value, dict) else {}
        item_id = value.get("item_id")
        if item_id:
            try:
                decision = ctx.gate.queue.decision(item_id)
            except QueueError:  # gone from the queue: the node re-runs and the gate holds its action again
                answers[intr.id] = {"item_id": item_id, "missing": True}
                continue
            if decision is None:
                waiting.append(f"audit item {item_id} (`proctor audit show {item_id}`)")
            else:
                answers[intr.id] = {"item_id": item_id, "decision": decision.decision}
        elif approve:
            answers[intr.id] = {"approve": True}
        else:
            waiting.append(f"{value.get('kind', 'a human gate')} (`proctor resume RUN --approve`)")
    return answers, waiting


async def execute(run: RunDir, settings: Settings, initial: dict[str, Any] | None, *, approve: bool = False) -> None:
    """Invoke (``initial`` given) or resume (``None``) the graph, recording the outcome."""
    ledger = Ledger.from_events(run.events.iter(), settings.llm.budget)
    ctx = RunContext(settings=settings, run=run)
    (run.path / "control" / "pause").unlink(missing_ok=True)  # resuming answers a pause request
    header = run.header()
    header.extra["pid"] = os.getpid()
    run.write_header(header)
    set_process_log(run.events)
    set_process_ledger(ledger)
    try:
        with use_log(run.events), use_ledger(ledger):
            # Per-run WAL SQLite by default; a shared Postgres with batch.checkpointer_url.
            async with open_checkpointer_for(settings, run) as saver:
                graph = build_graph(ctx, saver)
                config: dict[str, Any] = {"configurable": {"thread_id": thread_id_for(settings, run)},
                                          "recursion_limit": 200}
                payload: Any = initial
                if initial is None:
                    before = await graph.aget_state(config, subgraphs=True)
                    pending = _pending(before)
                    if pending:
                        answers, waiting = _resume_values(ctx, pending, approve)
                        if waiting:
                            run.set_status("paused", "waiting for " + "; ".join(waiting))
                            return
                        payload = Command(resume=answers)
                run.set_status("running", "resumed" if initial is None else "started")
                # durability=sync: a checkpoint is on disk before the next node starts, so kill -9 loses
                # at most the node in flight.
                await graph.ainvoke(payload, config, durability="sync")
                snapshot = await graph.aget_state(config, subgraphs=True)
        pending = _pending(snapshot)
        if pending or snapshot.next:
            _, waiting = _resume_values(ctx, pending, False)
            run.set_status("paused", "waiting for " + ("; ".join(waiting) or ", ".join(snapshot.next)))
            return
        values = snapshot.values
        run.write_artifact("results.json", {"ideas": values.get("ideas", []), "stages": values.get("stages", []),
                                            "outcomes": values.get("outcomes", [])})
        errors = [f"{o.get('idea')}: {e}" for o in values.get("outcomes", []) for e in o.get("errors", [])]
        if errors:  # a stage raised: the run's work is incomplete, whatever else finished
            run.set_status("failed", f"{len(errors)} stage error(s), first: {errors[0][:300]}; see summary.json")
            return
        fruitless = no_result(settings, values.get("outcomes", []))
        if fruitless:
            run.set_status("failed", fruitless)
            return
        run.set_status("succeeded")
    except RunStopRequested as exc:
        if exc.kind == "pause":
            run.set_status("paused", "paused on request; `proctor resume RUN` continues it")
            return
        (run.path / "control" / "cancel").unlink(missing_ok=True)
        run.set_status("failed", "cancelled on request; `proctor resume RUN` continues it")
        return
    except RunTerminated as exc:
        from proctor.control import quarantine

        run.events.append(ErrorEvent(where="control", message=str(exc), recoverable=False))
        quarantine(run.path, str(exc))
        run.set_status("terminated", f"{exc}; artifacts quarantined")
        raise
    except BudgetExceeded as exc:
        run.events.append(ErrorEvent(where="budget", message=str(exc), recoverable=True))
        run.set_status("budget_exhausted", str(exc))
        raise
    except ModelError as exc:
        run.events.append(ErrorEvent(where="model", message=str(exc), recoverable=True))
        run.set_status("failed", str(exc))
        raise
    except (Exception, KeyboardInterrupt) as exc:
        run.events.append(ErrorEvent(where="run", message=f"{type(exc).__name__}: {exc}", recoverable=True))
        run.set_status("failed", f"{type(exc).__name__}: {exc}; `proctor resume` continues it")
        raise
    finally:
        set_process_log(None)
        set_process_ledger(None)
