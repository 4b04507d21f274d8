"""Online sources against a local server in their documented shapes: paging, 429 with Retry-After, 5xx,
malformed answers, timeouts, the fallback chain, the on-disk cache, keys kept out of everything written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from proctor.log import RunDir, use_log
from proctor.retrieval import (
    ONLINE_SOURCES,
    OnlineError,
    OnlineHTTP,
    OnlineLiterature,
    RetrievalSettings,
    get_source,
    redact,
)
from proctor.settings import load_settings
from tests.retrieval.online_server import FakeLiterature, FakePaper, online_overrides, serve

PAPERS = [
    FakePaper("p1", "Sparse attention for long documents", "We propose sparse attention that scales linearly "
              "with sequence length for long documents.", arxiv_id="2101.00001",
              body=[("1 Introduction", "Long documents need attention that scales. " * 5),
                    ("2 Method", "Sparse attention keeps a few keys per query. " * 5)]),
    FakePaper("p2", "Sparse mixtures of experts for documents", "Sparse routing of tokens to experts for "
              "long documents.", arxiv_id="2101.00002"),
    FakePaper("p3", "Attention sinks in long documents", "Long documents and attention sinks.", arxiv_id=None),
    FakePaper("p4", "Graph neural networks for molecules", "Message passing predicts molecular properties."),
    FakePaper("p5", "Sparse long attention revisited", "Attention for long sequences, sparse again.",
              arxiv_id="2101.00005"),
]
S2_KEY = "s2-secret-key-0123456789"
OA_KEY = "oa-secret-key-9876543210"


@pytest.fixture
def fake() -> Iterator[FakeLiterature]:
    with serve(PAPERS) as state:
        yield state


def _settings(tmp_path: Path, base: str, *extra: str) -> RetrievalSettings:
    flags = [*online_overrides(base, str(tmp_path / "http")), "retrieval.embedder=hashing",
             f"retrieval.index_dir={tmp_path / 'index'}", *extra]
    return load_settings(None, flags).retrieval


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def test_the_three_sources_are_registered() -> None:
    assert {"semantic_scholar", "openalex", "arxiv"} <= set(ONLINE_SOURCES.names())


def test_semantic_scholar_pages_through_a_search(tmp_path: Path, fake: FakeLiterature) -> None:
    settings = _settings(tmp_path, fake.base, "retrieval.online.semantic_scholar.page_size=2",
                         "retrieval.online.semantic_scholar.max_results=5")
    s2 = get_source("semantic_scholar", OnlineHTTP(settings), settings)
    papers = s2.search("sparse attention long documents")
    offsets = [r["params"]["offset"] for r in fake.requests if r["path"] == "/graph/v1/paper/search"]
    assert offsets == ["0", "2"]  # four papers match: the second page has no "next"
    assert len(papers) == 4
    first = papers[0]
    assert first.paper_id == "s2:p1" and first.arxiv_id == "2101.00001" and first.authors == "Ada Lovelace"
    assert first.pdf_url == f"{fake.base}/pdf/2101.00001" and first.year == 2022


def test_semantic_scholar_details_and_references(tmp_path: Path, fake: FakeLiterature) -> None:
    settings = _settings(tmp_path, fake.base)
    s2 = get_source("semantic_scholar", OnlineHTTP(settings), settings)
    assert s2.details("s2:p4").title == "Graph neural networks for molecules"  # type: ignore[attr-defined]
    refs = s2.references("p1", limit=3)  # type: ignore[attr-defined]
    assert [r.paper_id for r in refs] == ["s2:p2", "s2:p3", "s2:p4"]


def test_openalex_rebuilds_abstracts_and_pages(tmp_path: Path, fake: FakeLiterature,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENALEX_API_KEY", OA_KEY)
    settings = _settings(tmp_path, fake.base, "retrieval.online.openalex.page_size=1",
                         "retrieval.online.openalex.max_results=2")
    oa = get_source("openalex", OnlineHTTP(settings), settings)
    papers = oa.search("sparse attention long documents")
    assert [r["params"]["page"] for r in fake.requests] == ["1", "2"]
    assert all(r["params"]["api_key"] == OA_KEY for r in fake.requests)  # added on the wire
    assert papers[0].abstract == PAPERS[0].abstract and papers[0].arxiv_id == "2101.00001"
    assert OA_KEY not in oa.search_url("sparse attention")


def test_arxiv_reads_the_atom_feed(tmp_path: Path, fake: FakeLiterature) -> None:
    settings = _settings(tmp_path, fake.base, "retrieval.online.arxiv.page_size=1",
                         "retrieval.online.arxiv.max_results=2")
    ax = get_source("arxiv", OnlineHTTP(settings), settings)
    papers = ax.search("sparse long attention")
    assert [r["params"]["start"] for r in fake.requests] == ["0", "1"]
    assert fake.requests[0]["params"]["search_query"].startswith("all:sparse AND all:long")
    assert [p.paper_id for p in papers] == ["arxiv:2101.00001", "arxiv:2101.00005"]
    assert papers[0].pdf_url == f"{fake.base}/pdf/2101.00001v1" and papers[0].abstract.startswith("We propose")


def test_429_waits_for_retry_after_then_succeeds(tmp_path: Path, fake: FakeLiterature) -> None:
    settings = _settings(tmp_path, fake.base)
    sleeps = Sleeps()
    http = OnlineHTTP(settings, sleep=sleeps)
    fake.fail("s2", "429:2", "503")
    papers = get_source("semantic_scholar", http, settings).search("graph molecules")
    assert [p.paper_id for p in papers] == ["s2:p4"]
    assert sleeps[0] == 2.0 and len(sleeps) == 2  # Retry-After honoured, then a backoff for the 503
    assert http.stats.sent["semantic_scholar"] == 3 and http.stats.retries["semantic_scholar"] == 2


def test_a_retry_after_beyond_the_limit_moves_the_chain_on(tmp_path: Path, fake: FakeLiterature) -> None:
    lit = OnlineLiterature(_settings(tmp_path, fake.base), http=None)
    fake.fail("s2", "429:3600")
    result = lit.search("sparse attention")
    assert [(a.source, a.status) for a in result.attempts] == [
        ("semantic_scholar", "failed"), ("openalex", "skipped"), ("arxiv", "ok")]
    assert "Retry-After 3600s" in result.attempts[0].reason and "OPENALEX_API_KEY" in result.attempts[1].reason
    assert result.source == "arxiv" and fake.count("s2") == 1  # not retried: the wait is over max_wait_s


def test_5xx_malformed_and_timeouts_fall_back(tmp_path: Path, fake: FakeLiterature,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENALEX_API_KEY", OA_KEY)
    settings = _settings(tmp_path, fake.base, "retrieval.online.max_attempts=2",
                         "retrieval.online.openalex.timeout_s=0.3")
    lit = OnlineLiterature(settings)
    fake.fail("s2", "500", "500")
    fake.fail("openalex", "slow:1", "slow:1")
    fake.fail("arxiv", "malformed")
    result = lit.search("sparse attention")
    assert [(a.source, a.status) for a in result.attempts] == [
        ("semantic_scholar", "failed"), ("openalex", "failed"), ("arxiv", "failed")]
    reasons = [a.reason for a in result.attempts]
    assert "HTTP 500" in reasons[0] and "Timeout" in reasons[1] and "malformed answer" in reasons[2]
    assert result.papers == [] and result.source is None
    assert fake.count("s2") == 2 and fake.count("openalex") == 2 and fake.count("arxiv") == 1


def test_malformed_json_is_an_online_error(tmp_path: Path, fake: FakeLiterature) -> None:
    settings = _settings(tmp_path, fake.base)
    fake.fail("s2", "malformed")
    with pytest.raises(OnlineError, match="malformed answer"):
        get_source("semantic_scholar", OnlineHTTP(settings), settings).search("sparse")


def test_a_repeated_search_is_answered_from_the_disk_cache(tmp_path: Path, fake: FakeLiterature) -> None:
    settings = _settings(tmp_path, fake.base)
    first = OnlineLiterature(settings)
    first.search("sparse attention")
    first.close()
    sent = len(fake.requests)
    again = OnlineLiterature(settings)  # a new process would open the same cache file
    result = again.search("sparse attention")
    assert result.source == "semantic_scholar" and len(fake.requests) == sent
    assert again.http.stats.hit_rate() == 1.0


def test_keys_reach_the_service_and_nothing_written(tmp_path: Path, fake: FakeLiterature,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMANTIC_SCHOLAR_API_KEY", S2_KEY)
    monkeypatch.setenv("OPENALEX_API_KEY", OA_KEY)
    settings = _settings(tmp_path, fake.base, "retrieval.online.max_attempts=1")
    run = RunDir.create(tmp_path / "runs", "keys", settings={}, settings_digest="x")
    lit = OnlineLiterature(settings)
    fake.fail("s2", "500")
    errors: list[str] = []
    with use_log(run.events):
        result = lit.search("sparse attention")  # s2 fails, openalex answers
        lit.store(result.papers)
        try:
            get_source("openalex", lit.http, settings).search("graph")
            fake.fail("openalex", "500")
            get_source("openalex", lit.http, settings).search("attention sinks")
        except OnlineError as exc:
            errors.append(str(exc))
    lit.close()
    assert result.source == "openalex" and errors and "HTTP 500" in errors[0], (result.attempts, errors)
    assert fake.requests[0]["headers"]["x-api-key"] == S2_KEY, fake.requests[0]
    assert any(r["params"].get("api_key") == OA_KEY for r in fake.requests)
    written = [p for p in [*tmp_path.rglob("*")] if p.is_file()]
    assert any(p.name == "http-cache.sqlite" for p in written)
    for path in written:
        data = path.read_bytes()
        assert S2_KEY.encode() not in data and OA_KEY.encode() not in data, path
    texts: list[Any] = [*errors, *(a.model_dump_json() for a in result.attempts)]
    assert not any(S2_KEY in t or OA_KEY in t for t in texts)
    assert redact(f"x {OA_KEY} y") == "x *** y"


def test_online_off_leaves_no_source_reachable_by_default() -> None:
    assert RetrievalSettings().online.enabled is False


def test_an_online_query_shows_source_and_url_and_a_local_one_is_unchanged() -> None:
    from proctor.control import Action, LiteratureQuery, render_action

    local = LiteratureQuery(query="sparse attention")
    assert local.model_dump(mode="json") == {"kind": "query", "query": "sparse attention"}  # the digest as before
    online = Action(node="check_novelty", payload=LiteratureQuery(
        query="sparse attention", source="semantic_scholar", url="http://x/graph/v1/paper/search?query=sparse"))
    assert "online request to semantic_scholar: GET http://x/graph/v1/paper/search?query=sparse" in render_action(online)
    assert online.digest() != Action(node="check_novelty", payload=local).digest()


def test_a_key_is_sent_only_to_its_own_service(tmp_path: Path, fake: FakeLiterature,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMANTIC_SCHOLAR_API_KEY", S2_KEY)
    settings = _settings(tmp_path, fake.base, "retrieval.online.semantic_scholar.base_url=http://localhost:1")
    http = OnlineHTTP(settings)
    http.get(f"{fake.base}/graph/v1/paper/p1", source="semantic_scholar")  # another host than its base_url
    assert "x-api-key" not in fake.requests[0]["headers"]
