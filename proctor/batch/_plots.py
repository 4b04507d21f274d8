"""Report plots (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

from pathlib import Path

from proctor.batch._report import BatchReport


def write_plots(report: BatchReport, out_dir: Path) -> dict[str, Path]:
    """Write the plots that have data; returns ``{name: path}`` (``scores``, ``stage_cost``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out: dict[str, Path] = {}
    scores = [p.overall for p in report.papers if p.overall is not None]
    if scores:
        fig, ax = plt.subplots(figsize=(5, 3))
        ax.hist(scores, bins=range(1, 12), align="left", rwidth=0.8)
        ax.set(xlabel="review Overall (1-10)", ylabel="papers", title="Review scores", xticks=range(1, 11))
        out["scores"] = out_dir / "scores.png"
        fig.tight_layout()
        fig.savefig(out["scores"], dpi=100)
        plt.close(fig)
    costly = report.stage_cost if any(report.stage_cost.values()) else report.stage_seconds
    if costly:
        unit = "USD" if costly is report.stage_cost else "seconds"
        fig, ax = plt.subplots(figsize=(6, 3))
        names = sorted(costly, key=lambda k: -costly[k])
        ax.barh(names, [costly[n] for n in names])
        ax.invert_yaxis()
        ax.set(xlabel=unit, title=f"{'Cost' if unit == 'USD' else 'Time'} per stage (all runs)")
        out["stage_cost"] = out_dir / "stage_cost.png"
        fig.tight_layout()
        fig.savefig(out["stage_cost"], dpi=100)
        plt.close(fig)
    return out
