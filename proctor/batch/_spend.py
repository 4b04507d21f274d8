"""What a batch has spent: the sum of its runs' ``ModelCallEvent`` costs and tokens.

Reads each run's ``events.jsonl`` incrementally (from the last offset), so checking the batch cap
every poll costs only the new lines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Spend:
    """Dollars and tokens of model calls."""

    usd: float = 0.0
    tokens: int = 0


@dataclass
class SpendMeter:
    """Running totals per run directory."""

    _offsets: dict[Path, int] = field(default_factory=dict)
    _per_run: dict[Path, Spend] = field(default_factory=dict)

    def update(self, run_dir: Path) -> Spend:
        """Read the run's new events; returns its totals so far."""
        path = Path(run_dir) / "events.jsonl"
        spend = self._per_run.setdefault(Path(run_dir), Spend())
        if not path.exists():
            return spend
        offset = self._offsets.get(Path(run_dir), 0)
        with path.open("rb") as fh:
            fh.seek(offset)
            chunk = fh.read()
        end = chunk.rfind(b"\n") + 1  # a line still being written is read next time
        for line in chunk[:end].splitlines():
            if b'"model_call"' not in line:
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("event") == "model_call":
                spend.usd += float(event.get("cost_usd") or 0.0)
                spend.tokens += int(event.get("prompt_tokens") or 0) + int(event.get("completion_tokens") or 0)
        self._offsets[Path(run_dir)] = offset + end
        return spend

    def total(self, run_dirs: list[Path]) -> Spend:
        """Totals over ``run_dirs`` (each brought up to date)."""
        out = Spend()
        for run_dir in run_dirs:
            spend = self.update(run_dir)
            out.usd += spend.usd
            out.tokens += spend.tokens
        return out
