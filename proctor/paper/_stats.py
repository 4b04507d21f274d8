"""Statistics of a paper's comparisons: each idea condition against the baseline, per dataset and metric.

For every (condition, dataset, metric) the baseline also reports: the two means with 95% t-intervals,
the difference with Welch's 95% interval, Hedges' g, Welch's t-test, and the p-values of one paper
corrected together (Benjamini-Hochberg over every tested metric and dataset). The verdict is
``better`` or ``worse`` when the corrected p-value is below ``alpha`` and the metric's direction is
known (from its name: ``loss`` lower, ``accuracy`` higher, ...), ``higher`` or ``lower`` when the
direction is not known, ``no detectable difference`` otherwise, and ``not tested`` with fewer than two
values on a side (said, never hidden). Values per run come from the results table; a template that
runs its own seeds and reports them as lists in ``final_info_dict`` (the AI Scientist's shape) gives
those (see :func:`proctor.paper.aggregate`).
"""

from __future__ import annotations

import math
import re
import statistics
import warnings
from typing import Literal

from pydantic import BaseModel, Field
from scipy import stats as sps

from proctor.paper._results import ResultsTable  # noqa: TC001

ALPHA = 0.05
Verdict = Literal["better", "worse", "higher", "lower", "no detectable difference", "not tested"]

# Words of a metric name that say which way is better (matched on the name's word parts).
_LOWER = frozenset({"loss", "error", "err", "ece", "nll", "perplexity", "ppl", "mse", "mae", "rmse", "time",
                    "latency", "brier", "regret", "fid", "bpc", "bpd", "wer", "cer", "divergence", "kl"})
_HIGHER = frozenset({"acc", "accuracy", "f1", "auc", "auroc", "auprc", "precision", "recall", "score", "reward",
                     "bleu", "rouge", "r2", "iou", "map", "return", "success", "top1", "top5", "likelihood"})
_WORDS = re.compile(r"[a-z0-9]+")


def direction(metric: str) -> Literal["higher", "lower"] | None:
    """Which way ``metric`` is better, from the words of its name; ``None`` when it does not say."""
    words = set(_WORDS.findall(metric.lower().replace("_", " ")))
    lower, higher = bool(words & _LOWER), bool(words & _HIGHER)
    if lower == higher:  # neither, or both ("accuracy_error"): the name does not say
        return None
    return "lower" if lower else "higher"


class Summary(BaseModel):
    """One side of a comparison: its values, mean and 95% t-interval (``None`` with one value)."""

    n: int
    mean: float
    std: float
    ci: tuple[float, float] | None = None


class Comparison(BaseModel):
    """An idea condition against the baseline on one dataset and metric."""

    condition: str
    dataset: str
    metric: str
    baseline: Summary
    idea: Summary
    difference: float = Field(description="idea mean minus baseline mean")
    difference_ci: tuple[float, float] | None = Field(default=None, description="Welch's 95% interval")
    hedges_g: float | None = None
    p: float | None = Field(default=None, description="Welch's t-test, two-sided")
    p_adjusted: float | None = Field(default=None, description="Benjamini-Hochberg over the paper's tests")
    better: Literal["higher", "lower"] | None = None
    verdict: Verdict = "not tested"
    note: str = ""

    def numbers(self) -> list[float]:
        """Every number this comparison reports (the claim check's support)."""
        out = [self.baseline.mean, self.baseline.std, self.idea.mean, self.idea.std, self.difference]
        for pair in (self.baseline.ci, self.idea.ci, self.difference_ci):
            out.extend(pair or ())
        out.extend(x for x in (self.hedges_g, self.p, self.p_adjusted) if x is not None)
        if self.baseline.mean:
            out.append(100 * self.difference / abs(self.baseline.mean))  # a relative change, in percent
        return [x for x in out if math.isfinite(x)]


def _summary(values: list[float]) -> Summary:
    n, mean = len(values), statistics.fmean(values)
    std = statistics.stdev(values) if n > 1 else 0.0
    ci = None
    if n > 1:
        half = float(sps.t.ppf(0.975, n - 1)) * std / math.sqrt(n)
        ci = (mean - half, mean + half)
    return Summary(n=n, mean=mean, std=std, ci=ci)


