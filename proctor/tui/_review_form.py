"""The human review screen: the NeurIPS form the AI reviewer fills in, for a person."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Label, Select, Static, TextArea
from textual.widgets.select import NoSelection

from proctor.tui._papers import LISTS, SCORES, PaperRef, review_form_model, write_human_review


def _decision(existing: dict[str, Any]) -> str | NoSelection:
    value = existing.get("Decision")
    return value if value in ("Accept", "Reject") else Select.NULL


class HumanReviewScreen(Screen[bool]):
    """Fill in and save ``human_review.json``; dismisses with whether it was saved."""

    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True), Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    HumanReviewScreen VerticalScroll { padding: 0 1; }
    HumanReviewScreen .heading { text-style: bold; margin-top: 1; }
    HumanReviewScreen TextArea { height: 5; }
    HumanReviewScreen .score { height: 3; }
    HumanReviewScreen .score Label { width: 16; padding-top: 1; }
    HumanReviewScreen .score Select { width: 24; }
    HumanReviewScreen #errors { color: $text-error; height: auto; }
    HumanReviewScreen #buttons { height: auto; margin-top: 1; }
    HumanReviewScreen Button { margin-right: 2; }
    """

    def __init__(self, paper: PaperRef, *, reviewer: str, existing: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.paper, self.reviewer, self.existing = paper, reviewer, existing or {}
        self.dirty, self._discard_armed = False, False

    def compose(self) -> ComposeResult:
        """Prose fields, one item per line for lists, a select per score, then decision and buttons."""
        ex = self.existing
        with VerticalScroll():
            yield Label(f"Human review of {self.paper.key} by {self.reviewer}", classes="heading")
            yield Label("Summary (what the paper does and claims)", classes="heading")
            yield TextArea(str(ex.get("Summary", "")), id="f-Summary")
            for name in LISTS:
                yield Label(f"{name} (one per line, at most 3)", classes="heading")
                yield TextArea("\n".join(ex.get(name, []) or []), id=f"f-{name}")
            yield Label("Scores", classes="heading")
            for name, (low, high) in SCORES.items():
                with Horizontal(classes="score"):
                    yield Label(f"{name} {low}-{high}")
                    options = [(str(v), v) for v in range(low, high + 1)]
                    value = ex.get(name) if ex.get(name) in range(low, high + 1) else Select.NULL
                    yield Select(options, value=value, id=f"f-{name}", prompt="choose")
            yield Checkbox("Ethical concerns (needs an ethics review)", bool(ex.get("Ethical Concerns", False)),
                           id="f-ethics")
            with Horizontal(classes="score"):
                yield Label("Decision")
                yield Select([("Accept", "Accept"), ("Reject", "Reject")], value=_decision(ex),
                             id="f-Decision", prompt="choose")
            yield Static("", id="errors")
            with Horizontal(id="buttons"):
                yield Button("Save (ctrl+s)", variant="primary", id="save")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        """Warm the review form's import off the UI thread (``proctor.review`` is slow to import)."""
        self._warm()

    @work(thread=True, exclusive=True)
    def _warm(self) -> None:
        review_form_model()

    def on_text_area_changed(self) -> None:
        """Remember that there is something to lose."""
        self.dirty = True

    def on_select_changed(self) -> None:
        """Remember that there is something to lose."""
        self.dirty = True

    def form(self) -> dict[str, Any]:
        """The form as entered, keyed by headings (blank selects left out, so validation names them)."""
        data: dict[str, Any] = {"Summary": self.query_one("#f-Summary", TextArea).text.strip()}
        for name in LISTS:
            text = self.query_one(f"#f-{name}", TextArea).text
            data[name] = [line.strip() for line in text.splitlines() if line.strip()]
        for name in [*SCORES, "Decision"]:
            value = self.query_one(f"#f-{name}", Select).value
            if value is not Select.NULL:
                data[name] = value
        data["Ethical Concerns"] = self.query_one("#f-ethics", Checkbox).value
        return data

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Save or cancel."""
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        """Validate with the review form and write it; on errors keep everything and say what is wrong."""
        errors = self.query_one("#errors", Static)
        try:
            write_human_review(self.paper, self.form(), reviewer=self.reviewer)
        except ValidationError as exc:
            lines = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
            errors.update("Not saved:\n" + "\n".join(lines))
            return
        except OSError as exc:
            errors.update(f"Not saved: {exc}. The form stays open; nothing you entered is lost.")
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        """Leave without saving (asking once when something was entered)."""
        if self.dirty and not self._discard_armed:
            self._discard_armed = True
            self.query_one("#errors", Static).update("Unsaved review: escape again discards it, ctrl+s saves.")
            return
        self.dismiss(False)
