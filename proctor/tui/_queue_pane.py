"""The audit queue pane: held actions across runs, their evidence, and the five decisions."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from proctor.control.audit import AuditDecisionKind, QueueError, QueueUnavailable
from proctor.control.core import Action, modify_action
from proctor.tui._evidence import action_content, editable_text, evidence_content
from proctor.tui._modals import EditActionModal, RationaleModal
from proctor.tui._run_control import ResumeLauncher, start_resume
from proctor.tui._store import HeldItem, RunGone, Store

_VERBS: dict[AuditDecisionKind, tuple[str, str]] = {
    "approve": ("Approve", "The action runs as proposed."),
    "modify": ("Approve the edited action", "The edited action runs instead of the proposal."),
    "reject": ("Reject", "The action does not run; the run goes on."),
    "terminate": ("Terminate the run", "The run halts and its artifacts are quarantined."),
    "escalate": ("Escalate", "A more senior reviewer decides; the item stays open."),
}


class QueuePane(Vertical):
    """Held items (most suspicious first) beside the selected item's evidence bundle."""

    BINDINGS = [
        Binding("a", "decide('approve')", "Approve"),
        Binding("m", "decide('modify')", "Modify"),
        Binding("r", "decide('reject')", "Reject"),
        Binding("t", "decide('terminate')", "Terminate"),
        Binding("e", "decide('escalate')", "Escalate"),
    ]
    DEFAULT_CSS = """
    QueuePane #budget { height: 1; color: $text-muted; }
    QueuePane #budget.-over { color: $text-error; }
    QueuePane #items { width: 36; height: 1fr; }
    QueuePane #evidence-scroll { width: 1fr; height: 1fr; border-left: vkey $primary; padding: 0 1; }
    QueuePane #action { border: round $primary; padding: 0 1; height: auto; }
    QueuePane #status { height: auto; max-height: 2; color: $text-accent; }
    """

    def __init__(self, store: Store, *, reviewer: str, launcher: ResumeLauncher, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store, self.reviewer, self.launcher = store, reviewer, launcher
        self.held: list[HeldItem] = []
        self._shown: tuple[str, str, int] | None = None
        self._rows: list[tuple[str, str, float]] | None = None
        self._watch: set[Path] = set()
        self._deciding: Path | None = None

    def compose(self) -> ComposeResult:
        """Budget line, item table, evidence, status line."""
        yield Static("", id="budget")
        with Horizontal():
            yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="evidence-scroll"):
                yield Static("", id="action")
                yield Static("Nothing is held. Held actions appear here, most suspicious first.", id="evidence")
        yield Static("", id="status")

    def on_mount(self) -> None:
        """Set up the table's columns."""
        table = self.query_one("#items", DataTable)
        for label, key in (("pct", "pct"), ("run", "run"), ("node", "node"), ("state", "state")):
            table.add_column(label, key=key)

    def current(self) -> HeldItem | None:
        """The highlighted held item, if any."""
        table = self.query_one("#items", DataTable)
        if not self.held or table.cursor_row < 0 or table.cursor_row >= len(self.held):
            return None
        return self.held[table.cursor_row]

    def refresh_data(self) -> None:
        """Re-read every run's queue and the budget; keep the cursor on the same item."""
        if self._watch:
            for run, outcome in self._resume_ready().items():
                self.set_status(f"{run.name}: {outcome}")
        previous = self.current()
        self.held = self.store.held()
        b = self.store.budget()
        budget = self.query_one("#budget", Static)
        left = max(b.allowed - b.used, 0.0)
        budget.update(f"{len(self.held)} held · audits used {b.used} of {b.allowed:g} allowed, {left:g} left "
                      f"({b.budget:.1%} of {b.seen} actions)" + ("  OVER BUDGET" if b.over else ""))
        budget.set_class(b.over, "-over")
        table = self.query_one("#items", DataTable)
        rows: list[tuple[str, str, float]] = [(h.key, h.item.status, h.item.percentile) for h in self.held]
        if rows == self._rows:
            self._show(self.current())
            return
        self._rows = rows
        table.clear()
        for h in self.held:
            state = "esc" if h.item.status == "escalated" else "held"
            run_id = h.run.name.rsplit("_", 1)[-1]
            table.add_row(f"{h.item.percentile:.2f}", run_id, h.item.node[:12], state, key=h.key)
        if previous is not None:
            keys = [h.key for h in self.held]
            if previous.key in keys:
                table.move_cursor(row=keys.index(previous.key))
        self._show(self.current())

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the evidence of the highlighted item."""
        self._show(self.current())

    def _show(self, held: HeldItem | None) -> None:
        action, evidence = self.query_one("#action", Static), self.query_one("#evidence", Static)
        if held is None:
            self._shown = None
            action.display = False
            evidence.update("Nothing is held. Held actions appear here, most suspicious first.")
            return
        marker = (held.key, held.item.status, len(held.item.decisions))
        if marker == self._shown:
            return  # unchanged: keep the scroll position
        self._shown = marker
        action.display = True
        action.border_title = "proposed action"
        action.update(action_content(held.item.evidence.action))
        evidence.update(evidence_content(held.item, held.run.name))

    def set_status(self, text: str) -> None:
        """Show the outcome of the last decision."""
        self.query_one("#status", Static).update(text)

    def action_decide(self, decision: AuditDecisionKind) -> None:
        """Start a decision on the highlighted item: edit (modify only), then the rationale."""
        held = self.current()
        if held is None:
            self.app.notify("Nothing is held.", severity="warning")
            return
        if decision == "modify":
            text, _ = editable_text(held.item.evidence.action)
            self._edit(held, text)
        else:
            self._ask(held, decision, None)

    def _edit(self, held: HeldItem, text: str) -> None:
        def edited(result: str | None) -> None:
            if result is None:
                return
            try:
                new = modify_action(held.item.evidence.action, result)
            except ValueError as exc:
                self.app.notify(f"Cannot use that edit: {exc}", severity="error")
                self._edit(held, result)  # reopen with the reviewer's text, nothing lost
                return
            self._ask(held, "modify", new)

        self.app.push_screen(EditActionModal(f"Modify {held.item.id} in run {held.run.name}", text), edited)

    def _ask(self, held: HeldItem, decision: AuditDecisionKind, modified: Action | None) -> None:
        title, effect = _VERBS[decision]

        def answered(rationale: str | None) -> None:
            if rationale is not None:
                self.record(held, decision, rationale, modified)

        self.app.push_screen(RationaleModal(f"{title}: {held.item.id} ({held.run.name})", warning=effect), answered)

    def record(self, held: HeldItem, decision: AuditDecisionKind, rationale: str,
               modified: Action | None = None) -> None:
        """Record the decision, then resume the run if it is paused with nothing else held."""
        try:
            self.store.decide(held.run, held.item.id, decision, reviewer=self.reviewer, rationale=rationale,
                              modified=modified)
        except QueueError as exc:
            self.app.notify(f"{exc}. The list was refreshed.", title="Not recorded", severity="error", timeout=10)
            self.set_status(f"not recorded: {exc}")
            self.refresh_data()
            return
        except (RunGone, QueueUnavailable) as exc:
            self.app.notify(str(exc), title="Not recorded", severity="error", timeout=10)
            self.set_status(f"not recorded: {exc}")
            self.refresh_data()
            return
        status = f"{decision}: {held.item.id} in run {held.run.name.rsplit('_', 1)[-1]}"
        if decision != "escalate":
            self._watch.add(held.run)
        self._deciding = held.run
        try:
            resumed = self._resume_ready()
        finally:
            self._deciding = None
        if held.run in resumed:
            status += f"; {resumed[held.run]}"
        elif held.run in self._watch:
            still = len(self.store.open_items(held.run))
            status += (f"; {still} more item(s) of this run held" if still
                       else "; the run resumes once it pauses")
        self.set_status(status)
        self.app.notify(status, title="Decision recorded")
        self.refresh_data()

    def _resume_ready(self) -> dict[Path, str]:
        """Resume watched runs that are paused with nothing undecided; forget finished ones.

        A run may still be ``running`` when its item is decided (the gate holds the action before
        the graph pauses), so a decided run is watched until it pauses, then resumed.
        """
        done: dict[Path, str] = {}
        for run in sorted(self._watch):
            status = self.store.run_status(run)
            if status not in ("created", "running", "paused"):
                self._watch.discard(run)
            elif self.store.should_resume(run):
                self._watch.discard(run)
                try:
                    done[run] = start_resume(run, self.launcher, by=self.reviewer)
                except OSError as exc:
                    done[run] = f"resume failed to start ({exc}); run `proctor resume {run.name}`"
                if run != self._deciding:
                    self.app.notify(f"{run.name}: {done[run]}", title="Run resumed")
        return done
