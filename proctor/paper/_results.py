"""Experiment results as tables: every number in a paper is computed here from results files.

Runs are named ``run_<i>`` (``run_0`` the harness baseline); seeds of one configuration are
aggregated to mean and standard deviation. Each cell keeps the runs it came from and their values,
so a number in the paper can be traced to the run directories that produced it. A run that reports
its own seeds (the AI Scientist's ``final_info_dict``: ``{metric: [value per seed]}`` beside
``means: {metric_mean: mean}``) counts as those seeds, when their mean is the reported mean.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

from pydantic import BaseModel, Field

from proctor.paper._escape import md_escape


class Cell(BaseModel):
    """One aggregated metric value."""

    mean: float
    std: float = 0.0
    n: int = 1
    runs: list[str] = Field(default_factory=list)
    values: list[float] = Field(default_factory=list, description="one value per run or reported seed")

    def fmt(self, digits: int = 4) -> str:
        """``mean ± std`` (or the mean alone for a single run)."""
        if self.n > 1:
            return f"{self.mean:.{digits}f} ± {self.std:.{digits}f}"
        return f"{self.mean:.{digits}f}"


class ResultsTable(BaseModel):
    """Metrics per (condition, dataset, metric)."""

    conditions: list[str]
    rows: dict[str, dict[str, dict[str, Cell]]] = Field(
        default_factory=dict, description="condition -> dataset -> metric -> cell")

    def datasets(self) -> list[str]:
        """Datasets that appear in any condition."""
        return sorted({d for by_ds in self.rows.values() for d in by_ds})

    def metrics(self, dataset: str) -> list[str]:
        """Metrics reported for ``dataset``."""
        return sorted({m for by_ds in self.rows.values() for m in by_ds.get(dataset, {})})

    def numbers(self) -> list[float]:
        """Every mean and std, unrounded."""
        nums: list[float] = []
        for by_ds in self.rows.values():
            for by_metric in by_ds.values():
                for cell in by_metric.values():
                    nums.extend([cell.mean, cell.std])
        return nums

    def to_markdown(self, digits: int = 4) -> str:
        """One Markdown table per dataset: conditions as rows, metrics as columns.

        Dataset, metric and condition names come from untrusted results files: they are escaped
        (:func:`proctor.paper._escape.md_escape`), so a name cannot add a column, a link or a tag.
        """
        parts = []
        for dataset in self.datasets():
            metrics = self.metrics(dataset)
            lines = [f"**{md_escape(dataset, inline=True)}**", "",
                     "| condition | " + " | ".join(md_escape(m, inline=True) for m in metrics) + " |",
                     "|---|" + "---|" * len(metrics)]
            for cond in self.conditions:
                cells = self.rows.get(cond, {}).get(dataset, {})
                lines.append(f"| {md_escape(cond, inline=True)} | " + " | ".join(
                    cells[m].fmt(digits) if m in cells else "–" for m in metrics) + " |")
            parts.append("\n".join(lines))
        return "\n\n".join(parts)


MAX_SEEDS = 100


def _seed_values(block: dict[str, Any], metric: str, mean: float) -> list[float] | None:
    """The per-seed values a run reported for ``metric`` (untrusted: checked, bounded), or ``None``."""
    per_seed = block.get("final_info_dict")
    if not isinstance(per_seed, dict):
        return None
    for key in (metric, metric.removesuffix("_mean")):
        values = per_seed.get(key)
        if not isinstance(values, list) or not 2 <= len(values) <= MAX_SEEDS:
            continue
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in values):
            floats = [float(v) for v in values]
            if math.isclose(statistics.fmean(floats), mean, rel_tol=1e-6, abs_tol=1e-9):
                return floats
    return None


def aggregate(results: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]]) -> ResultsTable:
    """Aggregate ``{condition: {"runs": [(run_name, final_info), ...]}}`` into a table.

    ``final_info`` has the AI Scientist shape ``{dataset: {"means": {metric: value}}}``.
    Non-finite values are dropped (and so never reach the paper).
    """
    table = ResultsTable(conditions=list(results))
    for cond, spec in results.items():
        samples: dict[str, dict[str, list[tuple[str, float]]]] = {}
        for run_name, info in spec["runs"]:
            for dataset, block in info.items():
                for metric, value in (block.get("means") or {}).items():
                    if not isinstance(value, (int, float)) or not math.isfinite(value):
                        continue
                    seeds = _seed_values(block, metric, float(value))
                    found = [(f"{run_name}#{k}", v) for k, v in enumerate(seeds)] if seeds else [(run_name, float(value))]
                    samples.setdefault(dataset, {}).setdefault(metric, []).extend(found)
        table.rows[cond] = {
            ds: {m: Cell(mean=statistics.fmean(v for _, v in vals),
                         std=statistics.stdev([v for _, v in vals]) if len(vals) > 1 else 0.0,
                         n=len(vals), runs=[r for r, _ in vals], values=[v for _, v in vals])
                 for m, vals in by_metric.items()}
            for ds, by_metric in samples.items()
        }
    return table
