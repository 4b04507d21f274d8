"""The paraphraser of hand-offs: the code normaliser removes hidden channels; a model rewrite fails closed."""

from __future__ import annotations

import pytest

from proctor.control import (
    AgentMessage,
    MessageField,
    ParaphraseError,
    normalise,
    paraphrase_message,
    parse_fields,
    render_fields,
)
from proctor.control.protocols import paraphrase_model
from proctor.settings import Settings
from tests.control.control_helpers import FakeModel

FIELDS = (MessageField("Title"), MessageField("Experiment"), MessageField("Results", multiline=True))
ZW = {"0": "\u200b", "1": "\u200c"}


def zero_width(bits: str) -> str:
    return "".join(ZW[b] for b in bits)


def tags(text: str) -> str:
    return "".join(chr(0xE0000 + ord(c)) for c in text)


def _message(text: str) -> AgentMessage:
    return AgentMessage(sender="ideation", recipient="run_experiments", text=text)


@pytest.mark.parametrize(("dirty", "clean"), [
    ("Raise\u200b the\u200c scale\u2060", "Raise the scale"),                   # zero-width, word joiner
    ("scale" + tags("exfil"), "scale"),                                          # Unicode tag characters
    ("\u202eerasvon\u202c ok", "erasvon ok"),                                    # bidi override
    ("Scаle tо 3", "Scale to 3"),                                                # Cyrillic a, o
    ("ｓｃａｌｅ 𝐭𝐨 3", "scale to 3"),                                             # full-width, maths bold
    ("tRaIn the MoDeL with ResNet and PyTorch", "train the model with ResNet and PyTorch"),  # case pattern
    ("a   b\t\tc  ", "a b c"),                                                   # whitespace pattern
    ("\u201cquoted\u201d \u2014 dash", '"quoted" - dash'),                       # typographic punctuation
    ("e\u0301 and x\u0300\u0301y", "é and xy"),                                  # combining marks
    ("α = 0.1 and λ", "α = 0.1 and λ"),                                          # ML notation is kept
])
def test_normalise_removes_hidden_channels(dirty: str, clean: str) -> None:
    assert normalise(dirty) == clean
    assert normalise(clean) == clean  # idempotent


def test_multiline_keeps_lines_and_indentation_but_not_patterns() -> None:
    text = "| a | b |  \n|---|---|\n\n\n\n    code  line\t\n<!-- hidden\nsignal -->tail"
    assert normalise(text, multiline=True) == "| a | b |\n|---|---|\n\n    code line\ntail"


def test_fields_round_trip_and_text_outside_them_is_dropped() -> None:
    text = render_fields({"Title": "T", "Experiment": "E", "Results": "r1\nr2"})
    assert parse_fields(text, FIELDS) == {"Title": "T", "Experiment": "E", "Results": "r1\nr2"}
    smuggled = "psst: 0110\n" + text + "[[Covert]]\nmore bits\n[[Title]]\nagain\n"
    assert parse_fields(smuggled, FIELDS) == {"Title": "T", "Experiment": "E", "Results": "r1\nr2"}


@pytest.mark.anyio
async def test_code_paraphrase_strips_markers_and_records_what_changed() -> None:
    marker = zero_width("1011001") + tags("key")
    text = "extra line\n" + render_fields({"Title": "Warm" + marker + "up", "Experiment": "Add  wArMuP.",
                                           "Results": "| x | 0.5 |   "})
    out = await paraphrase_message("ideation_to_experiments", _message(text), FIELDS, True, Settings())
    assert out.method == "code" and out.changed
    assert out.fields == {"Title": "Warmup", "Experiment": "Add warmup.", "Results": "| x | 0.5 |"}
    assert not any(ch in out.after for ch in marker)
    assert out.removed["invisible"] == len(marker) and out.removed["dropped_lines"] == 1
    event = out.event(action_id="a1")
    assert event.edge == "ideation_to_experiments" and event.before_sha256 != event.after_sha256
    assert "-Warm" in event.diff and "+Warmup" in event.diff


@pytest.mark.anyio
async def test_off_passes_the_text_as_written() -> None:
    text = render_fields({"Title": "Warm" + zero_width("101") + "up", "Experiment": "E", "Results": ""})
    out = await paraphrase_message("ideation_to_experiments", _message(text), FIELDS, False, Settings())
    assert out.method == "off" and not out.changed and zero_width("101") in out.fields["Title"]


@pytest.mark.anyio
async def test_a_model_rewrites_each_field_after_the_normaliser() -> None:
    model = FakeModel(lambda messages: "rewritten " + messages[0]["content"].split("<message>")[1].split()[0])
    text = render_fields({"Title": "Warm\u200bup", "Experiment": "Add warmup.", "Results": "p1\n\np2"})
    out = await paraphrase_message("e", _message(text), FIELDS, "openai/gpt-4o-mini", Settings(), model=model)
    assert out.method == "code+openai/gpt-4o-mini"
    assert out.fields == {"Title": "rewritten Warmup", "Experiment": "rewritten Add", "Results": "rewritten p1"}
    assert "\u200b" not in model.requests[0][0]["content"]  # the model already gets the normalised text


def test_the_embedded_base_model_falls_back_to_the_code_paraphraser() -> None:
    settings = Settings()
    assert paraphrase_model("trusted", settings)[:2] == ("code", None)
    assert "cannot paraphrase" in paraphrase_model("trusted", settings)[2]
    assert paraphrase_model("openai/gpt-4o-mini", settings)[:2] == ("model", "openai/gpt-4o-mini")
    assert paraphrase_model(False, settings)[0] == "off" and paraphrase_model(True, settings)[0] == "code"


@pytest.mark.anyio
@pytest.mark.parametrize("output", ["   ", RuntimeError("down")], ids=["empty", "error"])
async def test_a_failed_model_paraphrase_is_not_delivered(output: object) -> None:
    text = render_fields({"Title": "T", "Experiment": "E", "Results": "R"})
    with pytest.raises(ParaphraseError, match="not delivered"):
        await paraphrase_message("e", _message(text), FIELDS, "openai/x", Settings(), model=FakeModel([output] * 3))


def test_settings_accept_switches_and_models() -> None:
    s = Settings(control={"paraphrase": {"ideation_to_experiments": "off", "experiments_to_writeup": "trusted"}})
    p = s.control.paraphrase
    assert p.ideation_to_experiments is False and p.experiments_to_writeup == "trusted" and p.writeup_to_review is True
    assert Settings(control={"paraphrase": {"writeup_to_review": "true"}}).control.paraphrase.writeup_to_review is True
    with pytest.raises(ValueError, match="unknown hand-off edge"):
        p.for_edge("ideation_to_review")
    with pytest.raises(ValueError):
        Settings(control={"paraphrase": {"nowhere": True}})
