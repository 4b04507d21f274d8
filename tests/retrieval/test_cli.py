"""`proctor corpus` commands, end to end with the hashing embedder in a temporary index."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from proctor.cli._corpus import corpus_group
from proctor.retrieval._lock import index_lock


def _opts(tmp_path: Path) -> list[str]:
    return ["--set", "retrieval.embedder=hashing", "--set", f"retrieval.index_dir={tmp_path / 'idx'}"]


def test_add_search_stats(tmp_path: Path, jsonl_gz: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 nope")
    res = runner.invoke(corpus_group, ["add", str(jsonl_gz), str(bad), *_opts(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "1 files added" in res.output and "corrupt PDF" in res.output
    res = runner.invoke(corpus_group, ["add", str(jsonl_gz), *_opts(tmp_path)])
    assert "1 unchanged" in res.output
    res = runner.invoke(corpus_group, ["search", "graph neural network molecules", "--json", *_opts(tmp_path)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)[0]["passage"]["paper_id"] == "p2"
    res = runner.invoke(corpus_group, ["search", "backdoor", *_opts(tmp_path)])
    assert res.exit_code == 0 and "Backdoor" in res.output
    res = runner.invoke(corpus_group, ["stats", "--json", *_opts(tmp_path)])
    assert json.loads(res.output)["papers"] == 3


def test_clear_errors(tmp_path: Path, jsonl_gz: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(corpus_group, ["search", "anything", *_opts(tmp_path)])
    assert res.exit_code == 1 and "is empty" in res.output
    with index_lock(tmp_path / "idx"):
        res = runner.invoke(corpus_group, ["add", str(jsonl_gz), *_opts(tmp_path)])
    assert res.exit_code == 1 and "being written by another process" in res.output
    res = runner.invoke(corpus_group, ["stats", "--set", "retrieval.embedder=/no/such/model"])
    assert res.exit_code == 1 and "not available locally" in res.output
    res = runner.invoke(corpus_group, ["build-default", *_opts(tmp_path),
                                       "--set", f"retrieval.shared_dir={tmp_path / 'nope'}"])
    assert res.exit_code == 1 and "does not exist" in res.output
