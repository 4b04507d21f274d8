"""Plot every run_*/ in this directory: test metrics per dataset, validation curves, reliability.

Run as ``python plot.py`` after the runs exist. Edit ``labels`` to name runs in the legends;
runs not listed are plotted under their directory name.
"""

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

labels = {"run_0": "Baseline"}
METRICS = {"test_acc": "test accuracy", "test_log_loss": "test log-loss", "test_ece": "test ECE"}


def runs():
    found = [p for p in Path(".").glob("run_*") if (p / "final_info.json").is_file()]
    return sorted(found, key=lambda p: int(m.group(1)) if (m := re.search(r"(\d+)$", p.name)) else 1 << 30)


def main():
    found = runs()
    if not found:
        raise SystemExit("no run_*/final_info.json here; run experiment.py first")
    infos = {r.name: json.loads((r / "final_info.json").read_text()) for r in found}
    curves = {r.name: json.loads((r / "curves.json").read_text()) for r in found if (r / "curves.json").is_file()}
    datasets = sorted({d for info in infos.values() for d in info})
    fig, axes = plt.subplots(1, len(METRICS), figsize=(4 * len(METRICS), 4))
    width = 0.8 / len(infos)
    for ax, (metric, title) in zip(axes, METRICS.items()):
        for i, (run, info) in enumerate(infos.items()):
            vals = [info.get(d, {}).get("means", {}).get(metric, np.nan) for d in datasets]
            errs = [info.get(d, {}).get("stderrs", {}).get(metric, 0.0) for d in datasets]
            ax.bar(np.arange(len(datasets)) + i * width, vals, width, yerr=errs, label=labels.get(run, run))
        ax.set_xticks(np.arange(len(datasets)) + 0.4 - width / 2, datasets)
        ax.set_title(title)
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig("test_metrics.png", dpi=120)
    plt.close(fig)
    fig, axes = plt.subplots(2, len(datasets), figsize=(4 * len(datasets), 7), squeeze=False)
    for j, dataset in enumerate(datasets):
        for run, data in curves.items():
            if dataset not in data:
                continue
            curve = data[dataset][0]
            axes[0][j].plot(curve["epoch"], curve["val_loss"], label=labels.get(run, run))
            bins = curve.get("reliability", [])
            axes[1][j].plot([b["conf"] for b in bins], [b["acc"] for b in bins], "o-", label=labels.get(run, run))
        axes[0][j].set_title(f"{dataset}: validation loss")
        axes[0][j].set_xlabel("epoch")
        axes[1][j].plot([0, 1], [0, 1], "k--", linewidth=0.8)
        axes[1][j].set_title(f"{dataset}: reliability (test)")
        axes[1][j].set_xlabel("confidence")
        axes[1][j].set_ylabel("accuracy")
        axes[0][j].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig("curves_and_reliability.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
