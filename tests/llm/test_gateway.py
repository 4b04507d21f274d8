"""The model gateway: structured output, retries, fallbacks, budgets, ledger, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from pydantic import BaseModel, Field

from proctor.llm import (
    BudgetExceeded,
    BudgetSettings,
    Ledger,
    LLMSettings,
    ModelUnavailable,
    StructuredOutputError,
    get_model,
    mock,
    use_ledger,
)
from proctor.log import BudgetEvent, EventLog, ModelCallEvent, use_log


class Verdict(BaseModel):
    score: int = Field(ge=0, le=10)
    reason: str


def _settings(**kw: object) -> LLMSettings:
    return LLMSettings(untrusted="mock/u", allow_mock=True, **kw)  # type: ignore[arg-type]


MSG = [{"role": "user", "content": "score this"}]


def test_structured_retries_until_valid(tmp_path: Path) -> None:
    mock.script("u", ["nonsense", json.dumps({"score": 11, "reason": "x"}),
                      "```json\n" + json.dumps({"score": 4, "reason": "ok"}) + "\n```"])
    log = EventLog(tmp_path / "e.jsonl")

    async def go() -> Verdict:
        with use_log(log):
            return await get_model("untrusted", _settings()).structured(MSG, Verdict)

    assert anyio.run(go) == Verdict(score=4, reason="ok")
    calls = [e for e in log.read() if isinstance(e, ModelCallEvent)]
    assert len(calls) == 3 and all(c.structured == "Verdict" and c.role == "untrusted" for c in calls)
    # the validation error is shown to the model on retry
    assert "did not validate" in mock.requests("u")[1]["messages"][-1]["content"]
    assert mock.requests("u")[0]["params"]["response_format"]["json_schema"]["name"] == "Verdict"


def test_structured_gives_up_after_bounded_retries() -> None:
    mock.script("u", ["no"] * 10)
    with pytest.raises(StructuredOutputError, match="no valid Verdict after 2 tries"):
        anyio.run(get_model("untrusted", _settings(structured_retries=1)).structured, MSG, Verdict)
    assert len(mock.requests("u")) == 2


def test_fallback_model_is_used_when_primary_fails() -> None:
    mock.script("u", [])  # exhausted: the primary fails
    mock.script("backup", ["fine"])
    model = get_model("untrusted", _settings(fallbacks={"untrusted": ["mock/backup"]}, max_retries=0))
    reply = anyio.run(model.complete, MSG)
    assert reply.text == "fine" and reply.model == "mock/backup"


def test_budget_stops_calls_and_is_logged(tmp_path: Path) -> None:
    mock.script("u", lambda messages: "word " * 50)
    log = EventLog(tmp_path / "e.jsonl")
    ledger = Ledger(BudgetSettings(max_tokens=100, max_usd=None))

    async def go() -> int:
        model = get_model("untrusted", _settings())
        with use_log(log), use_ledger(ledger):
            n = 0
            while True:
                await model.complete(MSG)
                n += 1

    with pytest.raises(BudgetExceeded, match="tokens budget exhausted.*llm.budget.max_tokens"):
        anyio.run(go)
    assert ledger.tokens >= 100 and ledger.calls == 2
    assert [e.kind for e in log.read() if isinstance(e, BudgetEvent)] == ["tokens"]
    rebuilt = Ledger.from_events(log.read())
    assert rebuilt.tokens == ledger.tokens and rebuilt.calls == ledger.calls


@pytest.mark.parametrize(
    ("model", "match"),
    [
        ("gpt-nonsense-xyz", "unknown model"),
        ("local/gemma-99b", "unknown embedded model"),
        ("mock/u", "scripted test model"),
    ],
    ids=["unknown", "unknown-local", "mock-outside-tests"],
)
def test_unusable_model_strings(model: str, match: str) -> None:
    with pytest.raises(ModelUnavailable, match=match):
        get_model("untrusted", LLMSettings(untrusted=model))


def test_missing_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ModelUnavailable, match="OPENAI_API_KEY"):
        get_model("untrusted", LLMSettings(untrusted="openai/gpt-4o"))


def test_unreachable_server_fails_clearly(tmp_path: Path) -> None:
    settings = LLMSettings(untrusted="openai/some-model", api_base="http://127.0.0.1:9/v1",
                           max_retries=1, timeout_s=5)
    log = EventLog(tmp_path / "e.jsonl")

    async def go() -> None:
        with use_log(log):
            await get_model("untrusted", settings).complete(MSG)

    with pytest.raises(ModelUnavailable, match="every model failed.*api_base"):
        anyio.run(go)
    failures = [e for e in log.read() if isinstance(e, ModelCallEvent)]
    assert len(failures) == 2 and not any(e.ok for e in failures)  # one retry with backoff
