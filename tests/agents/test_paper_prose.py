"""The model's prose: a :class:`proctor.paper.Prose` whose sections are trimmed, drafted by the untrusted role."""

from __future__ import annotations

import json
from typing import Any

import anyio

from proctor.agents._writeup import PaperProse, draft_prose
from proctor.llm import mock
from proctor.paper import Prose, aggregate
from proctor.settings import load_settings
from tests.helpers.schema_fake import fake


def test_paper_prose_is_prose_with_trimmed_sections() -> None:
    prose = PaperProse(title="t " * 100, abstract="  two   words ", introduction="", method="m",
                       results_discussion="r", conclusion="c")
    assert isinstance(prose, Prose)
    assert len(prose.title) == 150 and prose.abstract == "two words"
    assert PaperProse.model_json_schema()["description"] == "What the model writes."  # what the model sees


def test_draft_prose_asks_the_untrusted_model_with_the_results_table() -> None:
    prompts: list[str] = []

    def respond(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        prompts.append(messages[-1]["content"])
        assert params["response_format"]["json_schema"]["name"] == "PaperProse"
        return json.dumps(fake(params["response_format"]["json_schema"]["schema"]))

    mock.script("writeup", respond)
    settings = load_settings(None, ["llm.untrusted=mock/writeup", "llm.allow_mock=true"])
    table = aggregate({"idea": {"runs": [("run_1", {"digits": {"means": {"acc": 0.95}}})]}})
    idea = {"Name": "warmup", "Title": "Warmup", "Experiment": "Add warmup."}
    prose = anyio.run(draft_prose, idea, table, ["Attention (2017)"], settings)
    assert isinstance(prose, PaperProse)
    assert len(prompts) == 1 and "0.9500" in prompts[0]
