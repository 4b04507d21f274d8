"""The ICLR 2022 review benchmark: review a seeded sample of its 500 papers and score the reviews.

The bench directory (see ``/work/shared/data/README.md``) holds ``ratings_subset.tsv`` (real
decisions), ``papers.tar.gz`` (paper texts, read in memory, never extracted) and
``llm_reviews/*.csv`` (the AI Scientist's released reviews).
"""

from __future__ import annotations

import csv
import io
import os
import random
import tarfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from proctor.llm import StructuredOutputError, get_model
from proctor.paths import find_shared_data, shared_candidates
from proctor.review._form import ReviewForm
from proctor.review._metrics import ReviewMetrics, load_decisions, score_reviews
from proctor.review._reviewer import build_reviewer
from proctor.settings import ReviewSettings, review_settings

BENCH_NAME = "iclr2022-review-bench"
RATINGS, PAPERS, RELEASED = "ratings_subset.tsv", "papers.tar.gz", "llm_reviews"
PUBLISHED_CSV = "gpt-4o-2024-05-13_temp_0_1_fewshot_1_reflect_5_ensemble_5_pages_all.csv"
"""The released reviews behind the published figures (gpt-4o, 1-shot, reflect 5, ensemble 5)."""
CSV_COLUMNS = ["paper_id", "Summary", "Questions", "Limitations", "Ethical Concerns", "Soundness",
               "Presentation", "Contribution", "Overall", "Confidence", "Strengths", "Weaknesses",
               "Originality", "Quality", "Clarity", "Significance", "Decision"]
"""Column order of the released review CSVs (ours are written the same way)."""


class BenchMissing(FileNotFoundError):
    """The benchmark data is not where it was looked for; the message says where to put it."""


def find_bench_dir(explicit: str | Path | None = None) -> Path:
    """The bench directory: ``explicit``, ``$PROCTOR_REVIEW_BENCH``, else ``../shared/data/...``.

    ``../shared`` is found by :func:`proctor.paths.find_shared_data` (next to the repository
    checkout or the working directory).

    Raises:
        BenchMissing: when no candidate holds ``ratings_subset.tsv``.
    """
    named = explicit or os.environ.get("PROCTOR_REVIEW_BENCH")
    if named:
        if (Path(named) / RATINGS).is_file():
            return Path(named)
        where = str(named)
    else:
        shared = find_shared_data(holding=f"data/{BENCH_NAME}/{RATINGS}")
        if shared is not None:
            return shared / "data" / BENCH_NAME
        where = ", ".join(str(path / "data" / BENCH_NAME) for path in shared_candidates())
    raise BenchMissing(
        f"no ICLR 2022 review bench at {where}; set review.bench_dir or "
        "$PROCTOR_REVIEW_BENCH to the directory holding ratings_subset.tsv")


def sample_papers(paper_ids: Sequence[str], n: int, seed: int = 0) -> list[str]:
    """``n`` paper ids drawn without replacement, reproducibly for a given ``seed``."""
    ids = sorted(paper_ids)
    return random.Random(seed).sample(ids, min(n, len(ids)))


def read_papers(tar_path: Path, paper_ids: Sequence[str]) -> dict[str, str]:
    """Texts of ``paper_ids`` from ``papers.tar.gz`` (``papers/<id>.txt``), read in memory.

    Raises:
        BenchMissing: when an id has no text in the archive.
    """
    wanted = {f"papers/{pid}.txt": pid for pid in paper_ids}
    found: dict[str, str] = {}
    with tarfile.open(tar_path, "r:gz") as archive:
        for member in archive:
            pid = wanted.get(member.name)
            if pid is None or not member.isfile():
                continue
            handle = archive.extractfile(member)
            if handle is not None:
                found[pid] = handle.read().decode("utf-8", errors="replace")
    lost = sorted(set(paper_ids) - set(found))
    if lost:
        raise BenchMissing(f"{tar_path} has no text for {', '.join(lost[:5])}")
    return found


class BenchRow(BaseModel):
    """One reviewed paper."""

    paper_id: str
    accepted: bool = Field(description="The real decision.")
    review: ReviewForm | None = Field(default=None, description="The final review (None when it failed).")
    seconds: float = Field(description="Wall time of the review.")
    error: str | None = None


class BenchResult(BaseModel):
    """The sample's reviews and their metrics."""

    metrics: ReviewMetrics | None = Field(description="None when no review succeeded.")
    rows: list[BenchRow]
    model: str
    seed: int
    settings: ReviewSettings


async def run_bench(
    settings: Any,
    *,
    n: int,
    seed: int = 0,
    bench_dir: str | Path | None = None,
    out_csv: Path | None = None,
    on_row: Callable[[BenchRow], None] | None = None,
    review: ReviewSettings | None = None,
) -> BenchResult:
    """Review ``n`` sampled bench papers one after another and score them.

    Args:
        settings: Root settings (``settings.review`` and the ``reviewer`` role's model).
        n: Papers to review.
        seed: Sampling seed.
        bench_dir: Bench directory (default: :func:`find_bench_dir` of ``review.bench_dir``).
        out_csv: When given, the reviews are written there in the released CSV format.
        on_row: Called after each paper (progress reporting).
        review: Review settings overriding ``settings.review``.

    Raises:
        BenchMissing: when the bench data is not found.
        BudgetExceeded, ModelUnavailable: from the gateway (a paper whose output never
            validates is recorded as failed instead).
    """
    review = review or review_settings(settings)
    root = find_bench_dir(bench_dir or review.bench_dir)
    decisions = load_decisions(root / RATINGS)
    ids = sample_papers(list(decisions), n, seed)
    texts = read_papers(root / PAPERS, ids)
    reviewer = build_reviewer(settings, review)
    rows: list[BenchRow] = []
    for pid in ids:
        started = time.perf_counter()
        try:
            result = await reviewer(texts[pid])
            row = BenchRow(paper_id=pid, accepted=decisions[pid], review=result.review,
                           seconds=time.perf_counter() - started)
        except StructuredOutputError as exc:
            row = BenchRow(paper_id=pid, accepted=decisions[pid], seconds=time.perf_counter() - started,
                           error=str(exc)[:500])
        rows.append(row)
        if on_row is not None:
            on_row(row)
    if out_csv is not None:
        write_reviews_csv(rows, out_csv)
    overall = {r.paper_id: (float(r.review.overall) if r.review else None) for r in rows}
    metrics = score_reviews(overall, decisions, review.accept_threshold) if any(
        v is not None for v in overall.values()) else None
    return BenchResult(metrics=metrics, rows=rows, model=get_model("reviewer", settings).name, seed=seed,
                       settings=review)


def write_reviews_csv(rows: Sequence[BenchRow], path: Path) -> None:
    """Write reviews in the released CSV format (lists as Python reprs, as released); failed rows blank."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in rows:
        data: dict[str, Any] = {"paper_id": row.paper_id}
        if row.review is not None:
            data |= {k: (str(v) if isinstance(v, list | bool) else v)
                     for k, v in row.review.to_json_dict().items()}
        writer.writerow(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
