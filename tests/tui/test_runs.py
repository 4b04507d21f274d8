"""The runs tab: the live list, the timeline, pause and cancel requests, a run deleted while open."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from proctor.log import ErrorEvent
from proctor.tui import ProctorApp, Store, request_path
from proctor.tui._modals import RationaleModal
from tests.tui.tui_helpers import Launcher, hold, make_run

SIZE = (100, 30)


def _app(store: Store, launcher: Launcher) -> ProctorApp:
    return ProctorApp(store, reviewer="alice", launcher=launcher, refresh_s=60)


def _status(pilot) -> str:
    return str(pilot.app.query_one("#run-status", Static).render())


@pytest.mark.anyio
async def test_runs_list_and_timeline(root: Path, store: Store, launcher: Launcher) -> None:
    run = make_run(root, "sparse attention")
    hold(run)
    async with _app(store, launcher).run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        runs = pilot.app.query_one("#runs", DataTable)
        row = runs.get_row_at(0)
        assert row[:6] == [run.header().id, "paused", "run_experiment", "1/2", "0.012", "1"]
        timeline = pilot.app.query_one("#timeline", DataTable)
        assert timeline.row_count == 5
        run.events.append(ErrorEvent(where="sandbox", message="OOM"))
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert timeline.row_count == 6 and timeline.get_row_at(5)[3] == "sandbox: OOM"


@pytest.mark.anyio
async def test_pause_request_toggles(root: Path, store: Store, launcher: Launcher) -> None:
    run = make_run(root, status="running")
    async with _app(store, launcher).run_test(size=SIZE) as pilot:
        await pilot.press("2", "p")
        await pilot.pause()
        body = json.loads(request_path(run.path, "pause").read_text())
        assert body["request"] == "pause" and body["by"] == "alice"
        assert "pause requested" in _status(pilot)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert pilot.app.query_one("#runs", DataTable).get_row_at(0)[1] == "running [pause]"
        await pilot.press("p")
        await pilot.pause()
        assert not request_path(run.path, "pause").exists() and "withdrawn" in _status(pilot)


@pytest.mark.anyio
async def test_cancel_without_a_pid_writes_the_request_file(root: Path, store: Store, launcher: Launcher) -> None:
    run = make_run(root, status="running")
    async with _app(store, launcher).run_test(size=SIZE) as pilot:
        await pilot.press("2", "c")
        await pilot.pause()
        assert isinstance(pilot.app.screen, RationaleModal)
        pilot.app.screen.query_one(Input).value = "wrong direction"
        await pilot.press("enter")
        await pilot.pause()
        assert "no live process recorded" in _status(pilot)
    assert "wrong direction" in json.loads(request_path(run.path, "cancel").read_text())["by"]


def test_cancel_signals_the_recorded_process(root: Path) -> None:
    from proctor.tui import cancel_run

    run = make_run(root, status="running")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "proctor-run"])
    try:
        header = run.header()
        header.extra["pid"] = proc.pid
        run.write_header(header)
        assert f"sent SIGTERM to pid {proc.pid}" in cancel_run(run.path, by="alice")
        assert proc.wait(timeout=10) == -15
    finally:
        proc.kill()


def test_a_stale_pid_of_another_program_is_not_signalled(root: Path) -> None:
    from proctor.tui import cancel_run

    run = make_run(root, status="running")
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        header = run.header()
        header.extra["pid"] = proc.pid
        run.write_header(header)
        assert "no live process recorded" in cancel_run(run.path, by="alice")
        assert proc.poll() is None
    finally:
        proc.kill()


@pytest.mark.anyio
async def test_resume_key_starts_a_paused_run_with_nothing_held(root: Path, store: Store,
                                                               launcher: Launcher) -> None:
    run = make_run(root)
    async with _app(store, launcher).run_test(size=SIZE) as pilot:
        await pilot.press("2", "u")
        await pilot.pause()
    assert launcher.calls == [run.path]


@pytest.mark.anyio
async def test_run_deleted_while_open(root: Path, store: Store, launcher: Launcher) -> None:
    runs = {r.path for r in (make_run(root, "one"), make_run(root, "two"))}
    async with _app(store, launcher).run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await pilot.pause()
        gone = pilot.app.query_one("RunsPane").current()
        (keep,) = runs - {gone.path}
        shutil.rmtree(gone.path)
        await pilot.press("p")
        await pilot.pause()
        assert not gone.path.exists()
        assert pilot.app.query_one("#runs", DataTable).row_count == 1 and pilot.app.query_one("RunsPane").current().path == keep
        await pilot.press("ctrl+r")
        await pilot.pause()


def test_unreadable_run_json_is_listed(root: Path, store: Store) -> None:
    run = make_run(root)
    run.header_path.write_text("{not json")
    [summary] = store.runs()
    assert summary.status == "unreadable" and "ValidationError" in summary.error
