"""Fixtures: a miniature ICLR review bench (ratings, paper texts in a tar.gz, released reviews)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from tests.review.review_helpers import PAPERS


@pytest.fixture
def mini_bench(tmp_path: Path) -> Path:
    """A bench directory with six papers and a released-reviews CSV of their Overall scores."""
    root = tmp_path / "bench"
    (root / "llm_reviews").mkdir(parents=True)
    rows = ["paper_id\t0\t1\tdecision"] + [f"{pid}\t5.0\t6.0\t{dec}" for pid, (dec, _) in PAPERS.items()]
    (root / "ratings_subset.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with tarfile.open(root / "papers.tar.gz", "w:gz") as archive:
        for pid in PAPERS:
            data = f"Paper {pid}: a study of something.\n".encode()
            info = tarfile.TarInfo(f"papers/{pid}.txt")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    reviews = ["paper_id,Summary,Overall,Decision"] + [
        f'{pid},"A summary, with a comma",{overall},Reject' for pid, (_, overall) in PAPERS.items()]
    (root / "llm_reviews" / "released.csv").write_text("\n".join(reviews) + "\n", encoding="utf-8")
    return root
