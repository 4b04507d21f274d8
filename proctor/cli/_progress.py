"""A live progress display for a run, fed by the run's events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from proctor.cli._common import console
from proctor.log import Event, ModelCallEvent, StageEvent, add_listener


@contextmanager
def run_progress() -> Iterator[None]:
    """Show one line per stage with its status, tokens and time while the block runs."""
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                        console=console, transient=False)
    tasks: dict[str, TaskID] = {}
    tokens = {"total": 0}

    def on_event(event: Event) -> None:
        if isinstance(event, StageEvent):
            if event.stage not in tasks:
                tasks[event.stage] = progress.add_task(event.stage, total=None)
            task = tasks[event.stage]
            if event.status == "started":
                progress.update(task, description=f"{event.stage}: running", completed=0, total=None)
            else:
                mark = {"finished": "[green]done", "failed": "[red]failed", "skipped": "[yellow]skipped"}
                progress.update(task, description=f"{event.stage}: {mark[event.status]}[/] "
                                f"({event.tokens or 0} tokens)", total=1, completed=1)
        elif isinstance(event, ModelCallEvent) and event.node in tasks:
            tokens["total"] += event.prompt_tokens + event.completion_tokens
            state = "model call" if event.ok else f"[yellow]model error ({event.error or ''})"[:80]
            progress.update(tasks[event.node], description=f"{event.node}: {state}, "
                            f"{tokens['total']} tokens so far")

    remove = add_listener(on_event)
    try:
        with progress:
            yield
    finally:
        remove()
