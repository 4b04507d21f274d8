"""The human audit queue: persistent SQLite (or a shared PostgreSQL), ordered by calibrated percentile.

Held actions wait here with their evidence bundle until a reviewer decides: ``approve``,
``modify`` (approve an edited action), ``reject``, ``terminate`` (halt the run and quarantine its
artifacts) or ``escalate`` (to a more senior reviewer; the item stays open). A live counter
compares audits used with what the budget allows for the actions seen so far.

A queue whose run shares it (``control/queue.json`` beside the file, see :mod:`._postgres`) keeps its
items in PostgreSQL with the same SQL; every caller still opens it by its path.
"""

from __future__ import annotations

import builtins
import json
import secrets
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from proctor.control.audit._postgres import connect_shared, shared_queue
from proctor.control.audit._sqlite import QueueUnavailable, connect
from proctor.control.core import Action, MonitorVerdict
from proctor.log import utcnow

AuditDecisionKind = Literal["approve", "modify", "reject", "terminate", "escalate"]
ItemStatus = Literal["pending", "escalated", "decided", "void"]
_OPEN = "status IN ('pending','escalated')"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
  id TEXT PRIMARY KEY, created TEXT NOT NULL, node TEXT NOT NULL, action_digest TEXT NOT NULL,
  score REAL NOT NULL, percentile REAL NOT NULL, protocol TEXT NOT NULL, reason TEXT NOT NULL,
  status TEXT NOT NULL, evidence TEXT NOT NULL, decisions TEXT NOT NULL DEFAULT '[]');
CREATE INDEX IF NOT EXISTS items_order ON items (status, percentile DESC, created);
CREATE INDEX IF NOT EXISTS items_digest ON items (action_digest);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class QueueError(ValueError):
    """A request the queue cannot honour (unknown item, already decided, bad decision)."""


class Evidence(BaseModel):
    """What a reviewer sees for one held action."""

    task: str
    node: str
    action: Action
    rendered: str = Field(description="The action as text.")
    verdicts: list[MonitorVerdict] = Field(default_factory=list)
    resamples: list[Action] = Field(default_factory=list)
    trajectory: list[str] = Field(default_factory=list, description="One line per earlier action.")
    critical: list[str] = Field(default_factory=list)


class AuditDecision(BaseModel):
    """One reviewer's decision on an item."""

    decision: AuditDecisionKind
    reviewer: str
    at: datetime
    rationale: str
    modified: Action | None = None
    action_digest: str | None = Field(
        default=None, description="Digest of the held action the reviewer decided on (the gate applies the "
        "decision only to that action).")


class AuditItem(BaseModel):
    """A held action awaiting (or with) a human decision."""

    id: str
    created: datetime
    node: str
    action_digest: str
    score: float
    percentile: float
    protocol: str
    reason: str
    status: ItemStatus
    evidence: Evidence
    decisions: list[AuditDecision] = Field(default_factory=list)

    @property
    def decision(self) -> AuditDecision | None:
        """The final decision, or None while the item is open."""
        return self.decisions[-1] if self.status == "decided" and self.decisions else None


class BudgetStatus(BaseModel):
    """Audits used against the number the budget allows so far."""

    budget: float
    seen: int
    used: int
    allowed: float
    over: bool


def _item(row: object) -> AuditItem:
    r = dict(row)  # type: ignore[call-overload]
    r["evidence"] = json.loads(r["evidence"])
    r["decisions"] = json.loads(r["decisions"])
    return AuditItem.model_validate(r)


