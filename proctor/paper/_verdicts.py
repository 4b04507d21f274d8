"""The results text the harness writes from the statistics, deterministically, in plain text.

Dataset, metric and condition names come from untrusted results files: what is returned here is
plain text that each format escapes as a whole (like the model's prose), never markup.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from proctor.paper._stats import ALPHA

if TYPE_CHECKING:
    from proctor.paper._stats import Comparison, Summary

HARNESS_MARK = ("Written by Proctor's harness from the results files (deterministic; not by the model): "
                "Welch's t-test per metric, Benjamini-Hochberg correction across all of this paper's tests, "
                f"alpha = {ALPHA:g}.")
COLUMNS = ["dataset", "metric", "baseline [95% CI]", "idea [95% CI]", "difference [95% CI]", "Hedges' g",
           "p (adjusted)", "verdict"]
MAX_LISTED = 12


def _n(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.4g}"


def _side(s: Summary) -> str:
    interval = f" [{_n(s.ci[0])}, {_n(s.ci[1])}]" if s.ci else ""
    return f"{_n(s.mean)}{interval} (n={s.n})"


def _difference(c: Comparison) -> str:
    interval = f" [{_n(c.difference_ci[0])}, {_n(c.difference_ci[1])}]" if c.difference_ci else ""
    return f"{c.difference:+.4g}{interval}"


def _p(c: Comparison) -> str:
    if c.p is None:
        return "n/a"
    return f"{_n(c.p)} ({_n(c.p_adjusted)})"


def comparison_rows(comparisons: list[Comparison]) -> list[list[str]]:
    """One row per comparison under :data:`COLUMNS` (plain text; the idea condition is in the verdict)."""
    rows = []
    for c in comparisons:
        verdict = c.verdict if c.condition in ("idea", "") else f"{c.condition}: {c.verdict}"
        rows.append([c.dataset, c.metric, _side(c.baseline), _side(c.idea), _difference(c), _n(c.hedges_g),
                     _p(c), verdict])
    return rows


def _sentence(c: Comparison) -> str:
    who = "the idea" if c.condition == "idea" else f"condition {c.condition}"
    known = "" if c.better else " (the metric's name does not say which direction is better)"
    return (f"On {c.dataset}, {c.metric} was {c.verdict} with {who}{known}: {_side(c.idea)} against the "
            f"baseline's {_side(c.baseline)}; difference {_difference(c)}, Hedges' g {_n(c.hedges_g)}, "
            f"adjusted p {_n(c.p_adjusted)}.")


def statistics_text(comparisons: list[Comparison], seeds_note: str = "") -> list[str]:
    """Paragraphs stating what the numbers show, verdict by verdict; the first marks them as the harness's."""
    if not comparisons:
        return [HARNESS_MARK, "No metric was reported by both the baseline and the idea, so nothing was compared."]
    counts = Counter(c.verdict for c in comparisons)
    tested = sum(v for k, v in counts.items() if k != "not tested")
    sides = sorted({(c.baseline.n, c.idea.n) for c in comparisons})
    runs = "; ".join(f"baseline n={b}, idea n={i}" for b, i in sides[:3])
    parts = [HARNESS_MARK]
    summary = (f"{len(comparisons)} comparison(s) of the idea against the baseline ({runs}); {tested} tested: "
               f"{counts['better']} better, {counts['worse']} worse, {counts['higher'] + counts['lower']} different "
               f"in a direction the metric's name does not rank, {counts['no detectable difference']} with no "
               f"detectable difference.")
    if counts["not tested"]:
        summary += (f" {counts['not tested']} not tested: " +
                    sorted({c.note for c in comparisons if c.verdict == 'not tested'})[0] + ".")
    parts.append(summary + (f" {seeds_note}" if seeds_note else ""))
    differing = [c for c in comparisons if c.verdict in ("better", "worse", "higher", "lower")]
    parts += [_sentence(c) for c in differing[:MAX_LISTED]]
    if len(differing) > MAX_LISTED:
        parts.append(f"{len(differing) - MAX_LISTED} more difference(s) are in the table above.")
    if not differing and tested:
        parts.append("No metric differed detectably between the idea and the baseline: these runs do not show "
                     "the idea changing the results.")
    return parts


def summary_sentence(comparisons: list[Comparison]) -> str:
    """One sentence for an abstract the model left empty."""
    counts = Counter(c.verdict for c in comparisons)
    return (f"(Harness summary; the model wrote no abstract.) Against the baseline, {counts['better']} of "
            f"{len(comparisons)} metric comparison(s) improved, {counts['worse']} worsened and "
            f"{counts['no detectable difference']} showed no detectable difference (Welch's t-test, "
            "Benjamini-Hochberg corrected).")
