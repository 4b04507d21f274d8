"""Rendering the morning report as Markdown and HTML (with its plots) into ``<batch>/report/``."""

from __future__ import annotations

import html
from pathlib import Path

from proctor.batch._plots import write_plots
from proctor.batch._record import BatchDir
from proctor.batch._report import BatchReport, collect_report
from proctor.log import atomic_write

_CSS = ("body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
        "th{background:#f4f4f4}code{background:#f4f4f4}")


def _cell(value: object) -> str:
    text = "-" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    if not rows:
        return ["_none_", ""]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(report: BatchReport, plots: dict[str, Path] | None = None) -> str:
    """The report as Markdown (plots linked by file name)."""
    rec = report.batch
    total_usd = sum(r.cost_usd for r in report.runs)
    by_status: dict[str, int] = {}
    for r in report.runs:
        by_status[r.status] = by_status.get(r.status, 0) + 1
    waiting = [r for r in report.runs if r.status == "paused" or r.audit_waiting]
    failures = [r for r in report.runs if r.status in ("failed", "budget_exhausted", "terminated")]
    out = [f"# Batch {rec.name} ({rec.id})", "",
           f"Created {rec.created:%Y-%m-%d %H:%M} UTC; status **{rec.status}** ({rec.status_detail or '-'}).", "",
           f"- Runs: {len(report.runs)} (" + ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())) + ")",
           f"- Cost: {total_usd:.4f} USD, {sum(r.tokens for r in report.runs)} tokens, "
           f"{sum(r.gpu_hours for r in report.runs):.2f} GPU-hours",
           f"- Papers: {sum(p.overall is not None for p in report.papers)} reviewed of {len(report.papers)} ideas",
           f"- Waiting for a human: {len(waiting)} run(s)", f"- Incidents: {len(report.incidents)}", ""]
    out += ["## Papers", ""]
    papers = sorted(report.papers, key=lambda p: -(p.overall or 0))
    out += _table(["run", "idea", "title", "overall", "decision", "novel", "novelty", "experiment"],
                  [[p.run, p.idea, p.title, p.overall, p.decision, p.novel, p.novelty_status
                    + (f" ({', '.join(p.flags)})" if p.flags else "") if p.novelty_status else None, p.experiment]
                   for p in papers])
    out += ["## Waiting for a human", ""]
    out += _table(["run", "status", "open audit items", "detail"],
                  [[r.key, r.status, r.audit_waiting, r.detail] for r in waiting])
    out += ["## Failures", ""]
    out += _table(["run", "status", "cause"], [[r.key, r.status, r.detail] for r in failures])
    out += ["## Incidents", ""]
    out += _table(["run", "where", "message", "recoverable"],
                  [[i.run, i.where, i.message[:200], i.recoverable] for i in report.incidents])
    out += ["## Runs", ""]
    out += _table(["run", "direction", "template", "status", "USD", "tokens", "GPU-h", "directory"],
                  [[r.key, r.direction, r.template, r.status, f"{r.cost_usd:.4f}", r.tokens, f"{r.gpu_hours:.2f}",
                    f"`{r.run_dir}`"] for r in report.runs])
    if plots:
        out += ["## Plots", ""] + [f"![{name}]({path.name})" for name, path in plots.items()] + [""]
    return "\n".join(out)


def render_html(markdown: str, title: str) -> str:
    """A standalone HTML page of the Markdown report."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(markdown)
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{_CSS}</style></head><body>{body}</body></html>\n")


def write_report(batch: BatchDir, out_dir: Path | None = None) -> list[Path]:
    """Write ``report.md``, ``report.html`` and the plots; returns the paths written."""
    out_dir = Path(out_dir or batch.path / "report")
    out_dir.mkdir(parents=True, exist_ok=True)
    report = collect_report(batch)
    plots = write_plots(report, out_dir)
    markdown = render_markdown(report, plots)
    md_path, html_path = out_dir / "report.md", out_dir / "report.html"
    atomic_write(md_path, markdown.encode())
    atomic_write(html_path, render_html(markdown, f"Batch {report.batch.name}").encode())
    atomic_write(out_dir / "report.json", report.model_dump_json(indent=2).encode())
    return [md_path, html_path, out_dir / "report.json", *plots.values()]
