"""The neurips reviewer with a scripted model: call counts, seeds, convergence, meta-review, files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest

from proctor.llm import StructuredOutputError, mock
from proctor.log import EventLog, ModelCallEvent, use_log
from proctor.registry import UnknownComponent
from proctor.review import PaperTextError, ReviewEvent, ReviewResult, ReviewSettings, review_paper
from tests.review.review_helpers import as_json, form, is_meta, is_reflection, mock_settings, review

PAPER = "We propose sparse warm restarts for linear probes and evaluate them on CIFAR-10."


def _review(settings: Any = None, text: str = PAPER, **kw: Any) -> ReviewResult:
    return anyio.run(lambda: review_paper(text, settings or mock_settings(), review=ReviewSettings(**kw)))


def _counter(outputs: dict[str, list[str]]) -> Any:
    """A script answering drafts, reflections and meta-reviews from separate queues."""

    def answer(messages: list[dict[str, Any]]) -> str:
        kind = "meta" if is_meta(messages) else "reflect" if is_reflection(messages) else "draft"
        return outputs[kind].pop(0)

    return answer


@pytest.mark.parametrize("rounds", [0, 1, 3], ids=["no-reflection", "one", "three"])
def test_reflection_rounds_make_one_call_each(rounds: int) -> None:
    mock.script("rev", _counter({"draft": [as_json(overall=3)],
                                 "reflect": [as_json(overall=4 + i) for i in range(rounds)]}))
    result = _review(num_reflections=rounds)
    assert result.calls == len(mock.requests("rev")) == 1 + rounds
    assert result.review.overall == 3 + rounds if rounds else 3
    reflection = mock.requests("rev")[-1]["messages"]
    if rounds:  # the reflection sees the draft and the earlier rounds
        assert reflection[-1]["content"].startswith(f"Round {rounds}/{rounds}")
        assert [m["role"] for m in reflection] == ["system", "user"] + ["assistant", "user"] * rounds


def test_reflection_stops_when_the_review_repeats() -> None:
    mock.script("rev", _counter({"draft": [as_json(overall=3)], "reflect": [as_json(overall=4), as_json(overall=4)]}))
    result = _review(num_reflections=5)
    assert result.calls == 3 and result.review.overall == 4


def test_single_review_decision_follows_the_threshold() -> None:
    mock.script("rev", [as_json(overall=6, Decision="Reject")])
    result = _review(num_reflections=0)
    assert result.decision == "Accept"  # Overall 6 >= 6, whatever the model wrote
    assert result.reviews[0].decision == "Reject"  # the member's own form is kept as written
    mock.script("rev", [as_json(overall=6, Decision="Accept")])
    assert _review(num_reflections=0, accept_threshold=7).decision == "Reject"


def test_ensemble_calls_seeds_and_meta_review(tmp_path: Path) -> None:
    overall = {10: 4, 11: 7, 12: 8}
    meta = {"Summary": "Meta summary.", "Strengths": ["Agreed strength"], "Weaknesses": ["Agreed weakness"],
            "Questions": [], "Limitations": ["Narrow"]}

    def answer(messages: list[dict[str, Any]]) -> str:
        if is_meta(messages):
            return json.dumps(meta)
        return as_json(overall=7) if is_reflection(messages) else as_json(overall=5)

    mock.script("rev", answer)
    log = EventLog(tmp_path / "events.jsonl")

    async def go() -> ReviewResult:
        with use_log(log):
            return await review_paper(PAPER, mock_settings(), review=ReviewSettings(
                ensemble_size=3, num_reflections=1, seed=10, ensemble_temperature=0.9))

    result = anyio.run(go)
    requests = mock.requests("rev")
    assert result.calls == len(requests) == 3 * 2 + 1
    drafts = [r for r in requests if not is_reflection(r["messages"]) and not is_meta(r["messages"])]
    assert sorted(r["params"]["seed"] for r in drafts) == sorted(overall)
    assert {r["params"]["temperature"] for r in drafts} == {0.9}
    assert len(result.reviews) == 3 and result.review.summary == "Meta summary."
    assert result.review.overall == 7 and result.decision == "Accept"
    events = log.read()
    stages = [e.stage for e in events if isinstance(e, ReviewEvent)]
    assert sorted(stages) == ["draft"] * 3 + ["meta"] + ["reflection"] * 3
    calls = [e for e in events if isinstance(e, ModelCallEvent)]
    assert len(calls) == 7 and {c.role for c in calls} == {"reviewer"}


def test_meta_review_averages_scores_and_thresholds_the_decision() -> None:
    members = iter([as_json(overall=5, Originality=1, Confidence=3, Decision="Accept"),
                    as_json(overall=6, Originality=2, Confidence=4),
                    as_json(overall=6, Originality=2, Confidence=4, **{"Ethical Concerns": True})])
    mock.script("rev", lambda messages: next(members))
    result = _review(num_reflections=0, ensemble_size=3, meta_review=False)
    final = result.review
    assert final.overall == 6  # mean 5.67
    assert final.originality == 2 and final.confidence == 4  # means 1.67 and 3.67, rounded
    assert final.ethical_concerns  # one member flagged it
    assert final.decision == "Accept"
    assert len(mock.requests("rev")) == 3  # no meta call when meta_review is off


def test_halves_round_up() -> None:
    members = iter([as_json(overall=5), as_json(overall=6)])
    mock.script("rev", lambda messages: next(members))
    assert _review(num_reflections=0, ensemble_size=2, meta_review=False).review.overall == 6


def test_a_failing_member_is_dropped_unless_all_fail() -> None:
    def answer(messages: list[dict[str, Any]]) -> str:
        seed_marker = len(mock.requests("rev"))
        return "not json" if seed_marker <= 2 else as_json(overall=8)

    mock.script("rev", answer)
    settings = mock_settings()
    settings.llm.structured_retries = 1
    result = _review(settings, num_reflections=0, ensemble_size=2, meta_review=False)
    assert len(result.reviews) == 1 and result.review.overall == 8

    mock.script("rev", ["nope"] * 10)
    with pytest.raises(StructuredOutputError):
        _review(settings, num_reflections=0, ensemble_size=2)


def test_paper_is_truncated_in_the_prompt() -> None:
    mock.script("rev", [as_json()])
    result = _review(text="word " * 2000, num_reflections=0, max_paper_chars=1000)
    prompt = mock.requests("rev")[0]["messages"][1]["content"]
    assert result.truncated and result.paper_chars == len("word " * 2000)
    assert prompt.count("word") <= 200 and "cut to its first part" in prompt


def test_few_shot_adds_the_example() -> None:
    mock.script("rev", [as_json(), as_json()])
    _review(num_reflections=0, few_shot=False)
    _review(num_reflections=0)
    first, second = (r["messages"][1]["content"] for r in mock.requests("rev"))
    assert "example review" not in first and "example review" in second


def test_review_paper_writes_json_and_markdown(tmp_path: Path) -> None:
    mock.script("rev", [as_json(overall=7, Decision="Accept")])
    result = anyio.run(lambda: review_paper(PAPER, mock_settings(), out_dir=tmp_path / "review",
                                            review=review(num_reflections=0)))
    data = json.loads((tmp_path / "review" / "review.json").read_text())
    assert data["review"] == form(overall=7, Decision="Accept")
    assert data["reviews"][0]["Overall"] == 7 and data["model"] == "mock/rev"
    assert (tmp_path / "review" / "review.md").read_text() == result.to_markdown()


def test_defaults_apply_when_settings_have_no_review_section() -> None:
    mock.script("rev", _counter({"draft": [as_json()], "reflect": [as_json(overall=4)]}))
    result = anyio.run(review_paper, PAPER, mock_settings())
    assert result.settings == ReviewSettings() and result.calls == 1 + ReviewSettings().num_reflections


def test_empty_paper_and_unknown_reviewer_fail_clearly() -> None:
    with pytest.raises(PaperTextError, match="empty"):
        _review(text="  \n")
    with pytest.raises(UnknownComponent, match="neurips"):
        _review(reviewer="nonesuch")


def test_meta_review_prose_falls_back_when_the_meta_reviewer_fails() -> None:
    def answer(messages: list[dict[str, Any]]) -> str:
        return "no json at all" if is_meta(messages) else as_json(overall=6, Summary="Member prose.")

    mock.script("rev", answer)
    settings = mock_settings()
    settings.llm.structured_retries = 0
    result = _review(settings, num_reflections=0, ensemble_size=2)
    assert result.review.summary == "Member prose." and result.review.overall == 6
