"""The tamper-evident audit log: a hash-chained JSONL file.

Each record holds ``seq``, ``prev`` (the previous record's hash) and ``hash`` (SHA-256 over the
record without its hash), so an edit, a deletion or a reordering breaks the chain at the first
bad record. A sidecar ``<log>.head`` holds the last ``seq`` and hash, so cutting records off the
end is detected too. Appends take an exclusive lock on the log (:func:`proctor.locks.append_lock`)
and fsync.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from proctor.locks import append_lock
from proctor.log import atomic_write, utcnow

GENESIS = "0" * 64


class AuditLogError(RuntimeError):
    """The audit log could not be written (the gate then approves nothing)."""


class VerifyResult(BaseModel):
    """Outcome of :func:`verify_log`."""

    ok: bool
    records: int
    first_bad: int | None = None
    reason: str = ""


def _hash(record: dict[str, Any]) -> str:
    body = json.dumps({k: v for k, v in record.items() if k != "hash"}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


class AuditLog:
    """Append-only, hash-chained record of every monitor score and protocol decision."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + ".head")

    def append(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """Append one record and return it.

        Raises:
            AuditLogError: when the file cannot be written or its last record is unreadable.
        """
        return self.append_many([(kind, data)])[0]

    def append_many(self, items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Append several records under one lock and one fsync; return them.

        Raises:
            AuditLogError: when the file cannot be written or its last record is unreadable.
        """
        out: list[dict[str, Any]] = []
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as fh, append_lock(fh.fileno()):
                seq, prev = self._tail(fh)
                lines = []
                for kind, data in items:
                    seq += 1
                    record = {"seq": seq, "ts": utcnow().isoformat(), "kind": kind,
                              "data": json.loads(json.dumps(data, default=str)), "prev": prev}
                    record["hash"] = prev = _hash(record)
                    out.append(record)
                    lines.append(json.dumps(record, sort_keys=True).encode() + b"\n")
                fh.seek(0, os.SEEK_END)
                fh.write(b"".join(lines))
                fh.flush()
                os.fsync(fh.fileno())
                self._write_head(seq, prev)
        except (OSError, ValueError) as exc:
            raise AuditLogError(f"cannot append to audit log {self.path}: {exc}") from exc
        return out

    def _write_head(self, seq: int, digest: str) -> None:
        # Written after the log's fsync: after a crash the head may lag the log, which verify_log
        # accepts; a log *shorter* than its head is what it flags.
        atomic_write(self.head_path, json.dumps({"seq": seq, "hash": digest}).encode())

    @staticmethod
    def _tail(fh: Any) -> tuple[int, str]:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return -1, GENESIS
        fh.seek(max(0, size - 65536))
        lines = fh.read().splitlines()
        last = json.loads(lines[-1])
        return int(last["seq"]), str(last["hash"])


def verify_log(path: Path) -> VerifyResult:
    """Check the whole chain (and the head file, if present); name the first bad record."""
    path = Path(path)
    if not path.exists():
        return VerifyResult(ok=False, records=0, first_bad=0, reason=f"{path} does not exist")
    prev, n = GENESIS, 0
    hashes: list[str] = []
    for i, line in enumerate(path.read_bytes().splitlines()):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            return VerifyResult(ok=False, records=i, first_bad=i, reason=f"record {i} is not JSON")
        if rec.get("seq") != i:
            return VerifyResult(ok=False, records=i, first_bad=i,
                                reason=f"record {i} has seq {rec.get('seq')}: a record was deleted or moved")
        if rec.get("prev") != prev:
            return VerifyResult(ok=False, records=i, first_bad=i,
                                reason=f"record {i} does not follow record {i - 1}: deleted, inserted or reordered")
        if _hash(rec) != rec.get("hash"):
            return VerifyResult(ok=False, records=i, first_bad=i, reason=f"record {i} was edited (hash mismatch)")
        prev, n = rec["hash"], i + 1
        hashes.append(prev)
    head = path.with_name(path.name + ".head")
    if head.exists():
        want = json.loads(head.read_text())
        seq = int(want.get("seq", -1))
        if seq >= n:
            return VerifyResult(ok=False, records=n, first_bad=n,
                                reason=f"log ends at record {n - 1} but the head says {seq}: records were cut off the end")
        if seq >= 0 and hashes[seq] != want.get("hash"):
            return VerifyResult(ok=False, records=n, first_bad=seq,
                                reason=f"record {seq} does not match the head hash: the log was rewritten")
    return VerifyResult(ok=True, records=n)
