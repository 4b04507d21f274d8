"""The trusted paraphraser rewrites configured edges and fails closed."""

import pytest

from proctor.control import AgentMessage, ParaphraseError, edge_matches, paraphraser
from tests.control.control_helpers import FakeModel


def _settings(settings, edges):
    return settings.model_copy(update={"control": settings.control.model_copy(update={"paraphrase_edges": edges})})


@pytest.mark.parametrize(("edge", "hit"), [("ideation->experimenter", True), ("*->experimenter", True),
                                           ("ideation->*", True), ("writer->*", False)])
def test_edge_matching(edge: str, hit: bool) -> None:
    assert edge_matches("ideation", "experimenter", [edge]) is hit


@pytest.mark.anyio
async def test_paraphrases_configured_edges_only(settings) -> None:
    model = FakeModel(["Train with learning rate 0.1."])
    para = paraphraser(_settings(settings, ["ideation->experimenter"]), model=model)
    msg = AgentMessage(sender="ideation", recipient="experimenter", text="tRaIn   with lr=0.1 !!  ")
    out = await para(msg)
    assert out.text == "Train with learning rate 0.1." and out.sender == "ideation"
    assert "tRaIn" in model.requests[0][0]["content"]
    other = AgentMessage(sender="writer", recipient="reviewer", text="x")
    assert await para(other) == other


@pytest.mark.anyio
@pytest.mark.parametrize("output", ["   ", RuntimeError("down")], ids=["empty", "error"])
async def test_fails_closed(settings, output: object) -> None:
    para = paraphraser(_settings(settings, ["*->*"]), model=FakeModel([output]))
    with pytest.raises(ParaphraseError, match="not delivered"):
        await para(AgentMessage(sender="a", recipient="b", text="secret signal"))