def _hedges_g(a: list[float], b: list[float]) -> float | None:
    na, nb = len(a), len(b)
    pooled = ((na - 1) * statistics.variance(a) + (nb - 1) * statistics.variance(b)) / (na + nb - 2)
    if pooled <= 0:
        return None
    d = (statistics.fmean(b) - statistics.fmean(a)) / math.sqrt(pooled)
    return d * (1 - 3 / (4 * (na + nb) - 9))  # small-sample correction


def _compare(condition: str, dataset: str, metric: str, base: list[float], idea: list[float]) -> Comparison:
    cmp = Comparison(condition=condition, dataset=dataset, metric=metric, baseline=_summary(base),
                     idea=_summary(idea), difference=statistics.fmean(idea) - statistics.fmean(base),
                     better=direction(metric))
    if len(base) < 2 or len(idea) < 2:
        cmp.note = f"one value on a side (baseline n={len(base)}, idea n={len(idea)}): no test is possible"
        return cmp
    cmp.hedges_g = _hedges_g(base, idea)
    if statistics.variance(base) == 0 and statistics.variance(idea) == 0:
        cmp.note = ("the same value on every seed on both sides" if cmp.difference == 0 else
                    "no variation across seeds on either side (deterministic runs): no test applies")
        return cmp
    with warnings.catch_warnings():  # near-identical values: scipy warns of precision loss, the p-value says it
        warnings.simplefilter("ignore", RuntimeWarning)
        res = sps.ttest_ind(idea, base, equal_var=False)
        low, high = res.confidence_interval(0.95)
    if not math.isfinite(float(res.pvalue)):
        cmp.note = "too little variation across seeds for a test"
        return cmp
    cmp.p = float(res.pvalue)
    cmp.difference_ci = (float(low), float(high))
    return cmp


def compare(table: ResultsTable, baseline: str = "baseline", alpha: float = ALPHA) -> list[Comparison]:
    """Every idea condition of ``table`` against ``baseline``, corrected together and given a verdict.

    A condition named ``<baseline> (...)`` (a baseline re-measured another way, for example with an
    idea's evaluation settings) is the baseline for the conditions it names: see ``baseline_for``.
    """
    out: list[Comparison] = []
    conditions = [c for c in table.conditions if not c.startswith(baseline)]
    for cond in conditions:
        base_cond = baseline_for(table, cond, baseline)
        for dataset in table.datasets():
            for metric in table.metrics(dataset):
                b = table.rows.get(base_cond, {}).get(dataset, {}).get(metric)
                i = table.rows.get(cond, {}).get(dataset, {}).get(metric)
                if b is None or i is None or not b.values or not i.values:
                    continue
                cmp = _compare(cond, dataset, metric, b.values, i.values)
                if base_cond != baseline:
                    cmp.note = (cmp.note + "; " if cmp.note else "") + f"baseline measured as '{base_cond}'"
                out.append(cmp)
    tested = [c for c in out if c.p is not None]
    if tested:
        adjusted = sps.false_discovery_control([c.p for c in tested], method="bh")
        for c, q in zip(tested, adjusted, strict=True):
            c.p_adjusted = float(q)
    for c in out:
        c.verdict = _verdict(c, alpha)
    return out


def baseline_for(table: ResultsTable, condition: str, baseline: str = "baseline") -> str:
    """The baseline condition ``condition`` is compared with: ``baseline (same evaluation as X)`` when
    the table has one for it, else ``baseline``."""
    same = f"{baseline} (same evaluation as {condition})"
    return same if same in table.conditions else baseline


def _verdict(c: Comparison, alpha: float) -> Verdict:
    if c.p_adjusted is None:  # identical constants on both sides differ by nothing: no test is missing
        exact = c.baseline.n > 1 and c.idea.n > 1 and c.difference == 0 and c.baseline.std == c.idea.std == 0
        return "no detectable difference" if exact else "not tested"
    if c.p_adjusted >= alpha:
        return "no detectable difference"
    up = c.difference > 0
    if c.better is None:
        return "higher" if up else "lower"
    return "better" if up == (c.better == "higher") else "worse"
