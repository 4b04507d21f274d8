"""``proctor review PAPER``, ``proctor review eval`` and ``proctor review bench``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import click
from rich.markdown import Markdown
from rich.table import Table

from proctor.cli._common import EXIT_USAGE, clean_errors, console, err_console, fail, settings_options


class _ReviewGroup(click.Group):
    """A group whose unknown first argument is a paper: ``review PAPER`` means ``review paper PAPER``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Route ``review FILE ...`` (and ``review --out D FILE``) to the ``paper`` command."""
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["paper", *args]
        return super().parse_args(ctx, args)


review_group = _ReviewGroup(
    "review", help="Review a paper (`proctor review PAPER`), or evaluate reviews against ICLR 2022.")


def _load(config: str | None, overrides: tuple[str, ...]) -> tuple[Any, Any]:
    """Settings and review settings; ``review.*`` overrides apply even before the root nests them."""
    from proctor.review import ReviewSettings, review_settings
    from proctor.settings import Settings, SettingsError, load_settings, parse_overrides

    if "review" in Settings.model_fields:
        settings = load_settings(config, overrides)
        return settings, review_settings(settings)
    own = tuple(o for o in overrides if o.strip().startswith("review."))
    settings = load_settings(config, tuple(o for o in overrides if o not in own))
    try:
        review = ReviewSettings(**parse_overrides(own).get("review", {}))
    except ValueError as exc:
        raise SettingsError(f"invalid review settings: {exc}") from exc
    return settings, review


def _metrics_table(title: str, metrics: Any) -> Table:
    table = Table("metric", "value", title=title)
    for name in ("n", "positives", "predicted_positives", "balanced_accuracy", "accuracy", "f1", "auc",
                 "auc_overall", "fpr", "fnr", "missing"):
        value = getattr(metrics, name)
        table.add_row(name, "n/a" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value))
    return table


@review_group.command("paper")
@click.argument("paper", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Directory to write review.json and review.md into.")
@click.option("--json", "as_json", is_flag=True, help="Print the review as JSON instead of Markdown.")
@settings_options
@clean_errors
def paper_command(paper: str, out: str | None, as_json: bool, config: str | None,
                  overrides: tuple[str, ...]) -> None:
    """Review PAPER (a PDF, .txt, .md or .tex file) with the configured reviewer model."""
    from proctor.registry import UnknownComponent
    from proctor.review import PaperTextError, load_paper_text, review_paper

    settings, review = _load(config, overrides)
    try:
        text = load_paper_text(paper)
    except PaperTextError as exc:
        fail(str(exc), EXIT_USAGE)
    try:
        with err_console.status(f"reviewing {paper} with {settings.llm.reviewer}..."):
            result = asyncio.run(review_paper(text, settings, out_dir=Path(out) if out else None,
                                              review=review))
    except UnknownComponent as exc:
        fail(f"{exc}; set review.reviewer to one of them", EXIT_USAGE)
    if as_json:
        click.echo(json.dumps(result.to_json_dict(), indent=2))
    else:
        console.print(Markdown(result.to_markdown()))
    if out:
        err_console.print(f"wrote {Path(out) / 'review.json'} and {Path(out) / 'review.md'}")


@review_group.command("eval")
@click.option("--reviews", "reviews", type=click.Path(exists=True, dir_okay=False), required=True,
              help="Reviews CSV with paper_id and Overall columns (the released format).")
@click.option("--ratings", "ratings", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Ratings TSV with paper_id and decision (default: the bench's ratings_subset.tsv).")
@click.option("--threshold", type=float, default=6.0, show_default=True, help="Overall counted as accept.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def eval_command(reviews: str, ratings: str | None, threshold: float, as_json: bool) -> None:
    """Balanced accuracy, F1, AUC and false-positive rate of REVIEWS against real decisions."""
    from proctor.review import BenchMissing, evaluate_reviews, find_bench_dir

    try:
        ratings_path = Path(ratings) if ratings else find_bench_dir() / "ratings_subset.tsv"
        metrics = evaluate_reviews(reviews, ratings_path, threshold)
    except (BenchMissing, ValueError) as exc:
        fail(str(exc), EXIT_USAGE)
    if as_json:
        click.echo(metrics.model_dump_json(indent=2))
    else:
        console.print(_metrics_table(Path(reviews).name, metrics))


@review_group.command("bench")
@click.option("--n", "n", type=click.IntRange(min=1), default=20, show_default=True, help="Papers to review.")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling seed.")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Write the reviews to this CSV (the released format, for `review eval`).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@settings_options
@clean_errors
def bench_command(n: int, seed: int, out: str | None, as_json: bool, config: str | None,
                  overrides: tuple[str, ...]) -> None:
    """Review a seeded sample of N ICLR 2022 papers and score the reviews against the decisions."""
    from proctor.registry import UnknownComponent
    from proctor.review import BenchMissing, run_bench

    settings, review = _load(config, overrides)

    def progress(row: Any) -> None:
        if not as_json:
            verdict = f"Overall {row.review.overall}" if row.review else f"failed: {row.error}"
            truth = "accepted" if row.accepted else "rejected"
            err_console.print(f"{row.paper_id}: {verdict} (really {truth}) in {row.seconds:.1f} s")

    try:
        result = asyncio.run(run_bench(settings, n=n, seed=seed, review=review,
                                       out_csv=Path(out) if out else None, on_row=progress))
    except (BenchMissing, UnknownComponent) as exc:
        fail(str(exc), EXIT_USAGE)
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    elif result.metrics is None:
        fail("no review succeeded; see the errors above")
    else:
        console.print(_metrics_table(f"{result.model} on {n} ICLR 2022 papers (seed {seed})", result.metrics))

