"""A rich table of a batch: one row per run with its status, spend and time, and the batch's totals."""

from __future__ import annotations

from rich.table import Table

from proctor.batch._record import BatchDir, BatchRecord
from proctor.locks import Lock

_STYLE = {"succeeded": "green", "running": "cyan", "paused": "yellow", "failed": "red",
          "budget_exhausted": "magenta", "terminated": "bold red", "created": "dim"}


def batch_state(batch: BatchDir, record: BatchRecord) -> str:
    """The batch status, showing ``interrupted`` for a ``running`` batch whose driver is gone."""
    if record.status == "running" and not Lock(batch.lock_path).held():
        return "interrupted"
    return record.status


def batch_table(batch: BatchDir, record: BatchRecord, run_spend: dict[str, float] | None = None) -> Table:
    """The table ``proctor batch run`` shows live and ``proctor batch status`` prints once."""
    spec = record.spec
    cap = (spec.get("budgets") or {}).get("batch") or {}
    usd_cap = f" / {cap['usd']:.2f}" if cap.get("usd") else ""
    table = Table(title=f"batch {record.name} ({record.id}): {batch_state(batch, record)}",
                  caption=f"spend {record.spend_usd:.4f}{usd_cap} USD, {record.spend_tokens} tokens, "
                          f"{record.gpu_hours:.2f} GPU-h. {record.status_detail}")
    for col in ("run", "direction", "template", "status", "USD", "time", "detail"):
        table.add_column(col, overflow="fold", justify="right" if col in ("USD", "time") else "left")
    for entry in record.runs:
        style = _STYLE.get(entry.status, "")
        usd = (run_spend or {}).get(entry.key)
        table.add_row(entry.key, entry.direction[:40], entry.template or "-", f"[{style}]{entry.status}[/]",
                      "-" if usd is None else f"{usd:.4f}", f"{entry.seconds:.0f}s", entry.detail[:60])
    return table