class AuditQueue:
    """The queue in one SQLite file (WAL mode, busy timeout), or in the PostgreSQL database its run shares.

    Raises:
        QueueUnavailable: when the file naming the shared database is unreadable.
    """

    def __init__(self, path: Path, *, budget: float = 0.02, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path).expanduser()
        self.budget_fraction = budget
        self.busy_timeout_ms = busy_timeout_ms
        self.shared = shared_queue(self.path)

    def _conn(self, write: bool = False):  # type: ignore[no-untyped-def]
        if self.shared is not None:
            return connect_shared(self.shared, self.busy_timeout_ms, _SCHEMA, write=write)
        return connect(self.path, self.busy_timeout_ms, _SCHEMA, write=write)

    def enqueue(self, evidence: Evidence, *, digest: str, score: float, percentile: float,
                protocol: str, reason: str) -> str:
        """Hold an action; returns the item id (the open item's, if this action is already held).

        Raises:
            QueueUnavailable: the database is locked or corrupt.
        """
        with self._conn(write=True) as db:
            row = db.execute(f"SELECT id FROM items WHERE action_digest=? AND {_OPEN}", (digest,)).fetchone()
            if row:
                return str(row["id"])
            item_id = f"a{secrets.token_hex(4)}"
            db.execute(
                "INSERT INTO items (id, created, node, action_digest, score, percentile, protocol, reason, status,"
                " evidence) VALUES (?,?,?,?,?,?,?,?,'pending',?)",
                (item_id, utcnow().isoformat(), evidence.node, digest, score, percentile, protocol, reason,
                 evidence.model_dump_json()))
            db.execute("INSERT INTO counters VALUES ('audits', 1) "
                       "ON CONFLICT(name) DO UPDATE SET value=counters.value+1")
        return item_id

    def get(self, item_id: str) -> AuditItem:
        """One item.

        Raises:
            QueueError: for an unknown id.
        """
        with self._conn() as db:
            row = db.execute("SELECT * FROM items WHERE id=?", (item_id,)).fetchone()
        if row is None:
            raise QueueError(f"no audit item {item_id!r}; `proctor audit list` shows the open ones")
        return _item(row)

    def find(self, digest: str) -> AuditItem | None:
        """The latest item for an action digest, if any."""
        with self._conn() as db:
            row = db.execute("SELECT * FROM items WHERE action_digest=? ORDER BY created DESC LIMIT 1",
                             (digest,)).fetchone()
        return _item(row) if row else None

    def list(self, status: ItemStatus | Literal["open", "all"] = "open") -> list[AuditItem]:
        """Items, most suspicious (highest percentile) first (``open``: pending or escalated)."""
        where = {"open": _OPEN, "all": "1=1"}.get(status, "status=?")
        args = () if status in ("open", "all") else (status,)
        with self._conn() as db:
            rows = db.execute(f"SELECT * FROM items WHERE {where} ORDER BY percentile DESC, score DESC, created",
                              args).fetchall()
        return [_item(r) for r in rows]

    def decide(self, item_id: str, decision: AuditDecisionKind, *, reviewer: str, rationale: str,
               modified: Action | None = None) -> AuditItem:
        """Record a reviewer's decision.

        Raises:
            QueueError: unknown item, item already decided, a ``modify`` without the modified
                action, or an empty reviewer or rationale.
            QueueUnavailable: the database is locked or corrupt.
        """
        if decision not in ("approve", "modify", "reject", "terminate", "escalate"):
            raise QueueError(f"decision must be approve, modify, reject, terminate or escalate, got {decision!r}")
        if not reviewer.strip() or not rationale.strip():
            raise QueueError("a decision needs a reviewer and a rationale")
        if (decision == "modify") != (modified is not None):
            raise QueueError("'modify' needs the modified action (and only 'modify' takes one)")
        with self._conn(write=True) as db:
            row = db.execute("SELECT * FROM items WHERE id=?", (item_id,)).fetchone()
            if row is None:
                raise QueueError(f"no audit item {item_id!r}; `proctor audit list` shows the open ones")
            item = _item(row)
            if item.status == "void":
                raise QueueError(f"audit item {item_id} is void ({item.reason}); decide the item named there")
            if item.status == "decided":
                last = item.decisions[-1]
                raise QueueError(f"audit item {item_id} was already decided ({last.decision} by {last.reviewer} "
                                 f"at {last.at.isoformat()})")
            entry = AuditDecision(decision=decision, reviewer=reviewer, at=utcnow(), rationale=rationale,
                                  modified=modified, action_digest=item.evidence.action.digest())
            item.decisions.append(entry)
            item.status = "escalated" if decision == "escalate" else "decided"
            db.execute("UPDATE items SET status=?, decisions=? WHERE id=?",
                       (item.status, json.dumps([d.model_dump(mode="json") for d in item.decisions]), item_id))
        return item

    def void(self, item_id: str, reason: str) -> None:
        """Retire an item no decision may be applied to (the gate held its action again as another item).

        Raises:
            QueueUnavailable: the database is locked or corrupt.
        """
        with self._conn(write=True) as db:
            db.execute("UPDATE items SET status='void', reason=? WHERE id=?", (reason[:1000], item_id))

    def decision(self, item_id: str) -> AuditDecision | None:
        """The final decision on an item, or None while it is open.

        Raises:
            QueueError: for an unknown id.
        """
        return self.get(item_id).decision

    def count_action(self) -> None:
        """Count one action that went through the gate (for the budget counter)."""
        with self._conn(write=True) as db:
            db.execute("INSERT INTO counters VALUES ('seen', 1) ON CONFLICT(name) DO UPDATE SET value=counters.value+1")

    def budget(self) -> BudgetStatus:
        """Audits used so far against ``budget x actions seen``."""
        with self._conn() as db:
            counts = {r["name"]: int(r["value"]) for r in db.execute("SELECT name, value FROM counters")}
        if self.shared is not None and self.path.exists():  # the gate counts actions seen in the local file
            with connect(self.path, self.busy_timeout_ms, _SCHEMA) as local:
                counts["seen"] = counts.get("seen", 0) + sum(
                    int(r["value"]) for r in local.execute("SELECT value FROM counters WHERE name='seen'"))
        seen, used = counts.get("seen", 0), counts.get("audits", 0)
        allowed = self.budget_fraction * seen
        return BudgetStatus(budget=self.budget_fraction, seen=seen, used=used, allowed=round(allowed, 3),
                            over=used > allowed)

    def terminated(self) -> builtins.list[AuditItem]:
        """Items a reviewer terminated: the workflow halts the run and quarantines artifacts."""
        return [i for i in self.list("decided") if i.decision and i.decision.decision == "terminate"]


__all__ = ["AuditDecision", "AuditItem", "AuditQueue", "BudgetStatus", "Evidence", "QueueError", "QueueUnavailable"]
