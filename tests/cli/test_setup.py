"""``proctor setup``: concurrent steps, a timing file, skips and failures reported per step."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from proctor.cli.main import cli


def _corpus(path: Path, n: int) -> Path:
    with gzip.open(path, "wt") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"p{i}", "title": f"Paper {i} on topic {i % 7}",
                                 "abstract": f"We study problem {i} with method {i % 5} and report results. " * 3,
                                 "venue": "test", "year": 2022}) + "\n")
    return path


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    return ["--set", "retrieval.embedder=hashing", "--set", f"retrieval.index_dir={tmp_path / 'index'}"]


def test_the_index_step_builds_once_and_writes_its_timing(tmp_path: Path, env: list[str]) -> None:
    corpus = _corpus(tmp_path / "corpus.jsonl.gz", 40)
    args = ["setup", "--skip", "sandbox", "--skip", "model", "--every", "0.1", "--timings", str(tmp_path / "t.json"),
            *env, "--set", f"retrieval.default_corpus={corpus}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    timings = json.loads((tmp_path / "t.json").read_text())
    index = timings["steps"]["index"]
    assert index["status"] == "done" and index["chunks"] == 40 and index["done"] == 40 and index["total"] == 40
    assert index["seconds"] is not None and index["seconds"] >= 0
    assert timings["steps"]["sandbox"]["status"] == "skipped" and timings["steps"]["model"]["status"] == "skipped"
    assert "[index] done 40/40" in result.output  # not a terminal: a line per change
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0
    assert "already in" in json.loads((tmp_path / "t.json").read_text())["steps"]["index"]["detail"]


def test_no_corpus_anywhere_is_a_skip_not_a_failure(tmp_path: Path, env: list[str]) -> None:
    args = ["setup", "--skip", "sandbox", "--skip", "model", "--timings", str(tmp_path / "t.json"), *env,
            "--set", f"retrieval.default_corpus={tmp_path / 'nowhere.jsonl.gz'}",
            "--set", f"retrieval.corpus_dir={tmp_path / 'dl'}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    step = json.loads((tmp_path / "t.json").read_text())["steps"]["index"]
    assert step["status"] == "skipped" and "novelty check will record a skip" in step["detail"]


def test_a_failing_step_is_named_and_exits_1_after_the_others(tmp_path: Path, env: list[str]) -> None:
    corpus = _corpus(tmp_path / "corpus.jsonl.gz", 5)
    args = ["setup", "--skip", "sandbox", "--timings", str(tmp_path / "t.json"), *env,
            "--set", f"retrieval.default_corpus={corpus}", "--set", "llm.untrusted=local/no-such-model"]
    result = CliRunner().invoke(cli, args)
    steps = json.loads((tmp_path / "t.json").read_text())["steps"]
    assert result.exit_code == 1
    assert steps["model"]["status"] == "failed" and "no-such-model" in steps["model"]["detail"]
    assert steps["index"]["status"] == "done"  # the model's failure did not stop the index
    assert "set-up failed: model" in result.output


def test_the_terminal_table_shows_each_step_by_name() -> None:
    from io import StringIO

    from rich.console import Console

    from proctor.cli._setup import Board

    out = StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    board = Board(console, every_s=15)
    board.update("index", status="running", total=100, detail="embedding abstracts")
    board.update("index", advance=40)
    console.print(board.table())
    text = out.getvalue()
    assert "[index] running 40/100 (40%" in text and "[sandbox] waiting" in text  # names are not eaten as markup


def test_a_corpus_that_is_not_a_corpus_fails_the_step_with_the_reason(tmp_path: Path, env: list[str]) -> None:
    bogus = tmp_path / "passwd"
    bogus.write_text("root:x:0:0:root:/root:/bin/bash\n")
    args = ["setup", "--skip", "sandbox", "--skip", "model", "--timings", str(tmp_path / "t.json"), *env,
            "--set", f"retrieval.default_corpus={bogus}"]
    result = CliRunner().invoke(cli, args)
    step = json.loads((tmp_path / "t.json").read_text())["steps"]["index"]
    assert result.exit_code == 1 and step["status"] == "failed"
    assert "unsupported file type" in step["detail"] and str(bogus) in step["detail"]
