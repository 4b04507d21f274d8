"""Modal screens: the rationale prompt, the action editor, the help screen and the size guard."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Input, Label, Markdown, Static, TextArea

MIN_WIDTH, MIN_HEIGHT = 60, 16


class RationaleModal(ModalScreen[str | None]):
    """Asks why; dismisses with the rationale, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    RationaleModal { align: center middle; }
    RationaleModal > Vertical { width: 70; max-width: 95%; height: auto; padding: 1 2;
        border: thick $primary; background: $surface; }
    RationaleModal .title { text-style: bold; margin-bottom: 1; }
    RationaleModal .warn { color: $text-error; }
    RationaleModal #error { color: $text-error; height: auto; }
    RationaleModal Horizontal { height: auto; margin-top: 1; }
    RationaleModal Button { margin-right: 2; }
    """

    def __init__(self, title: str, *, warning: str = "", placeholder: str = "rationale (required)") -> None:
        super().__init__()
        self.title_text, self.warning, self.placeholder = title, warning, placeholder

    def compose(self) -> ComposeResult:
        """The prompt, an input and OK / Cancel."""
        with Vertical():
            yield Label(self.title_text, classes="title", markup=False)
            if self.warning:
                yield Label(self.warning, classes="warn", markup=False)
            yield Input(placeholder=self.placeholder, id="rationale")
            yield Static("", id="error")
            with Horizontal():
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter confirms."""
        self._confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """OK confirms; Cancel dismisses with None."""
        if event.button.id == "ok":
            self._confirm()
        else:
            self.dismiss(None)

    def _confirm(self) -> None:
        text = self.query_one("#rationale", Input).value.strip()
        if not text:
            self.query_one("#error", Static).update("A rationale is required (it goes into the audit log).")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        """Dismiss without a rationale."""
        self.dismiss(None)


class EditActionModal(ModalScreen[str | None]):
    """Edits an action's diff or command in place; dismisses with the edited text or None."""

    BINDINGS = [Binding("ctrl+s", "save", "Use edit", priority=True), Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    EditActionModal { align: center middle; }
    EditActionModal > Vertical { width: 95%; height: 90%; padding: 0 1; border: thick $warning;
        background: $surface; }
    EditActionModal .title { text-style: bold; }
    EditActionModal TextArea { height: 1fr; }
    EditActionModal #error { color: $text-error; height: auto; }
    EditActionModal Horizontal { height: auto; }
    EditActionModal Button { margin-right: 2; }
    """

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text, self.text = title, text

    def compose(self) -> ComposeResult:
        """A title, the editor, and the buttons."""
        with Vertical():
            yield Label(self.title_text, classes="title", markup=False)
            yield Label("ctrl+s uses the edited action, escape cancels")
            yield TextArea(self.text, id="editor", show_line_numbers=True, soft_wrap=False)
            yield Static("", id="error")
            with Horizontal():
                yield Button("Use edit", variant="warning", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        """Focus the editor."""
        self.query_one(TextArea).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Use edit or cancel."""
        if event.button.id == "ok":
            self.action_save()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        """Dismiss with the edited text (refusing an unchanged or empty one)."""
        text = self.query_one(TextArea).text
        if not text.strip():
            self.query_one("#error", Static).update("The action is empty.")
        elif text == self.text:
            self.query_one("#error", Static).update("Unchanged: edit the action, or use approve instead.")
        else:
            self.dismiss(text)

    def action_cancel(self) -> None:
        """Dismiss without an edit."""
        self.dismiss(None)


HELP = """\
# Proctor review console

Data is re-read from disk every refresh; a run in another process is the source of truth.

## Everywhere
| key | |
|---|---|
| `1` `2` `3` | audit queue, runs, papers |
| `tab` / `shift+tab` | next / previous panel |
| `ctrl+r` | refresh now |
| `?` | this help (escape closes) |
| `ctrl+p` | command palette (themes: light and dark) |
| `q` | quit |

## Audit queue (most suspicious first)
| key | |
|---|---|
| `a` | approve the held action |
| `m` | modify: edit the diff or command, then approve the edit |
| `r` | reject (the action does not run; the run goes on) |
| `t` | terminate the run (artifacts quarantined) |
| `e` | escalate to a more senior reviewer (stays open) |

Every decision asks for a rationale. When the run is paused and nothing else of it is
undecided, `proctor resume RUN` starts in the background.

## Runs
| key | |
|---|---|
| `p` | request a pause (`control/pause`); again withdraws it |
| `c` | cancel: SIGTERM to the recorded process, and `control/cancel` |
| `u` | resume a paused run with nothing held |

## Papers
| key | |
|---|---|
| `w` | write the human review (NeurIPS form) |
| `y` / `n` | accept / reject for publication |
"""


class HelpScreen(ModalScreen[None]):
    """Key bindings and what each decision does."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: 90%; border: thick $primary;
        background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        """The help text."""
        with VerticalScroll():
            yield Markdown(HELP)

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)


class TooSmallScreen(Screen[None]):
    """Covers the UI while the terminal is too small; the screens below keep their state."""

    DEFAULT_CSS = """
    TooSmallScreen { align: center middle; }
    TooSmallScreen Static { width: 100%; height: auto; color: $text-warning; text-align: center; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.message = ""

    def compose(self) -> ComposeResult:
        """One message."""
        yield Static(self.message, id="message")

    def show(self, width: int, height: int) -> None:
        """Say how big the terminal is and how big it needs to be."""
        self.message = (f"Terminal too small ({width}x{height}).\nEnlarge it to at least {MIN_WIDTH}x{MIN_HEIGHT}; "
                        "nothing is lost meanwhile.\nctrl+q quits.")
        for static in self.query("#message").results(Static):
            static.update(self.message)
