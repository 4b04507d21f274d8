"""Ideation: each idea's prompt leads with a different seed example, and lists the ideas so far."""

from __future__ import annotations

import json
from typing import Any

import anyio

from proctor.agents._ideation import propose_idea, rotated
from proctor.agents.template import load_template
from proctor.llm import mock
from proctor.settings import load_settings
from tests.helpers.schema_fake import fake


def test_rotated_wraps() -> None:
    assert rotated([1, 2, 3], 0) == [1, 2, 3] and rotated([1, 2, 3], 4) == [2, 3, 1] and rotated([], 2) == []


def test_successive_ideas_see_other_leading_examples_and_the_earlier_ideas() -> None:
    prompts: list[str] = []

    def respond(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        prompts.append(messages[-1]["content"])
        value = fake(params["response_format"]["json_schema"]["schema"])
        value.update(Name="same", Title=f"Idea {len(prompts)}")
        return json.dumps(value)

    mock.script("u", respond)
    settings = load_settings(None, ["llm.untrusted=mock/u", "llm.allow_mock=true",
                                    "workflow.template=tabular_classification"])
    seeds = [s.Name for s in load_template("tabular_classification").seed_ideas]
    state: dict[str, Any] = {"direction": "calibration", "ideas": []}
    for _ in range(2):
        update = anyio.run(propose_idea, state, settings)
        state["ideas"] = [*state["ideas"], *update["ideas"]]
    first_example = [p.split("(scores from 1 to 10):\n", 1)[1].splitlines()[0] for p in prompts]
    assert seeds[0] in first_example[0] and seeds[1] in first_example[1]
    assert "Idea 1" in prompts[1] and "Ideas already proposed" in prompts[1]
    assert [i["Name"] for i in state["ideas"]] == ["same", "same_2"]  # names stay unique
