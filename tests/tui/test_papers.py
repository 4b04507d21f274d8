"""The papers tab: paper beside its AI review, the human review form, the publication decision."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Select, Static, TextArea

from proctor.review import ReviewForm
from proctor.tui import ProctorApp, Store
from proctor.tui._modals import RationaleModal
from proctor.tui._papers import SCORES
from proctor.tui._review_form import HumanReviewScreen
from tests.tui.tui_helpers import Launcher, add_paper, make_run

SIZE = (100, 30)


def _app(store: Store, launcher: Launcher) -> ProctorApp:
    return ProctorApp(store, reviewer="alice", launcher=launcher, refresh_s=60)


@pytest.mark.anyio
async def test_paper_and_ai_review_side_by_side(root: Path, store: Store, launcher: Launcher) -> None:
    add_paper(make_run(root))
    async with _app(store, launcher).run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.pause()
        assert pilot.app.query_one("#papers", DataTable).get_row_at(0)[1:] == ["sparse_attn", "yes", "-", "-"]
        paper = pilot.app.query_one("#paper").source
        review = pilot.app.query_one("#ai-review").source
        assert paper.startswith("# Sparse attention") and "Decision: Reject" in review


@pytest.mark.anyio
@pytest.mark.parametrize("key,decision", [("y", "accept"), ("n", "reject")], ids=["accept", "reject"])
async def test_publication_decision(root: Path, store: Store, launcher: Launcher, key: str, decision: str) -> None:
    out = add_paper(make_run(root))
    async with _app(store, launcher).run_test(size=SIZE) as pilot:
        await pilot.press("3", key)
        await pilot.pause()
        assert isinstance(pilot.app.screen, RationaleModal)
        pilot.app.screen.query_one(Input).value = "results hold up"
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.query_one("#papers", DataTable).get_row_at(0)[4] == decision
    body = json.loads((out / "publication.json").read_text())
    assert body["decision"] == decision and body["reviewer"] == "alice"
    assert body["paper_sha256"] == hashlib.sha256((out / "paper.md").read_bytes()).hexdigest()


async def _fill(screen: HumanReviewScreen) -> None:
    screen.query_one("#f-Summary", TextArea).text = "Sparse attention at small scale."
    screen.query_one("#f-Strengths", TextArea).text = "clear setup\n\nhonest baselines"
    for name, (_, high) in SCORES.items():
        screen.query_one(f"#f-{name}", Select).value = min(3, high)


@pytest.mark.anyio
async def test_human_review_is_validated_and_saved(root: Path, store: Store, launcher: Launcher) -> None:
    out = add_paper(make_run(root))
    async with _app(store, launcher).run_test(size=SIZE) as pilot:
        await pilot.press("3", "w")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, HumanReviewScreen)
        await _fill(screen)
        screen.query_one("#f-Decision", Select).focus()
        await pilot.press("q")  # does not quit with a half-filled form
        await pilot.pause()
        assert pilot.app.is_running and pilot.app.screen is screen
        await pilot.press("ctrl+s")  # no decision yet: refused, the form stays
        await pilot.pause()
        assert pilot.app.screen is screen and "Decision" in str(screen.query_one("#errors", Static).render())
        screen.query_one("#f-Decision", Select).value = "Accept"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, HumanReviewScreen)
        assert pilot.app.query_one("#papers", DataTable).get_row_at(0)[3] == "3/10 Accept"
    form = ReviewForm.model_validate_json((out / "human_review.json").read_text())
    assert form.strengths == ["clear setup", "honest baselines"] and form.decision == "Accept"
    assert "Human review by alice" in (out / "human_review.md").read_text()


@pytest.mark.anyio
async def test_unsaved_review_survives_a_deleted_run(root: Path, store: Store, launcher: Launcher) -> None:
    run = make_run(root)
    add_paper(run)
    async with _app(store, launcher).run_test(size=SIZE) as pilot:
        await pilot.press("3", "w")
        await pilot.pause()
        screen = pilot.app.screen
        await _fill(screen)
        screen.query_one("#f-Decision", Select).value = "Reject"
        shutil.rmtree(run.path)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert pilot.app.screen is screen and "was deleted" in str(screen.query_one("#errors", Static).render())
        assert screen.query_one("#f-Summary", TextArea).text == "Sparse attention at small scale."
        await pilot.press("escape")  # asks once before discarding
        await pilot.pause()
        assert pilot.app.screen is screen
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, HumanReviewScreen)
    assert not run.path.exists()
