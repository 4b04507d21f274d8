"""The app shell: help, a terminal too small, 80x24, tab keys, the light theme, the public surface."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, TabbedContent

import proctor.tui
from proctor.tui import ProctorApp, Store
from proctor.tui._modals import HelpScreen, RationaleModal, TooSmallScreen
from tests.tui.tui_helpers import Launcher, add_paper, hold, make_run


def _app(store: Store, launcher: Launcher) -> ProctorApp:
    return ProctorApp(store, reviewer="alice", launcher=launcher, refresh_s=60)


def test_exported_members_are_sorted_and_exist() -> None:
    assert proctor.tui.__all__ == sorted(proctor.tui.__all__)
    assert all(hasattr(proctor.tui, name) for name in proctor.tui.__all__)


@pytest.mark.anyio
async def test_help_opens_and_closes(store: Store, launcher: Launcher) -> None:
    async with _app(store, launcher).run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, HelpScreen)


@pytest.mark.anyio
async def test_too_small_terminal_covers_the_ui_and_keeps_the_modal(root: Path, store: Store,
                                                                      launcher: Launcher) -> None:
    hold(make_run(root))
    async with _app(store, launcher).run_test(size=(100, 30)) as pilot:
        await pilot.press("a")
        await pilot.pause()
        modal = pilot.app.screen
        assert isinstance(modal, RationaleModal)
        modal.query_one(Input).value = "half-typed rationale"
        await pilot.resize_terminal(40, 10)
        await pilot.pause()
        assert isinstance(pilot.app.screen, TooSmallScreen)
        assert "Terminal too small (40x10)" in str(pilot.app.screen.query_one("#message").render())
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert pilot.app.screen is modal and modal.query_one(Input).value == "half-typed rationale"


@pytest.mark.anyio
async def test_starting_too_small(store: Store, launcher: Launcher) -> None:
    async with _app(store, launcher).run_test(size=(50, 12)) as pilot:
        await pilot.pause()
        assert isinstance(pilot.app.screen, TooSmallScreen)


@pytest.mark.anyio
@pytest.mark.parametrize("theme", ["textual-dark", "textual-light"])
async def test_every_tab_renders_at_80x24(root: Path, store: Store, launcher: Launcher, theme: str) -> None:
    run = make_run(root)
    hold(run)
    add_paper(run)
    app = _app(store, launcher)
    app.theme = theme
    async with app.run_test(size=(80, 24)) as pilot:
        for key, tab in (("2", "tab-runs"), ("3", "tab-papers"), ("1", "tab-queue")):
            await pilot.press(key)
            await pilot.pause()
            assert pilot.app.query_one(TabbedContent).active == tab
            assert not isinstance(pilot.app.screen, TooSmallScreen)
        assert pilot.app.query_one(TabbedContent).get_tab("tab-queue").label.plain == "Audit queue (1)"
