"""Online literature in whole runs (scripted models, the real gate, a local stand-in for the services):
with ``retrieval.online.enabled=true`` every request is a gated action naming its source and URL, and the
novelty record cites online and full-text paragraphs; offline, nothing is asked; no key is written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from proctor.agents import start_run
from proctor.control import Action, LiteratureQuery
from proctor.llm import mock
from proctor.settings import load_settings
from tests.agents.test_pipeline import _respond, _template
from tests.retrieval.online_server import FakeLiterature, FakePaper, online_overrides, serve

BODY = [("1 Introduction", "Raising the toy knob scale to three improves accuracy in toy experiments. " * 3),
        ("2 Method", "We raise the toy knob scale from one to three and measure the accuracy with seeds. " * 3)]
PAPERS = [FakePaper(f"w{i}", f"Scaling the toy knob, study {i}", f"We raise the toy knob scale and measure "
                    f"accuracy (study {i}).", arxiv_id=f"2301.0000{i}", body=BODY) for i in range(1, 4)] + [
    FakePaper("w4", "Toy knob scale and accuracy", "We raise the toy knob scale to three and measure accuracy.")]
# (w4 lists no open-access PDF: its abstract stays the online passage)
S2_KEY = "s2-run-key-abcdef012345"


@pytest.fixture
def fake() -> Iterator[FakeLiterature]:
    with serve(PAPERS) as state:
        yield state


def _answer(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    value = json.loads(_respond(messages, params))
    name = params["response_format"]["json_schema"]["name"]
    if name == "Queries":
        value.update(queries=["toy knob scale accuracy"], reasoning="Prior work on scaling the toy knob.")
    elif name == "NoveltyDecision":
        value.update(novel=False, cited=[1, 2, 3, 4, 5], reasoning="Study 1 already raises the knob.")
    return json.dumps(value)


def _run(tmp_path: Path, *extra: str) -> Any:
    from proctor.retrieval import Document, LiteratureIndex, add_documents

    settings = load_settings(None, [
        "llm.untrusted=mock/u", "llm.trusted=mock/t", "llm.reviewer=mock/r", "llm.allow_mock=true",
        f"runs_dir={tmp_path / 'runs'}", f"workflow.template={_template(tmp_path / 'toy')}",
        "workflow.num_ideas=1", "workflow.novelty_rounds=1", 'workflow.stages=["novelty"]',
        "workflow.reflection_rounds=0", "retrieval.embedder=hashing", f"retrieval.index_dir={tmp_path / 'index'}",
        'control.monitor={"type": "static"}',  # the learned one is tested elsewhere; this is about requests
        *extra])
    add_documents(LiteratureIndex(settings.retrieval), [Document(
        paper_id="loc1", title="A local paper on knobs", abstract="We turn a knob in a toy experiment.",
        text="We turn a knob in a toy experiment.", source="local.jsonl")])
    for name in ("u", "t", "r"):
        mock.script(name, _answer)
    run = anyio.run(start_run, settings, "toy scaling")
    assert run.header().status == "succeeded", run.header().status_detail
    [record] = [json.loads(p.read_text()) for p in (run.path / "novelty").glob("*.json")]
    return run, record


def test_an_online_run_cites_online_and_full_text_paragraphs(tmp_path: Path, fake: FakeLiterature,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMANTIC_SCHOLAR_API_KEY", S2_KEY)
    run, record = _run(tmp_path, *online_overrides(fake.base, str(tmp_path / "http")))
    assert record["status"] == "checked" and record["decided_by"] == "model" and record["novel"] is False
    origins = {c["origin"] for c in record["cited"]}
    assert {"fulltext", "online:semantic_scholar"} <= origins, origins
    assert any(c["origin"] == "fulltext" and c["passage"]["section"] in ("Introduction", "Method")
               for c in record["cited"])
    assert record["online"]["searches"][0]["source"] == "semantic_scholar"
    statuses = {f["paper_id"]: (f["status"], f["reason"]) for f in record["online"]["fulltext"]}
    assert statuses.get("s2:w4", ("skipped", "no open-access PDF listed")) == ("skipped", "no open-access PDF listed")
    assert "added" in {s for s, _ in statuses.values()}, statuses
    assert record["rule"]["calibrated"] is False and record["rule"]["threshold"] == 0.75  # hashing: no calibration
    # every request that left the machine was a gated, audited action whose digest covers source and URL
    decided = {e.action_digest for e in run.events.read() if e.event == "gate_decision"}
    search = record["online"]["searches"][0]["attempts"][0]
    first = next(f for f in record["online"]["fulltext"] if f["status"] == "added")
    for query, source, url in (("toy knob scale accuracy", "semantic_scholar", search["url"]),
                               (f"full text of: {first['title']}", "arxiv", first["url"])):
        action = Action(node="check_novelty", payload=LiteratureQuery(query=query, source=source, url=url))
        assert action.digest() in decided, (source, url)
    assert search["url"].startswith(f"{fake.base}/graph/v1/paper/search?query=toy") and S2_KEY not in search["url"]
    sent = {(r["service"], r["path"]) for r in fake.requests}
    assert ("s2", "/graph/v1/paper/search") in sent and ("pdf", "/pdf/2301.00001") in sent
    assert fake.requests[0]["headers"]["x-api-key"] == S2_KEY
    events = [e for e in run.events.read() if e.event == "online_search"]
    assert {(e.action, e.status) for e in events} >= {("search", "ok"), ("fulltext", "ok")}
    for path in run.path.rglob("*"):
        if path.is_file():
            assert S2_KEY.encode() not in path.read_bytes(), path


def test_offline_the_same_run_asks_nothing(tmp_path: Path, fake: FakeLiterature) -> None:
    overrides = [o for o in online_overrides(fake.base, str(tmp_path / "http")) if "enabled" not in o]
    _, record = _run(tmp_path, *overrides)
    assert fake.requests == [] and "online" not in record
    assert record["status"] == "checked" and {c["origin"] for c in record["cited"]} == {"local"}
    assert record["rule"]["novel"] == (record["signal"]["max_similarity"] < record["rule"]["threshold"])


def test_the_rule_decides_when_the_model_gives_no_verdict(tmp_path: Path) -> None:
    def no_verdict(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
        if params["response_format"]["json_schema"]["name"] == "NoveltyDecision":
            return "I cannot decide."
        return _answer(messages, params)

    from proctor.retrieval import Document, LiteratureIndex, add_documents

    settings = load_settings(None, [
        "llm.untrusted=mock/u", "llm.allow_mock=true", f"runs_dir={tmp_path / 'runs'}", "workflow.novelty_rounds=1",
        "retrieval.embedder=hashing", f"retrieval.index_dir={tmp_path / 'index'}", 'control.monitor={"type": "static"}'])
    add_documents(LiteratureIndex(settings.retrieval), [Document(
        paper_id="p0", title="Scaling the toy knob", abstract="Raise scale to 3.", text="Raise scale to 3.",
        source="local.jsonl")])
    from proctor.agents._context import RunContext
    from proctor.agents._novelty import check_idea_novelty
    from proctor.log import RunDir, use_log

    run = RunDir.create(tmp_path / "runs", "toy", settings=settings.public_dump(), settings_digest=settings.digest())
    ctx = RunContext(settings=settings, run=run)
    mock.script("u", no_verdict)

    async def go() -> Any:
        with use_log(run.events):
            return await check_idea_novelty(ctx, {"Name": "scale", "Title": "Scaling the toy knob",
                                                  "Experiment": "Raise scale to 3."}, [])

    record = anyio.run(go)
    assert record["decided_by"] == "rule" and record["novel"] is record["rule"]["novel"] is False
    assert "the model gave no verdict" in record["reasoning"] and record["cited"] == []
