"""Plot every run_*/ here: test accuracy and log-loss per dataset, and training-loss curves."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

labels = {"run_0": "Baseline"}


def main():
    runs = sorted(p for p in Path(".").glob("run_*") if (p / "final_info.json").is_file())
    if not runs:
        raise SystemExit("no run_*/final_info.json here; run experiment.py first")
    infos = {r.name: json.loads((r / "final_info.json").read_text()) for r in runs}
    datasets = sorted({d for info in infos.values() for d in info})
    fig, axes = plt.subplots(1, 2, figsize=(9, 4))
    width = 0.8 / len(infos)
    for ax, metric in zip(axes, ("test_acc", "test_log_loss")):
        for i, (run, info) in enumerate(infos.items()):
            vals = [info.get(d, {}).get("means", {}).get(metric, np.nan) for d in datasets]
            errs = [info.get(d, {}).get("stderrs", {}).get(metric, 0.0) for d in datasets]
            ax.bar(np.arange(len(datasets)) + i * width, vals, width, yerr=errs, label=labels.get(run, run))
        ax.set_xticks(np.arange(len(datasets)) + 0.4 - width / 2, datasets)
        ax.set_title(metric.replace("_", " "))
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig("test_metrics.png", dpi=120)
    plt.close(fig)
    fig, axes = plt.subplots(1, len(datasets), figsize=(4 * len(datasets), 3.5), squeeze=False)
    for j, dataset in enumerate(datasets):
        for r in runs:
            curves_file = r / "curves.json"
            if curves_file.is_file():
                curve = json.loads(curves_file.read_text()).get(dataset, [[]])[0]
                axes[0][j].plot(range(1, len(curve) + 1), curve, label=labels.get(r.name, r.name))
        axes[0][j].set_title(f"{dataset}: training loss")
        axes[0][j].set_xlabel("epoch")
        axes[0][j].set_yscale("log")
        axes[0][j].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig("training_curves.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
