"""``proctor corpus search --online`` merges local and online results with their sources; ``corpus
build-default`` finds the corpus wherever it is configured, fetches it from its public source with
``--download``, and says how to obtain it when it is nowhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from proctor.cli._corpus import corpus_group
from tests.retrieval.online_server import FakeLiterature, FakePaper, online_overrides, serve

PAPERS = [FakePaper("p1", "Sparse attention for long documents", "Sparse attention scales to long documents.",
                    arxiv_id="2101.00001"),
          FakePaper("p2", "Graph networks for molecules", "Message passing on molecules.")]
RECORDS = [{"id": f"r{i}", "title": f"Record {i} on sparse attention", "authors": ["A. B."], "year": 2022,
            "abstract": f"Abstract {i} about sparse attention and long documents.", "conference": "iclr",
            "topic": "", "paper_url": ""} for i in range(3)]


@pytest.fixture
def fake() -> Iterator[FakeLiterature]:
    with serve(PAPERS) as state:
        state.files["/data/iclr/2022.json"] = json.dumps(RECORDS).encode()
        yield state


def _opts(tmp_path: Path, *flags: str) -> list[str]:
    out = ["--set", "retrieval.embedder=hashing", "--set", f"retrieval.index_dir={tmp_path / 'idx'}",
           "--set", f"retrieval.corpus_dir={tmp_path / 'corpus'}", "--set", f"retrieval.shared_dir={tmp_path / 'nope'}"]
    for f in flags:
        out += ["--set", f]
    return out


def test_search_online_merges_with_sources(tmp_path: Path, jsonl_gz: Path, fake: FakeLiterature) -> None:
    runner = CliRunner()
    opts = _opts(tmp_path, *online_overrides(fake.base, str(tmp_path / "http")))
    assert runner.invoke(corpus_group, ["add", str(jsonl_gz), "--json", *opts]).exit_code == 0
    res = runner.invoke(corpus_group, ["search", "sparse attention long documents", "--online", "--json", *opts])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    origins = {h["origin"] for h in out["hits"]}
    assert origins == {"local", "online:semantic_scholar"}, origins
    assert out["online"]["source"] == "semantic_scholar" and out["online"]["papers"] == 1
    table = runner.invoke(corpus_group, ["search", "sparse attention long documents", "--online", *opts],
                          env={"COLUMNS": "250"})
    assert table.exit_code == 0 and "online:semantic_scholar" in table.stdout and "local" in table.stdout
    assert "semantic_scholar: ok (1 papers)" in table.stderr
    assert sum(r["service"] == "s2" for r in fake.requests) == 1  # the second search came from the cache


def test_search_without_online_asks_nothing(tmp_path: Path, jsonl_gz: Path, fake: FakeLiterature) -> None:
    runner = CliRunner()
    opts = _opts(tmp_path, *online_overrides(fake.base, str(tmp_path / "http")))
    runner.invoke(corpus_group, ["add", str(jsonl_gz), "--json", *opts])
    res = runner.invoke(corpus_group, ["search", "sparse attention", "--json", *opts])
    assert res.exit_code == 0 and isinstance(json.loads(res.stdout), list) and fake.requests == []


def test_build_default_says_how_to_obtain_the_corpus(tmp_path: Path) -> None:
    res = CliRunner().invoke(corpus_group, ["build-default", *_opts(tmp_path)])
    assert res.exit_code == 1
    for needle in ("was not found", "does not exist", "build-default --download", "retrieval.default_corpus=",
                   "proctor corpus add", "novelty check records a skip"):
        assert needle in res.output, needle


def test_build_default_from_a_configured_path(tmp_path: Path, jsonl_gz: Path) -> None:
    res = CliRunner().invoke(corpus_group, ["build-default", "--json", *_opts(tmp_path),
                                            "--set", f"retrieval.default_corpus={jsonl_gz}"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["papers"] == 3


def test_build_default_downloads_its_public_source(tmp_path: Path, fake: FakeLiterature) -> None:
    opts = _opts(tmp_path, f'retrieval.default_corpus_urls=["{fake.base}/data/iclr/2022.json"]')
    res = CliRunner().invoke(corpus_group, ["build-default", "--download", "--json", *opts])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["papers"] == 3
    assert (tmp_path / "corpus" / "ml-venues-2020-2024.jsonl.gz").is_file()
    again = CliRunner().invoke(corpus_group, ["build-default", "--json", *opts])  # the copy is found, not fetched
    assert again.exit_code == 0 and json.loads(again.stdout)["files_unchanged"] and fake.count("other") == 1
    fake.files.clear()
    (tmp_path / "corpus" / "ml-venues-2020-2024.jsonl.gz").unlink()
    gone = CliRunner().invoke(corpus_group, ["build-default", "--download", *opts])
    assert gone.exit_code == 1 and "cannot fetch the default corpus" in gone.output
