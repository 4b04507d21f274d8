"""The ICLR bench harness on a miniature bench with a scripted reviewer."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anyio
import pytest

from proctor.llm import mock
from proctor.review import (
    BenchMissing,
    ReviewSettings,
    evaluate_reviews,
    find_bench_dir,
    run_bench,
    sample_papers,
)
from proctor.review._bench import read_papers
from tests.review.review_helpers import PAPERS, as_json, mock_settings


def test_sample_is_seeded_and_bounded() -> None:
    ids = [f"p{i}" for i in range(50)]
    assert sample_papers(ids, 5, seed=1) == sample_papers(list(reversed(ids)), 5, seed=1)
    assert sample_papers(ids, 5, seed=1) != sample_papers(ids, 5, seed=2)
    assert sorted(sample_papers(ids, 99)) == sorted(ids)


def test_papers_are_read_from_the_archive(mini_bench: Path) -> None:
    texts = read_papers(mini_bench / "papers.tar.gz", ["p2", "p5"])
    assert texts == {"p2": "Paper p2: a study of something.\n", "p5": "Paper p5: a study of something.\n"}
    with pytest.raises(BenchMissing, match="no text for nope"):
        read_papers(mini_bench / "papers.tar.gz", ["nope"])


def test_missing_bench_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(BenchMissing, match="review.bench_dir"):
        find_bench_dir(tmp_path)


def _by_paper(messages: list[dict[str, Any]]) -> str:
    pid = re.search(r"Paper (p\d)", str(messages[-1]["content"]))
    return as_json(overall=PAPERS[pid.group(1)][1] if pid else 5)


def test_run_bench_reviews_the_sample_and_scores_it(mini_bench: Path, tmp_path: Path) -> None:
    mock.script("rev", _by_paper)
    seen: list[str] = []
    out = tmp_path / "ours.csv"
    result = anyio.run(lambda: run_bench(mock_settings(), n=4, seed=3, bench_dir=mini_bench, out_csv=out,
                                         on_row=lambda row: seen.append(row.paper_id),
                                         review=ReviewSettings(num_reflections=0)))
    assert seen == sample_papers(list(PAPERS), 4, seed=3) == [r.paper_id for r in result.rows]
    assert result.model == "mock/rev" and result.metrics is not None and result.metrics.n == 4
    # our CSV is in the released format and scores the same through `review eval`'s code
    again = evaluate_reviews(out, mini_bench / "ratings_subset.tsv")
    assert again == result.metrics


def test_failed_reviews_are_recorded_not_fatal(mini_bench: Path) -> None:
    mock.script("rev", lambda messages: "garbage")
    settings = mock_settings()
    settings.llm.structured_retries = 0
    result = anyio.run(lambda: run_bench(settings, n=2, bench_dir=mini_bench,
                                         review=ReviewSettings(num_reflections=0)))
    assert result.metrics is None and all(r.error and r.review is None for r in result.rows)
