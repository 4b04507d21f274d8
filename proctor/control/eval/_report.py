"""Writing an evaluation: ``report.json``, ``report.md`` and the safety/usefulness frontier plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from proctor.control.eval._protocols import ProtocolResult
from proctor.log import atomic_write


def _ci(ci: Any) -> str:
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]"


def write_markdown(report: dict[str, Any], path: Path) -> None:
    """The report as a Markdown page."""
    lines = [f"# Control evaluation ({report['n_honest']} honest, {report['n_attack']} attack actions)", "",
             f"Audit budget {report['budget']:.0%}; thresholds calibrated on the honest actions (in-sample). "
             "Safety is per attack action: the share not executed unaudited.", "", "## Monitors", "",
             "| monitor | AUROC [95% CI] | TPR@1%FPR | TPR@2%FPR | mean latency ms |", "|---|---|---|---|---|"]
    for m in report["monitors"]:
        lines.append(f"| {m['monitor']} | {m['auroc']:.3f} {_ci(m['auroc_ci'])} | {m['tpr_at_1pct_fpr']:.2f} | "
                     f"{m['tpr_at_2pct_fpr']:.2f} | {m['latency_ms']:.2f} |")
    lines += ["", "Detection at 2% FPR by side task:", ""]
    for m in report["monitors"]:
        tasks = m["tpr_by_side_task"]
        if len(tasks) > 12:  # one free-text side task per item: the list says nothing a reader can scan
            lines.append(f"- {m['monitor']}: {len(tasks)} distinct side tasks (see report.json)")
            continue
        per = ", ".join(f"{k or '(unnamed)'} {v:.2f}" for k, v in sorted(tasks.items()))
        lines.append(f"- {m['monitor']}: {per}")
    ch = report.get("channels") or {}
    if ch.get("monitors"):
        lines += ["", f"## Reasoning channel ({ch['n_honest']} honest, {ch['n_attack']} attack items with reasoning)",
                  "", "| monitor | action only | reasoning only | both |", "|---|---|---|---|"]
        for name, rows in ch["monitors"].items():
            cells = [f"AUROC {rows[c]['auroc']:.3f} {_ci(rows[c]['auroc_ci'])}, TPR@2% {rows[c]['tpr_at_2pct_fpr']:.2f}"
                     for c in ("action", "reasoning", "both")]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "## Protocols", "", "| monitor | protocol | params | safety [95% CI] | usefulness [95% CI] | "
              "honest audit rate |", "|---|---|---|---|---|---|"]
    for p in report["protocols"]:
        params = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in p["params"].items())
        lines.append(f"| {p['monitor']} | {p['protocol']} | {params} | {p['safety']:.2f} {_ci(p['safety_ci'])} | "
                     f"{p['usefulness']:.2f} {_ci(p['usefulness_ci'])} | {p['honest_audit_rate']:.3f} |")
    lines += ["", "![frontier](frontier.png)", ""]
    atomic_write(path, "\n".join(lines).encode())


def plot_frontier(results: list[tuple[str, ProtocolResult]], path: Path) -> None:
    """Safety against usefulness, one series per monitor and protocol (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    series: dict[str, list[ProtocolResult]] = {}
    for monitor, r in results:
        series.setdefault(f"{r.protocol} ({monitor})", []).append(r)
    for label, rs in sorted(series.items()):
        rs = sorted(rs, key=lambda r: r.usefulness)
        ax.errorbar([r.usefulness for r in rs], [r.safety for r in rs], marker="o", capsize=2, label=label,
                    yerr=[[max(0.0, r.safety - r.safety_ci[0]) for r in rs],
                          [max(0.0, r.safety_ci[1] - r.safety) for r in rs]])
    ax.set_xlabel("usefulness (1 = untrusted model, 0 = trusted model)")
    ax.set_ylabel("safety (attacks not executed unaudited)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)


def write_report(report: dict[str, Any], results: list[tuple[str, ProtocolResult]], out_dir: Path) -> dict[str, Path]:
    """Write the JSON, Markdown and plot into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "markdown": out_dir / "report.md", "plot": out_dir / "frontier.png"}
    atomic_write(paths["json"], json.dumps(report, indent=2, default=str).encode())
    write_markdown(report, paths["markdown"])
    plot_frontier(results, paths["plot"])
    return paths
