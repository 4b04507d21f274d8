"""Answers that only repeat the form are retried then marked missing; the evidence checklist is computed
from the paper's own files."""

from __future__ import annotations

import json
from pathlib import Path

import anyio

from proctor.llm import mock
from proctor.paper import Prose, aggregate, write_paper
from proctor.review import ReviewSettings, echoes_form, evidence_checklist, review_paper, write_review
from tests.review.review_helpers import as_json, mock_settings

PAPER = "We raise the learning rate of a small MLP and report accuracy on digits over three seeds."


def test_echoes_are_field_names_filler_or_the_instructions() -> None:
    for echo in ("- Weaknesses", "Originality", "Main strengths", "Strengths:", "", " , ", "n/a"):
        assert echoes_form(echo), echo
    instructions = "Strengths, Weaknesses: up to 3 points of one sentence each, specific to this paper."
    assert echoes_form("Up to 3 points of one sentence each", instructions)
    for real in ("The gain is within noise on three seeds", "No comparison with a tuned baseline", "Why lr?"):
        assert not echoes_form(real, instructions), real


def test_echoed_answers_are_retried_then_marked_missing(tmp_path: Path) -> None:
    echo = as_json(Strengths=["- Strengths"], Weaknesses=["Weaknesses", "Originality"])
    mock.script("rev", [echo, echo])
    result = anyio.run(lambda: review_paper(PAPER, mock_settings(), review=ReviewSettings(num_reflections=0)))
    requests = mock.requests("rev")
    assert len(requests) == 2 and "only repeated the form" in requests[1]["messages"][-1]["content"]
    assert result.missing == ["Strengths", "Weaknesses"]
    assert result.review.strengths == [] and result.review.weaknesses == []
    _, md = write_review(result, tmp_path)
    assert md.read_text().count("missing: the model's answers only repeated the form") == 2

    mock.script("rev", [echo, as_json(Strengths=["Three seeds per side"], Weaknesses=["One dataset"])])
    fixed = anyio.run(lambda: review_paper(PAPER, mock_settings(), review=ReviewSettings(num_reflections=0)))
    assert fixed.missing == [] and fixed.review.weaknesses == ["One dataset"]


def _paper(tmp_path: Path, base: list[float], idea: list[float], discussion: str, intro: str = "") -> Path:
    table = aggregate({"baseline": {"runs": [(f"run_0_{i}", {"digits": {"means": {"acc": v}}})
                                             for i, v in enumerate(base)]},
                       "idea": {"runs": [(f"run_1_{i}", {"digits": {"means": {"acc": v}}})
                                         for i, v in enumerate(idea)]}})
    empty = "[The model wrote no text for this section.]"
    prose = Prose(title="Higher learning rates", abstract="We try a higher rate.", introduction=intro or empty,
                  method="We change lr.", results_discussion=discussion, conclusion="Done.")
    write_paper(tmp_path, prose=prose, table=table, figures=[], references=[], run_id="r", support=[])
    return tmp_path


def test_the_checklist_names_a_weak_papers_real_weaknesses(tmp_path: Path) -> None:
    weak = _paper(tmp_path / "weak", [0.80], [0.81], "Accuracy reached 0.97 with the idea.")
    checklist = evidence_checklist(weak, integrity=["the idea changed the evaluation setting test_fraction"],
                                   novelty={"status": "checked", "cited": [], "signal": {"max_similarity": 0.93,
                                                                                        "likely_known": True}})
    status = {i.check: i.status for i in checklist.items}
    assert status == {"seeds": "fail", "intervals and tests": "fail", "verdicts": "fail",
                      "evaluation integrity": "fail", "claims": "fail", "sections": "warn", "novelty": "warn"}
    text = " ".join(checklist.weaknesses())
    assert "0.97" in text and "test_fraction" in text and "Introduction" in text and "likely known" in text
    assert checklist.score < 0.2


def test_the_checklist_passes_a_sound_paper(tmp_path: Path) -> None:
    sound = _paper(tmp_path, [0.80, 0.81, 0.79], [0.90, 0.91, 0.89], "Accuracy rose to 0.90 on digits.",
                   intro="We study learning rates.")
    checklist = evidence_checklist(sound, novelty={"status": "checked", "cited": [{"passage": {}}],
                                                   "signal": {"max_similarity": 0.5}})
    assert all(i.status == "pass" for i in checklist.items), checklist.items
    assert checklist.score == 1.0
    saved = json.loads((sound / "statistics.json").read_text())
    assert saved[0]["verdict"] == "better"
