"""The papers pane: a run's paper and its AI review side by side; human review and publication."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Markdown, Static

from proctor.tui._modals import RationaleModal
from proctor.tui._papers import (
    PaperRef,
    PublicationDecision,
    ai_review_markdown,
    human_review,
    list_papers,
    paper_markdown,
    publication,
    write_publication,
)
from proctor.tui._review_form import HumanReviewScreen
from proctor.tui._store import Store


class PapersPane(Vertical):
    """Every paper under the runs directory; the selected one beside its AI review."""

    BINDINGS = [
        Binding("w", "write_review", "Human review"),
        Binding("y", "publish('accept')", "Accept"),
        Binding("n", "publish('reject')", "Reject"),
    ]
    DEFAULT_CSS = """
    PapersPane #papers { height: 6; }
    PapersPane #paper-status { height: 1; color: $text-accent; }
    PapersPane Horizontal { height: 1fr; }
    PapersPane VerticalScroll { width: 1fr; border: round $primary; }
    """

    def __init__(self, store: Store, *, reviewer: str, id: str | None = None) -> None:
        super().__init__(id=id)
        self.store, self.reviewer = store, reviewer
        self.papers: list[PaperRef] = []
        self._shown: tuple[str, float] | None = None
        self._rows: list[tuple[str, ...]] | None = None

    def compose(self) -> ComposeResult:
        """Papers table, status line, paper and AI review."""
        yield DataTable(id="papers", cursor_type="row", zebra_stripes=True)
        yield Static("", id="paper-status")
        with Horizontal():
            with VerticalScroll(id="paper-scroll"):
                yield Markdown("", id="paper")
            with VerticalScroll(id="review-scroll"):
                yield Markdown("", id="ai-review")

    def on_mount(self) -> None:
        """Columns, and the borders' titles."""
        table = self.query_one("#papers", DataTable)
        for col in ("run", "idea", "AI", "human", "publication"):
            table.add_column(col, key=col)
        self.query_one("#paper-scroll").border_title = "paper"
        self.query_one("#review-scroll").border_title = "AI review"

    def current(self) -> PaperRef | None:
        """The highlighted paper, if any."""
        table = self.query_one("#papers", DataTable)
        if not self.papers or not 0 <= table.cursor_row < len(self.papers):
            return None
        return self.papers[table.cursor_row]

    def refresh_data(self) -> None:
        """Re-read the papers and their review and publication files."""
        previous = self.current()
        self.papers = list_papers(self.store.root)
        table = self.query_one("#papers", DataTable)
        rows: list[tuple[str, ...]] = [self._row(p) for p in self.papers]
        if rows != self._rows:
            self._rows = rows
            table.clear()
            for p, row in zip(self.papers, rows, strict=True):
                table.add_row(*row, key=p.key)
            keys = [p.key for p in self.papers]
            if previous is not None and previous.key in keys:
                table.move_cursor(row=keys.index(previous.key))
        self._show(force=False)

    @staticmethod
    def _row(p: PaperRef) -> tuple[str, str, str, str, str]:
        ai = "yes" if (p.dir / "review.json").exists() or (p.dir / "review.md").exists() else "-"
        human = human_review(p)
        pub = publication(p)
        return (p.run.name.rsplit("_", 1)[-1], p.idea[:30], ai,
                f"{human.get('Overall', '?')}/10 {human.get('Decision', '')}" if human else "-",
                str(pub.get("decision", "?")) if pub else "-")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """Show the highlighted paper."""
        self._show(force=False)

    def _show(self, *, force: bool) -> None:
        paper = self.current()
        status = self.query_one("#paper-status", Static)
        if paper is None:
            status.update("No papers yet: runs write them to papers/<idea>/paper.md")
            self._shown = None
            self.query_one("#paper", Markdown).update("")
            self.query_one("#ai-review", Markdown).update("")
            return
        try:
            mtime = max(f.stat().st_mtime for f in paper.dir.iterdir())
        except (OSError, ValueError):
            mtime = -1.0
        if not force and self._shown == (paper.key, mtime):
            return
        self._shown = (paper.key, mtime)
        pub = publication(paper)
        human = human_review(paper)
        status.update(f"{paper.run.name.rsplit('_', 1)[-1]}/{paper.idea} · human review: {'recorded' if human else 'none'} · publication: "
                      + (f"{pub.get('decision')} by {pub.get('reviewer')}" if pub else "undecided"))
        self.query_one("#paper", Markdown).update(paper_markdown(paper))
        self.query_one("#ai-review", Markdown).update(ai_review_markdown(paper))

    def action_write_review(self) -> None:
        """Open the human review form (pre-filled with an earlier human review, never the AI's)."""
        paper = self.current()
        if paper is None:
            self.app.notify("No paper selected.", severity="warning")
            return

        def done(saved: bool | None) -> None:
            if saved:
                self.app.notify(f"Human review saved to {paper.key}/human_review.json")
            self.refresh_data()

        self.app.push_screen(HumanReviewScreen(paper, reviewer=self.reviewer, existing=human_review(paper)), done)

    def action_publish(self, decision: PublicationDecision) -> None:
        """Accept or reject the paper for publication, with a rationale."""
        paper = self.current()
        if paper is None:
            self.app.notify("No paper selected.", severity="warning")
            return

        def answered(rationale: str | None) -> None:
            if rationale is None:
                return
            try:
                write_publication(paper, decision, reviewer=self.reviewer, rationale=rationale)
            except OSError as exc:
                self.app.notify(str(exc), title="Not recorded", severity="error", timeout=10)
            else:
                self.app.notify(f"{paper.key}: {decision}ed for publication")
            self.refresh_data()

        verb = "Accept" if decision == "accept" else "Reject"
        self.app.push_screen(RationaleModal(f"{verb} {paper.key} for publication"), answered)

    def set_status(self, text: str) -> None:
        """Show a message in the status line."""
        self.query_one("#paper-status", Static).update(text)
