"""The UI's view of the disk: runs, their audit queues, and decisions, re-read on every call.

The run store (``run.json``, ``events.jsonl``) and each run's audit queue
(``<run>/control/audit.sqlite``) are the source of truth; a run may live in another process, so
nothing here caches a decision or an item. Event logs are followed incrementally
(:class:`~proctor.tui._event_tail.EventTail`), since they only ever grow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from proctor.control.audit import (
    AuditDecisionKind,
    AuditItem,
    AuditLog,
    AuditLogError,
    AuditQueue,
    BudgetStatus,
    QueueError,
    control_paths,
)
from proctor.control.core import Action
from proctor.log import Event, RunDir, RunHeader
from proctor.tui._event_tail import EventTail


class RunGone(LookupError):
    """The run directory (or its queue) disappeared while the UI had it open."""


@dataclass(frozen=True)
class RunSummary:
    """One row of the runs list."""

    path: Path
    header: RunHeader | None
    error: str
    stage: str
    stages_done: int
    stages_started: int
    cost_usd: float
    held: int

    @property
    def name(self) -> str:
        """The directory name."""
        return self.path.name

    @property
    def short(self) -> str:
        """The run id, or the directory name when ``run.json`` is unreadable."""
        return self.header.id if self.header else self.path.name

    @property
    def status(self) -> str:
        """The header's status (``unreadable`` when ``run.json`` cannot be parsed)."""
        return self.header.status if self.header else "unreadable"


@dataclass(frozen=True)
class HeldItem:
    """An open audit item together with the run that holds it."""

    run: Path
    item: AuditItem

    @property
    def key(self) -> str:
        """A key unique across runs (item ids are only unique within one queue)."""
        return f"{self.run.name}/{self.item.id}"


def queue_path(run: Path) -> Path:
    """The audit queue database of a run (``<run>/control/audit.sqlite``)."""
    return control_paths(None, None, run)[0]


def audit_log_path(run: Path) -> Path:
    """The hash-chained audit log of a run (``<run>/control/audit_log.jsonl``)."""
    return control_paths(None, None, run)[1]


class Store:
    """Reads runs and queues under ``root`` and records decisions.

    Args:
        root: the runs directory (``settings.runs_dir``).
        audit_budget: fraction of actions that may be audited (``settings.control.audit_budget``).
        busy_timeout_ms: SQLite busy timeout for the queues.
    """

    def __init__(self, root: Path, *, audit_budget: float = 0.02, busy_timeout_ms: int = 5000) -> None:
        self.root = Path(root)
        self.audit_budget = audit_budget
        self.busy_timeout_ms = busy_timeout_ms
        self._tails: dict[Path, EventTail] = {}

    def queue(self, run: Path) -> AuditQueue:
        """The audit queue of ``run``, without creating it.

        Raises:
            RunGone: when the run or its queue database no longer exists.
        """
        path = queue_path(run)
        if not path.exists():
            raise RunGone(f"run {run.name} or its audit queue was deleted")
        return AuditQueue(path, budget=self.audit_budget, busy_timeout_ms=self.busy_timeout_ms)

    def runs(self) -> list[RunSummary]:
        """Every run under the root, newest first; unreadable runs are listed, not skipped."""
        out = []
        runs = RunDir.all(self.root)
        for gone in set(self._tails) - {run.path for run in runs}:
            del self._tails[gone]
        for run in reversed(runs):
            try:
                header: RunHeader | None = run.header()
                error = ""
            except (OSError, ValueError) as exc:
                header, error = None, f"{type(exc).__name__}: {exc}"[:200]
            tail = self._tail(run.path)
            out.append(RunSummary(path=run.path, header=header, error=error, stage=tail.stage,
                                  stages_done=len(tail.done), stages_started=tail.stages_started,
                                  cost_usd=tail.cost_usd, held=len(self.open_items(run.path))))
        return out

    def _tail(self, run: Path) -> EventTail:
        tail = self._tails.get(run)
        if tail is None:
            tail = self._tails[run] = EventTail(RunDir(run).events.path)
        try:
            tail.update()
        except OSError:
            pass  # no log yet, or the run was deleted: keep what was read
        return tail

    def open_items(self, run: Path) -> list[AuditItem]:
        """The undecided (pending or escalated) items of one run; none when it has no queue."""
        try:
            return self.queue(run).list("open")
        except (RunGone, QueueError, RuntimeError):
            return []

    def held(self) -> list[HeldItem]:
        """Open items of every run, most suspicious (calibrated percentile) first."""
        items = [HeldItem(run.path, item) for run in RunDir.all(self.root) for item in self.open_items(run.path)]
        return sorted(items, key=lambda h: (-h.item.percentile, -h.item.score, h.item.created))

    def budget(self) -> BudgetStatus:
        """Audits used and allowed, summed over every run's queue."""
        seen = used = 0
        allowed = 0.0
        for run in RunDir.all(self.root):
            try:
                b = self.queue(run.path).budget()
            except (RunGone, RuntimeError):
                continue
            seen, used, allowed = seen + b.seen, used + b.used, allowed + b.allowed
        return BudgetStatus(budget=self.audit_budget, seen=seen, used=used, allowed=round(allowed, 3),
                            over=used > allowed)

    def item(self, run: Path, item_id: str) -> AuditItem:
        """Re-read one item from its queue.

        Raises:
            RunGone: the run or its queue was deleted.
            QueueError: the item is unknown.
        """
        return self.queue(run).get(item_id)

    def decide(self, run: Path, item_id: str, decision: AuditDecisionKind, *, reviewer: str, rationale: str,
               modified: Action | None = None) -> AuditItem:
        """Record a decision in the run's queue and its audit log (as ``proctor audit decide`` does).

        Raises:
            RunGone: the run or its queue was deleted.
            QueueError: the item was already decided (by someone else, say), or the decision is invalid.
            QueueUnavailable: the queue database is locked or corrupt.
        """
        item = self.queue(run).decide(item_id, decision, reviewer=reviewer, rationale=rationale, modified=modified)
        try:
            AuditLog(audit_log_path(run)).append("human_decision", {
                "item_id": item_id, "decision": decision, "reviewer": reviewer, "rationale": rationale,
                "action_digest": item.action_digest, "via": "tui",
                "modified_digest": modified.digest() if modified is not None else None})
        except AuditLogError:
            pass  # the queue holds the decision; the gate logs it again when the run resumes
        return item

    def run_status(self, run: Path) -> str:
        """The run's status, ``deleted`` when it is gone, ``unreadable`` when ``run.json`` is broken."""
        try:
            return RunDir(run).header().status
        except FileNotFoundError:
            return "deleted"
        except (OSError, ValueError):
            return "unreadable"

    def should_resume(self, run: Path) -> bool:
        """Whether ``run`` is paused and no item of its queue is still undecided."""
        try:
            header = RunDir(run).header()
        except (OSError, ValueError):
            return False
        return header.status == "paused" and not self.open_items(run)

    def timeline(self, run: Path) -> list[Event]:
        """The last 500 events of a run.

        Raises:
            RunGone: the run directory was deleted.
        """
        if not RunDir(run).header_path.exists():
            raise RunGone(f"run {run.name} was deleted")
        return list(self._tail(run).events)


def since(ts: datetime, now: datetime) -> str:
    """A short age such as ``42s``, ``5m`` or ``3h``."""
    secs = max(0, int((now - ts).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs // size}{unit}"
    return f"{secs}s"
