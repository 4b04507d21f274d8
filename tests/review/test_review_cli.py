"""``proctor review PAPER``, ``review eval`` and ``review bench`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from proctor.cli._review import review_group
from proctor.llm import mock
from tests.review.review_helpers import PAPERS, as_json

MOCK = ["--set", "llm.reviewer=mock/rev", "--set", "llm.allow_mock=true", "--set", "review.num_reflections=0"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray proctor.toml
    monkeypatch.delenv("PROCTOR_CONFIG", raising=False)


def test_review_paper_prints_and_writes(tmp_path: Path) -> None:
    (tmp_path / "paper.md").write_text("# A paper\n\nWe study things.\n")
    mock.script("rev", [as_json(overall=7)])
    result = CliRunner().invoke(review_group, ["--out", "out", "paper.md", *MOCK])
    assert result.exit_code == 0, result.output
    assert "Decision: Accept" in result.output
    data = json.loads((tmp_path / "out" / "review.json").read_text())
    assert data["review"]["Overall"] == 7 and data["settings"]["num_reflections"] == 0
    assert (tmp_path / "out" / "review.md").read_text().startswith("# Review")


def test_review_paper_json(tmp_path: Path) -> None:
    (tmp_path / "paper.txt").write_text("We study things.")
    mock.script("rev", [as_json(overall=3)])
    result = CliRunner().invoke(review_group, ["paper", "paper.txt", "--json", *MOCK])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["review"]["Decision"] == "Reject"


def test_review_paper_errors_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 nonsense")
    result = CliRunner().invoke(review_group, ["bad.pdf", *MOCK])
    assert result.exit_code == 2 and "not a readable PDF" in result.output
    (tmp_path / "ok.txt").write_text("text")
    result = CliRunner().invoke(review_group, ["ok.txt", "--set", "review.num_reflections=-1"])
    assert result.exit_code == 2 and "num_reflections" in result.output
    result = CliRunner().invoke(review_group, ["ok.txt", "--set", "llm.reviewer=mock/rev"])
    assert result.exit_code == 1 and "scripted test model" in result.output


def test_eval_table_and_json(mini_bench: Path) -> None:
    args = ["eval", "--reviews", str(mini_bench / "llm_reviews" / "released.csv"),
            "--ratings", str(mini_bench / "ratings_subset.tsv")]
    table = CliRunner().invoke(review_group, args)
    assert table.exit_code == 0, table.output
    assert "balanced_accuracy" in table.output and "auc_overall" in table.output
    data = json.loads(CliRunner().invoke(review_group, [*args, "--json"]).output)
    # accepted p1 (7), p3 (5), p6 (8); rejected p2 (4), p4 (6), p5 (3): TP 2, FN 1, FP 1, TN 2
    assert data["n"] == 6 and data["balanced_accuracy"] == pytest.approx((2 / 3 + 2 / 3) / 2)
    assert data["fpr"] == pytest.approx(1 / 3)


def test_eval_rejects_a_file_without_the_columns(tmp_path: Path, mini_bench: Path) -> None:
    (tmp_path / "r.csv").write_text("id,score\na,3\n")
    result = CliRunner().invoke(review_group, ["eval", "--reviews", "r.csv",
                                               "--ratings", str(mini_bench / "ratings_subset.tsv")])
    assert result.exit_code == 2 and "'Overall'" in result.output


def test_bench_json(mini_bench: Path) -> None:
    mock.script("rev", lambda messages: as_json(overall=PAPERS[next(
        p for p in PAPERS if f"Paper {p}:" in str(messages[-1]["content"]))][1]))
    result = CliRunner().invoke(review_group, ["bench", "--n", "3", "--json", "--out", "ours.csv", *MOCK,
                                               "--set", f"review.bench_dir={mini_bench}"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["metrics"]["n"] == 3 and len(data["rows"]) == 3
    assert Path("ours.csv").read_text().startswith("paper_id,Summary,Questions")


def test_unknown_reviewer_lists_the_registered_ones(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("text")
    result = CliRunner().invoke(review_group, ["ok.txt", *MOCK, "--set", "review.reviewer=nope"])
    assert result.exit_code == 2 and "registered: neurips" in result.output
