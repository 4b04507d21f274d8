"""Plot every run_*/ in this directory: learning curves and a steps-to-generalise bar chart.

Run as ``python plot.py`` after the runs exist. Edit ``labels`` to name runs in the legends;
runs not listed are plotted under their directory name.
"""

import json
import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

labels = {"run_0": "Baseline"}


def runs():
    found = [p for p in Path(".").glob("run_*") if (p / "final_info.json").is_file()]
    return sorted(found, key=lambda p: int(m.group(1)) if (m := re.search(r"(\d+)$", p.name)) else 1 << 30)


def main():
    found = runs()
    if not found:
        raise SystemExit("no run_*/final_info.json here; run experiment.py first")
    curves = {r.name: json.loads((r / "curves.json").read_text()) for r in found if (r / "curves.json").is_file()}
    infos = {r.name: json.loads((r / "final_info.json").read_text()) for r in found}
    for metric, ylabel in (("val_acc", "validation accuracy"), ("train_loss", "train loss"),
                           ("val_loss", "validation loss")):
        fig, ax = plt.subplots(figsize=(7, 4))
        for run, data in curves.items():
            for dataset, seeds in data.items():
                curve = seeds[0]
                ax.plot(curve["step"], curve[metric], label=f"{labels.get(run, run)} ({dataset})")
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        if "loss" in metric:
            ax.set_yscale("log")
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(f"{metric}.png", dpi=120)
        plt.close(fig)
    fig, ax = plt.subplots(figsize=(7, 4))
    names, values = [], []
    for run, info in infos.items():
        for dataset, result in info.items():
            names.append(f"{labels.get(run, run)}\n{dataset}")
            values.append(result["means"]["steps_to_generalise"])
    ax.bar(range(len(values)), values)
    ax.set_xticks(range(len(values)), names, fontsize=7)
    ax.set_ylabel("steps to generalise (censored at the last step)")
    fig.tight_layout()
    fig.savefig("steps_to_generalise.png", dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
