"""The review console: one Textual app with the audit queue, runs and papers as tabs."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.widgets import Footer, Header, TabbedContent, TabPane

from proctor.tui._modals import (
    MIN_HEIGHT,
    MIN_WIDTH,
    EditActionModal,
    HelpScreen,
    RationaleModal,
    TooSmallScreen,
)
from proctor.tui._papers_pane import PapersPane
from proctor.tui._queue_pane import QueuePane
from proctor.tui._review_form import HumanReviewScreen
from proctor.tui._run_control import ResumeLauncher, detached_launcher
from proctor.tui._runs_pane import RunsPane
from proctor.tui._store import Store

_TABS = {"queue": "#items", "runs": "#runs", "papers": "#papers"}


class ProctorApp(App[None]):
    """Supervise runs from a terminal: decide held actions, watch runs, review papers.

    Args:
        store: reads and writes the runs directory and each run's audit queue.
        reviewer: name recorded with every decision and review.
        launcher: starts the resume of a run (default: ``proctor resume RUN``, detached).
        refresh_s: seconds between re-reads of the disk.
    """

    TITLE = "Proctor"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("1", "tab('queue')", "Queue", show=False),
        Binding("2", "tab('runs')", "Runs", show=False),
        Binding("3", "tab('papers')", "Papers", show=False),
        Binding("ctrl+r", "refresh", "Refresh", show=False),
    ]
    CSS = """
    TabbedContent, ContentSwitcher, TabPane { height: 1fr; }
    TabPane { padding: 0; }
    """

    def __init__(self, store: Store, *, reviewer: str, launcher: ResumeLauncher | None = None,
                 refresh_s: float = 2.0) -> None:
        super().__init__()
        self.store, self.reviewer = store, reviewer
        self.launcher = launcher or detached_launcher()
        self.refresh_s = refresh_s
        self.sub_title = f"{Path(store.root)} · reviewer {reviewer}"
        self._too_small: TooSmallScreen | None = None

    def compose(self) -> ComposeResult:
        """Header, the three tabs, footer."""
        yield Header()
        with TabbedContent(initial="tab-queue"):
            with TabPane("Audit queue", id="tab-queue"):
                yield QueuePane(self.store, reviewer=self.reviewer, launcher=self.launcher, id="queue-pane")
            with TabPane("Runs", id="tab-runs"):
                yield RunsPane(self.store, reviewer=self.reviewer, launcher=self.launcher, id="runs-pane")
            with TabPane("Papers", id="tab-papers"):
                yield PapersPane(self.store, reviewer=self.reviewer, id="papers-pane")
        yield Footer()

    def on_mount(self) -> None:
        """First read, the refresh timer, and the size check."""
        self.action_refresh()
        self.set_interval(self.refresh_s, self.action_refresh)
        self.query_one("#items").focus()
        self._check_size()

    def on_resize(self, event: events.Resize) -> None:
        """Cover the UI with a message while the terminal is too small."""
        self._check_size(event.size)

    def _check_size(self, size: Size | None = None) -> None:
        width, height = size or self.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        if small and self._too_small is None:
            self._too_small = TooSmallScreen()
            self.push_screen(self._too_small)
        if self._too_small is not None:
            if small:
                self._too_small.show(width, height)
            elif self.screen is self._too_small:
                self._too_small = None
                self.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keep quit and the tab keys from acting in a dialog or form (no half-typed input is lost)."""
        if action == "tab" and len(self.screen_stack) > 1:
            return False
        if action == "quit" and isinstance(self.screen, (RationaleModal, EditActionModal, HumanReviewScreen)):
            return False
        return True

    def action_refresh(self) -> None:
        """Re-read the disk for every tab (a pane that fails says why and keeps going)."""
        for pane in (self.query_one(QueuePane), self.query_one(RunsPane), self.query_one(PapersPane)):
            try:
                pane.refresh_data()
            except (OSError, ValueError, RuntimeError, LookupError) as exc:
                pane.set_status(f"could not read: {type(exc).__name__}: {exc}"[:200])
        held = len(self.query_one(QueuePane).held)
        self.query_one(TabbedContent).get_tab("tab-queue").label = f"Audit queue ({held})" if held else "Audit queue"

    def action_tab(self, tab: str) -> None:
        """Switch to a tab and focus its table."""
        self.query_one(TabbedContent).active = f"tab-{tab}"
        self.query_one(_TABS[tab]).focus()

    def action_help(self) -> None:
        """Show the keys."""
        self.push_screen(HelpScreen())
