"""The runs pane: a live list of runs and the selected run's event timeline; pause and cancel."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from proctor.log import (
    ArtifactEvent,
    ErrorEvent,
    Event,
    ModelCallEvent,
    RunStatusEvent,
    StageEvent,
    utcnow,
)
from proctor.tui._modals import RationaleModal
from proctor.tui._run_control import (
    RequestKind,
    ResumeLauncher,
    cancel_run,
    request_path,
    start_resume,
    withdraw_request,
    write_request,
)
from proctor.tui._store import RunGone, RunSummary, Store, since

_BASE = {"event", "ts", "seq", "node"}
_REQUESTS: tuple[RequestKind, ...] = ("pause", "cancel")


def describe(event: Event) -> str:
    """One line for the timeline."""
    if isinstance(event, StageEvent):
        extra = "".join([f" {event.seconds:.1f}s" if event.seconds is not None else "",
                         f" ${event.cost_usd:.4f}" if event.cost_usd else "", f" {event.detail}" if event.detail else ""])
        return f"{event.stage} {event.status}{extra}"
    if isinstance(event, ModelCallEvent):
        tokens = event.prompt_tokens + event.completion_tokens
        state = "" if event.ok else f" FAILED {event.error or ''}"
        return f"{event.role} {event.model} {tokens} tok ${event.cost_usd:.4f}{state}"
    if isinstance(event, RunStatusEvent):
        return f"{event.status} {event.detail}".strip()
    if isinstance(event, ErrorEvent):
        return f"{event.where}: {event.message}" + ("" if event.recoverable else " (not recoverable)")
    if isinstance(event, ArtifactEvent):
        return f"{event.path} ({event.bytes} bytes)"
    data = event.model_dump(mode="json", exclude=_BASE)
    return " ".join(f"{k}={v}" for k, v in data.items() if v not in (None, "", [], {}))


class RunsPane(Vertical):
    """Every run with status, stage, progress, cost and held items; the highlighted run's events."""

    BINDINGS = [
        Binding("p", "pause", "Pause"),
        Binding("c", "cancel", "Cancel run"),
        Binding("u", "resume", "Resume"),
    ]
    DEFAULT_CSS = """
    RunsPane #runs { height: 2fr; }
    RunsPane #timeline-title { height: 1; background: $panel; color: $text; padding: 0 1; }
    RunsPane #timeline { height: 3fr; }
    RunsPane #run-status { height: 1; color: $text-accent; }
    """

    def __init__(self, store: Store, *, reviewer: str, launcher: ResumeLauncher, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store, self.reviewer, self.launcher = store, reviewer, launcher
        self.summaries: list[RunSummary] = []
        self._rows: list[tuple[str, ...]] | None = None
        self._timeline: tuple[Path, int] | None = None

    def compose(self) -> ComposeResult:
        """Runs table, timeline title, timeline table, status line."""
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        yield Static("timeline", id="timeline-title")
        yield DataTable(id="timeline", cursor_type="row")
        yield Static("", id="run-status")

    def on_mount(self) -> None:
        """Columns of both tables."""
        runs = self.query_one("#runs", DataTable)
        for col in ("id", "status", "stage", "done", "cost $", "held", "age", "direction"):
            runs.add_column(col, key=col)
        timeline = self.query_one("#timeline", DataTable)
        for col in ("#", "time", "event", "what"):
            timeline.add_column(col, key=col)

    def current(self) -> RunSummary | None:
        """The highlighted run, if any."""
        table = self.query_one("#runs", DataTable)
        if not self.summaries or not 0 <= table.cursor_row < len(self.summaries):
            return None
        return self.summaries[table.cursor_row]

    def refresh_data(self) -> None:
        """Re-read every run; keep the cursor on the same run; refresh its timeline if it grew."""
        previous = self.current()
        self.summaries = self.store.runs()
        now = utcnow()
        rows: list[tuple[str, ...]] = []
        for s in self.summaries:
            flags = "".join(f" [{k}]" for k in _REQUESTS if request_path(s.path, k).exists())
            h = s.header
            rows.append((s.short, s.status + flags, s.stage[:24], f"{s.stages_done}/{s.stages_started}",
                         f"{s.cost_usd:.3f}", str(s.held) if s.held else "",
                         since(h.updated, now) if h else "", (h.direction if h else s.error)[:60]))
        table = self.query_one("#runs", DataTable)
        if rows != self._rows:
            self._rows = rows
            table.clear()
            for s, row in zip(self.summaries, rows, strict=True):
                table.add_row(*row, key=s.name)
            names = [s.name for s in self.summaries]
            if previous is not None and previous.name in names:
                table.move_cursor(row=names.index(previous.name))
        self._show_timeline(force=False)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted run's timeline."""
        if event.data_table.id == "runs":
            self._show_timeline(force=False)

    def _show_timeline(self, *, force: bool) -> None:
        title, table = self.query_one("#timeline-title", Static), self.query_one("#timeline", DataTable)
        run = self.current()
        if run is None:
            self._timeline = None
            title.update("timeline: no runs yet (`proctor run` starts one)")
            table.clear()
            return
        try:
            size = run.path.joinpath("events.jsonl").stat().st_size
        except OSError:
            size = -1
        if not force and self._timeline == (run.path, size):
            return
        self._timeline = (run.path, size)
        try:
            events = self.store.timeline(run.path)
        except (RunGone, OSError) as exc:
            title.update(f"timeline of {run.name}: {exc}")
            table.clear()
            return
        detail = run.header.status_detail if run.header else run.error
        title.update(f"{run.name}: {run.status} {detail}"[:200])
        table.clear()
        for e in events:
            table.add_row(str(e.seq), e.ts.strftime("%H:%M:%S"), e.event, describe(e)[:160])
        if events:
            table.move_cursor(row=len(events) - 1)

    def set_status(self, text: str) -> None:
        """Show what the last action did."""
        self.query_one("#run-status", Static).update(text)

    def _run_or_warn(self) -> RunSummary | None:
        run = self.current()
        if run is None:
            self.app.notify("No run selected.", severity="warning")
        elif not (run.path / "run.json").exists():
            self.app.notify(f"Run {run.name} was deleted.", severity="error")
            self.refresh_data()
            return None
        return run

    def action_pause(self) -> None:
        """Request a pause (``control/pause``), or withdraw an existing request."""
        run = self._run_or_warn()
        if run is None:
            return
        if withdraw_request(run.path, "pause"):
            self.set_status(f"{run.short}: pause request withdrawn (removed control/pause)")
        else:
            try:
                write_request(run.path, "pause", by=self.reviewer, reason="paused from proctor tui")
            except FileNotFoundError as exc:
                self.set_status(str(exc))
                return
            self.set_status(f"{run.short}: pause requested (control/pause); the run stops after its current step")
        self.refresh_data()

    def action_cancel(self) -> None:
        """Cancel the run after asking why."""
        run = self._run_or_warn()
        if run is None:
            return

        def answered(rationale: str | None) -> None:
            if rationale is None:
                return
            try:
                self.set_status(f"{run.short}: " + cancel_run(run.path, by=f"{self.reviewer}: {rationale}"))
            except FileNotFoundError as exc:
                self.set_status(str(exc))
            self.refresh_data()

        self.app.push_screen(RationaleModal(f"Cancel run {run.name}?", warning="The run stops and is not resumed.",
                                            placeholder="why (required)"), answered)

    def action_resume(self) -> None:
        """Start ``proctor resume`` for a paused run with nothing held."""
        run = self._run_or_warn()
        if run is None:
            return
        if run.status != "paused" or run.held:
            self.set_status(f"{run.short} is {run.status} with {run.held} held item(s): nothing to resume")
            return
        try:
            self.set_status(f"{run.short}: " + start_resume(run.path, self.launcher, by=self.reviewer))
        except OSError as exc:
            self.set_status(f"{run.short}: resume failed to start ({exc})")
