"""The review form: ranges, headings as aliases, bounded text, Markdown, and the public surface."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import proctor.review
from proctor.review import SCORE_RANGES, ReviewForm
from tests.review.review_helpers import form


def test_public_surface_is_sorted_and_resolves() -> None:
    exported = list(proctor.review.__all__)
    assert exported == sorted(exported, key=str)
    assert all(getattr(proctor.review, name) is not None for name in exported)


def test_valid_form_round_trips_with_form_headings() -> None:
    review = ReviewForm.model_validate(form(overall=7, **{"Ethical Concerns": True}))
    assert review.overall == 7 and review.ethical_concerns
    dumped = review.to_json_dict()
    assert list(dumped) == ["Summary", "Strengths", "Weaknesses", "Originality", "Quality", "Clarity",
                            "Significance", "Questions", "Limitations", "Ethical Concerns", "Soundness",
                            "Presentation", "Contribution", "Overall", "Confidence", "Decision"]
    assert ReviewForm.model_validate(dumped) == review
    assert review.scores() == {k: dumped[k] for k in SCORE_RANGES}


@pytest.mark.parametrize(
    ("field", "value"),
    [("Originality", 5), ("Soundness", 0), ("Overall", 11), ("Overall", 0), ("Confidence", 6),
     ("Decision", "Weak Accept"), ("Ethical Concerns", "maybe")],
    ids=["originality-5", "soundness-0", "overall-11", "overall-0", "confidence-6", "weak-accept", "ethics"],
)
def test_out_of_range_values_are_rejected(field: str, value: object) -> None:
    with pytest.raises(ValidationError):
        ReviewForm.model_validate(form(**{field: value}))


def test_unknown_and_missing_fields_are_rejected() -> None:
    with pytest.raises(ValidationError):
        ReviewForm.model_validate(form(Rating=3))
    data = form()
    del data["Overall"]
    with pytest.raises(ValidationError):
        ReviewForm.model_validate(data)


def test_schema_is_bounded_without_costly_string_bounds() -> None:
    schema = ReviewForm.model_json_schema()
    props = schema["properties"]
    assert all(props[k]["maxItems"] == 3 for k in ("Strengths", "Weaknesses", "Questions", "Limitations"))
    assert (props["Overall"]["minimum"], props["Overall"]["maximum"]) == (1, 10)
    assert schema["additionalProperties"] is False
    # maxLength makes the embedded model's grammar take a minute to compile; text is clipped instead
    assert "maxLength" not in str(schema)


def test_long_text_is_truncated_not_rejected() -> None:
    review = ReviewForm.model_validate(form(Summary="x" * 5000, Strengths=["y" * 900] * 9, Questions="one"))
    assert len(review.summary) == 400
    assert len(review.strengths) == 3 and all(len(s) == 160 for s in review.strengths)
    assert review.questions == ["one"]
    assert ReviewForm.model_validate(form(Weaknesses=[",", " ", "Real point"])).weaknesses == ["Real point"]


def test_markdown_has_every_section_and_score() -> None:
    md = ReviewForm.model_validate(form(overall=8, Decision="Accept")).to_markdown()
    assert md.startswith("# Review")
    assert "**Decision: Accept** (Overall 8/10" in md
    for heading in ("Summary", "Strengths", "Weaknesses", "Questions", "Limitations"):
        assert f"## {heading}" in md
    for name in SCORE_RANGES:
        assert f"| {name} |" in md
    assert "- Small study" in md


def test_model_dump_uses_the_form_headings() -> None:
    review = ReviewForm.model_validate(form(overall=4))
    assert review.model_dump()["Overall"] == 4 and review.text().model_dump()["Summary"]
