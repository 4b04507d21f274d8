"""The gate's verdict cache, keyed by action digest and kept in the audit database.

LangGraph re-executes a node from the top when a run resumes, so the same proposal reaches the
gate again: the cached decision is returned without re-scoring (and without re-rolling the
randomised audit draw, which an agent could otherwise exploit by resubmitting).
"""

from __future__ import annotations

from pathlib import Path

from proctor.control.audit import connect
from proctor.control.core import ProtocolDecision
from proctor.log import utcnow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gate_cache (
  digest TEXT PRIMARY KEY, decision TEXT NOT NULL, item_id TEXT, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS logged (key TEXT PRIMARY KEY, created TEXT NOT NULL);
"""


class GateCache:
    """Decisions by action digest, in memory and in SQLite (so they survive a restart)."""

    def __init__(self, path: Path, busy_timeout_ms: int = 5000) -> None:
        self.path = Path(path)
        self.busy_timeout_ms = busy_timeout_ms
        self._memory: dict[str, tuple[ProtocolDecision, str | None]] = {}

    def get(self, digest: str) -> tuple[ProtocolDecision, str | None] | None:
        """The cached decision and queue item id for ``digest``, if any."""
        if digest in self._memory:
            return self._memory[digest]
        with connect(self.path, self.busy_timeout_ms, _SCHEMA) as db:
            row = db.execute("SELECT decision, item_id FROM gate_cache WHERE digest=?", (digest,)).fetchone()
        if row is None:
            return None
        hit = (ProtocolDecision.model_validate_json(row["decision"]), row["item_id"])
        self._memory[digest] = hit
        return hit

    def put(self, digest: str, decision: ProtocolDecision, item_id: str | None) -> None:
        """Store a decision (first one wins: a digest is decided once).

        A new digest also counts one action for the audit-budget counter.
        """
        with connect(self.path, self.busy_timeout_ms, _SCHEMA, write=True, durable=False) as db:
            cur = db.execute("INSERT OR IGNORE INTO gate_cache VALUES (?,?,?,?)",
                             (digest, decision.model_dump_json(), item_id, utcnow().isoformat()))
            if cur.rowcount == 1:
                db.execute("INSERT INTO counters VALUES ('seen', 1) ON CONFLICT(name) DO UPDATE SET value=value+1")
        self._memory.setdefault(digest, (decision, item_id))

    def by_item(self, item_id: str) -> tuple[str, ProtocolDecision] | None:
        """``(digest, decision)`` of the action held as audit item ``item_id``, if this gate held it."""
        for digest, (decision, item) in self._memory.items():
            if item == item_id:
                return digest, decision
        with connect(self.path, self.busy_timeout_ms, _SCHEMA) as db:
            row = db.execute("SELECT digest, decision FROM gate_cache WHERE item_id=?", (item_id,)).fetchone()
        return (str(row["digest"]), ProtocolDecision.model_validate_json(row["decision"])) if row else None

    def rehold(self, digest: str, item_id: str) -> None:
        """Point ``digest`` at a new audit item (its action was held again)."""
        with connect(self.path, self.busy_timeout_ms, _SCHEMA, write=True) as db:
            db.execute("UPDATE gate_cache SET item_id=? WHERE digest=?", (item_id, digest))
        if digest in self._memory:
            self._memory[digest] = (self._memory[digest][0], item_id)

    def logged(self, key: str) -> bool:
        """Whether the once-only audit record ``key`` was written (see :meth:`mark_logged`)."""
        with connect(self.path, self.busy_timeout_ms, _SCHEMA) as db:
            return db.execute("SELECT 1 FROM logged WHERE key=?", (key,)).fetchone() is not None

    def mark_logged(self, key: str) -> None:
        """Remember that the audit record ``key`` was written (after writing it: a crash in between
        repeats the record rather than losing it)."""
        with connect(self.path, self.busy_timeout_ms, _SCHEMA, write=True, durable=False) as db:
            db.execute("INSERT OR IGNORE INTO logged VALUES (?,?)", (key, utcnow().isoformat()))
