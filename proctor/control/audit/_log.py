"""The tamper-evident audit log: a keyed (HMAC-SHA256) chain of JSONL records.

Each record holds ``seq``, ``prev`` (the previous record's MAC) and ``mac``: HMAC-SHA256, under
a key kept outside the run directory, over the previous MAC and the record's canonical JSON. The
first record is a ``header`` naming the format and the key id (first 8 hex digits of the key's
SHA-256), so a log checked with another key says so instead of failing obscurely. Without the
key nobody can recompute the chain: an edit, a deletion, a reordering or a rewrite with plain
SHA-256 fails at the first bad record.

The key (:func:`load_audit_key`): ``$PROCTOR_AUDIT_KEY`` (hex, else the string's bytes), else
``<state dir>/audit.key`` (:func:`proctor.paths.state_dir`), created with mode 0600 on the first
append. It is never written to a run directory, an event or the log.

The head (last ``seq`` and MAC) is written next to the log (``<log>.head``) and anchored outside
it, in ``<state dir>/audit-heads/<sha256 of the log's absolute path>.json``: a log shorter than
its anchored head was truncated, one whose record at the head's ``seq`` has another MAC was
rewritten. An append refuses (:class:`AuditLogError`) a log that is truncated, rewritten or
written with another key, so evidence is never papered over. Appends take an exclusive lock on
the log (:func:`proctor.locks.append_lock`) and fsync. Logs of the earlier unkeyed format (a
SHA-256 chain with ``hash`` fields) still verify as ``unkeyed``; appending to one starts a keyed
chain after its last record.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from proctor.locks import append_lock
from proctor.log import atomic_write, utcnow
from proctor.paths import state_dir

GENESIS = "0" * 64
FORMAT = "proctor-audit/2"
AUDIT_KEY_ENV = "PROCTOR_AUDIT_KEY"
"""Environment variable holding the audit-log key (hex, or any string)."""
_HEADER = "header"
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")

VerifyStatus = Literal["intact", "tampered", "truncated", "key_missing", "key_mismatch", "unkeyed", "missing"]


class AuditLogError(RuntimeError):
    """The audit log could not be written (the gate then approves nothing)."""


class VerifyResult(BaseModel):
    """Outcome of :func:`verify_log`; ``ok`` only when ``status`` is ``intact``."""

    ok: bool
    records: int
    first_bad: int | None = None
    reason: str = ""
    status: VerifyStatus = "intact"
    key_id: str | None = None
    """Id of the key the log says it was written with (from its header)."""
    local_key_id: str | None = None
    """Id of the key found here (``$PROCTOR_AUDIT_KEY`` or the key file), if any."""
    anchored: bool = False
    """Whether a head anchored in the state directory was compared."""


@dataclass(frozen=True)
class AuditKey:
    """The secret of the keyed chain and where it came from (never printed)."""

    secret: bytes = field(repr=False)
    source: str

    @property
    def key_id(self) -> str:
        """First 8 hex digits of the key's SHA-256: names the key without revealing it."""
        return hashlib.sha256(self.secret).hexdigest()[:8]


def audit_key_path() -> Path:
    """The per-user key file, ``<state dir>/audit.key``."""
    return state_dir() / "audit.key"


def _secret(text: str) -> bytes:
    text = text.strip()
    return bytes.fromhex(text) if _HEX.fullmatch(text) else text.encode()


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit.key.")  # mode 0600
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.link(tmp, path)  # atomic, and never replaces a key another process just made
    except FileExistsError:
        pass
    finally:
        Path(tmp).unlink(missing_ok=True)


def load_audit_key(*, create: bool = False) -> AuditKey | None:
    """The audit-log key: ``$PROCTOR_AUDIT_KEY``, else the key file (made when ``create``).

    Args:
        create: create ``<state dir>/audit.key`` (32 random bytes, hex, mode 0600) when there is
            no key; appends create it, verification never does.

    Returns:
        The key, or None when there is none and ``create`` is False.

    Raises:
        AuditLogError: the key file cannot be read or made, is empty, or others may read it.
    """
    named = os.environ.get(AUDIT_KEY_ENV, "")
    if named.strip():
        return AuditKey(_secret(named), f"${AUDIT_KEY_ENV}")
    path = audit_key_path()
    try:
        if not path.exists():
            if not create:
                return None
            _create_key_file(path)
        if path.stat().st_mode & 0o077:
            raise AuditLogError(f"audit key {path} is accessible to other users: chmod 600 {path}")
        text = path.read_text()
    except OSError as exc:
        raise AuditLogError(f"cannot read or create the audit key {path}: {exc}") from exc
    if not text.strip():
        raise AuditLogError(f"audit key {path} is empty")
    return AuditKey(_secret(text), str(path))


def _as_key(key: AuditKey | bytes | str) -> AuditKey:
    if isinstance(key, AuditKey):
        return key
    return AuditKey(key if isinstance(key, bytes) else _secret(key), "argument")


def anchor_path(log: Path, anchor_dir: Path | None = None) -> Path:
    """Where the head of ``log`` is anchored: ``<state dir>/audit-heads/<sha256 of its path>.json``."""
    base = anchor_dir if anchor_dir is not None else state_dir() / "audit-heads"
    name = hashlib.sha256(os.path.abspath(os.path.expanduser(log)).encode()).hexdigest()
    return Path(base) / f"{name}.json"


def _body(record: dict[str, Any], without: str) -> bytes:
    return json.dumps({k: v for k, v in record.items() if k != without}, sort_keys=True,
                      separators=(",", ":")).encode()


def _mac(secret: bytes, prev: str, record: dict[str, Any]) -> str:
    return hmac.new(secret, prev.encode() + b"\n" + _body(record, "mac"), hashlib.sha256).hexdigest()


def _legacy_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(_body(record, "hash")).hexdigest()


def _link(record: dict[str, Any]) -> str:
    return str(record.get("mac") or record.get("hash") or "")


def _read_head(path: Path) -> tuple[int, str] | None:
    """``(seq, MAC)`` of a head file, None when there is none.

    Raises:
        ValueError: the file is malformed.
    """
    if not path.exists():
        return None
    try:
        head = json.loads(path.read_text())
        return int(head.get("seq", -1)), str(head.get("mac") or head.get("hash") or "")
    except (AttributeError, TypeError) as exc:
        raise ValueError(f"{path} is not a head record") from exc


def _header_key_id(lines: list[bytes]) -> str | None:
    for line in lines:
        rec = json.loads(line)
        if rec.get("kind") == _HEADER and "mac" in rec:
            return str(rec.get("data", {}).get("key_id"))
    return None


class AuditLog:
    """Append-only, keyed-chain record of every monitor score and protocol decision.

    Args:
        path: the JSONL log.
        key: the key (default: :func:`load_audit_key`, creating the key file on first use).
        anchor_dir: where heads are anchored (default ``<state dir>/audit-heads``).
    """

    def __init__(self, path: Path, *, key: AuditKey | bytes | str | None = None,
                 anchor_dir: Path | None = None) -> None:
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + ".head")
        self.anchor_path = anchor_path(self.path, anchor_dir)
        self._key = _as_key(key) if key is not None else None

    def key(self) -> AuditKey:
        """The key appends use (loaded, or created on first use for a log that has none yet).

        Raises:
            AuditLogError: the key file cannot be read or made, or there is no key but the log was
                written with one (no new key is made then).
        """
        if self._key is None:
            key = load_audit_key()
            if key is None:
                written = self._written_key_id()
                if written is not None:  # a fresh key could never verify this log: refuse, make none
                    raise AuditLogError(
                        f"the audit key is missing: audit log {self.path} was written with key {written}; "
                        f"restore {audit_key_path()} or set ${AUDIT_KEY_ENV} to that key")
                key = load_audit_key(create=True)
            self._key = key
        assert self._key is not None
        return self._key

    def _written_key_id(self) -> str | None:
        """The key id in this log's header, if the log exists and has one."""
        try:
            with self.path.open("rb") as fh:
                for line in fh:
                    rec = _parse(line)
                    if rec is not None and rec.get("kind") == _HEADER and "mac" in rec:
                        return str((rec.get("data") or {}).get("key_id"))
        except OSError:
            return None
        return None

    def append(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """Append one record and return it.

        Raises:
            AuditLogError: the log cannot be written, or it is truncated, rewritten, unreadable or
                written with another key (nothing is appended then).
        """
        return self.append_many([(kind, data)])[0]

    def append_many(self, items: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Append several records under one lock and one fsync; return them.

        Raises:
            AuditLogError: as for :meth:`append`.
        """
        if any(kind == _HEADER for kind, _ in items):
            raise AuditLogError(f"record kind {_HEADER!r} is reserved for the log's header")
        out: list[dict[str, Any]] = []
        try:
            key = self.key()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a+b") as fh, append_lock(fh.fileno()):
                last = self._tail(fh)
                self._check_tail(fh, last, key)
                seq, prev = (int(last["seq"]), _link(last)) if last is not None else (-1, GENESIS)
                todo = list(items)
                if last is None or "mac" not in last:  # a new log, or a legacy one: start the keyed chain
                    todo.insert(0, (_HEADER, {"format": FORMAT, "alg": "HMAC-SHA256", "key_id": key.key_id}))
                lines = []
                for j, (kind, data) in enumerate(todo):
                    seq += 1
                    record = {"seq": seq, "ts": utcnow().isoformat(), "kind": kind,
                              "data": json.loads(json.dumps(data, default=str)), "prev": prev}
                    record["mac"] = prev = _mac(key.secret, prev, record)
                    if j >= len(todo) - len(items):
                        out.append(record)
                    lines.append(json.dumps(record, sort_keys=True).encode() + b"\n")
                fh.seek(0, os.SEEK_END)
                fh.write(b"".join(lines))
                fh.flush()
                os.fsync(fh.fileno())
                self._write_heads(seq, prev, key)
        except (OSError, ValueError, TypeError, AttributeError) as exc:  # unwritable, or records not JSON objects
            raise AuditLogError(f"cannot append to audit log {self.path}: {exc}") from exc
        return out

    def _write_heads(self, seq: int, mac: str, key: AuditKey) -> None:
        # Written after the log's fsync: after a crash a head may lag the log, which is accepted;
        # a log *shorter* than a head, or one whose record at the head's seq differs, is flagged.
        atomic_write(self.head_path, json.dumps({"seq": seq, "mac": mac}).encode())
        self.anchor_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write(self.anchor_path, json.dumps({
            "path": os.path.abspath(self.path), "seq": seq, "mac": mac, "key_id": key.key_id}).encode())

    def _check_tail(self, fh: Any, last: dict[str, Any] | None, key: AuditKey) -> None:
        anchored = _read_head(self.anchor_path)
        fix = f"run `proctor audit verify {self.path}`; to start a new log here, move it and remove {self.anchor_path}"
        if anchored is not None:
            seq, mac = anchored
            end = int(last["seq"]) if last is not None else -1
            if end < seq:
                raise AuditLogError(f"audit log {self.path} ends at record {end} but its head anchored in "
                                    f"{self.anchor_path.parent} says {seq}: records were cut off; {fix}")
            at = last if end == seq else self._record_at(fh, seq)
            if at is None or _link(at) != mac:
                raise AuditLogError(f"record {seq} of audit log {self.path} does not match its anchored "
                                    f"head: the log was rewritten; {fix}")
        if last is not None and "mac" in last and not hmac.compare_digest(
                _mac(key.secret, str(last.get("prev")), last), str(last["mac"])):
            fh.seek(0)
            written = _header_key_id(fh.read().splitlines())
            if written is not None and written != key.key_id:
                raise AuditLogError(f"audit log {self.path} was written with key {written}, the key here "
                                    f"({key.source}) is {key.key_id}: restore that key or start a new log")
            raise AuditLogError(f"the last record of audit log {self.path} fails its MAC: {fix}")

    @staticmethod
    def _record_at(fh: Any, seq: int) -> dict[str, Any] | None:
        fh.seek(0)
        for line in fh.read().splitlines():
            rec = json.loads(line)
            if rec.get("seq") == seq:
                return dict(rec)
        return None

    @staticmethod
    def _tail(fh: Any) -> dict[str, Any] | None:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return None
        fh.seek(max(0, size - 65536))
        return dict(json.loads(fh.read().splitlines()[-1]))


def _bad(status: VerifyStatus, records: int, first_bad: int | None, reason: str, **kw: Any) -> VerifyResult:
    return VerifyResult(ok=False, status=status, records=records, first_bad=first_bad, reason=reason, **kw)


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        rec = json.loads(line)
    except json.JSONDecodeError:
        return None
    return rec if isinstance(rec, dict) else None


def _chain(lines: list[bytes], local: AuditKey | None, ids: dict[str, Any]) -> VerifyResult | tuple[list[str], int]:
    """Walk the chain: the first failure, else ``(each record's MAC or hash, legacy records)``."""
    prev, legacy, links = GENESIS, 0, []
    header: dict[str, Any] | None = None
    for i, line in enumerate(lines):
        rec = _parse(line)
        if rec is None:
            return _bad("tampered", i, i, f"record {i} is not a JSON object", **ids)
        if rec.get("seq") != i:
            return _bad("tampered", i, i, f"record {i} has seq {rec.get('seq')}: a record was deleted or moved", **ids)
        if rec.get("prev") != prev:
            return _bad("tampered", i, i, f"record {i} does not follow record {i - 1}: deleted, inserted or "
                        "reordered", **ids)
        if "mac" in rec:
            if rec.get("kind") == _HEADER and header is None and i == legacy:
                header = rec
                data = rec.get("data")
                ids["key_id"] = written = str(data.get("key_id") if isinstance(data, dict) else None)
                if local is None:
                    return _bad("key_missing", i, None, f"this log was written with key {written}, and there is "
                                f"no key here: set ${AUDIT_KEY_ENV} or restore {audit_key_path()}", **ids)
                following = _parse(lines[i + 1]) if i + 1 < len(lines) else None
                if written != local.key_id and not (following and hmac.compare_digest(
                        _mac(local.secret, str(rec.get("mac")), following), str(following.get("mac")))):
                    return _bad("key_mismatch", i, None, f"this log was written with key {written}, the key "
                                f"here ({local.source}) is {local.key_id}", **ids)
            elif header is None or rec.get("kind") == _HEADER:
                return _bad("tampered", i, i, f"record {i} is a keyed record out of place (no header before "
                            "it, or a second header)", **ids)
            assert local is not None  # a header was read, with a key
            if not hmac.compare_digest(_mac(local.secret, prev, rec), str(rec["mac"])):
                return _bad("tampered", i, i, f"record {i} fails its MAC: edited, or written without the key", **ids)
        elif "hash" in rec and header is None:
            if _legacy_hash(rec) != rec["hash"]:
                return _bad("tampered", i, i, f"record {i} was edited (hash mismatch)", **ids)
            legacy += 1
        else:
            return _bad("tampered", i, i, f"record {i} has no MAC: the chain was rewritten without the key", **ids)
        prev = _link(rec)
        links.append(prev)
    return links, legacy


def verify_log(path: Path, *, key: AuditKey | bytes | str | None = None,
               anchor_dir: Path | None = None) -> VerifyResult:
    """Check the whole keyed chain and both heads; say what is wrong, naming the first bad record.

    Args:
        path: the log.
        key: the key (default: :func:`load_audit_key`; verification never creates one).
        anchor_dir: where heads are anchored (default ``<state dir>/audit-heads``).

    Returns:
        ``intact`` (``ok``; ``reason`` notes a missing anchor); else ``tampered`` (record
        ``first_bad`` fails its MAC, link or sequence, or differs from a head), ``truncated``
        (fewer records than a head says), ``key_missing`` / ``key_mismatch`` (naming the key id
        the log was written with), ``unkeyed`` (an earlier SHA-256 chain: it cannot prove
        integrity) or ``missing``.

    Raises:
        AuditLogError: the key file here is unreadable, empty or readable by others.
    """
    path = Path(path)
    local = _as_key(key) if key is not None else load_audit_key(create=False)
    ids: dict[str, Any] = {"local_key_id": local.key_id if local else None}
    # The anchor of the path as given, else of the path with links resolved (a symlinked run dir).
    anchors = list(dict.fromkeys([anchor_path(path, anchor_dir), anchor_path(path.resolve(), anchor_dir)]))
    heads: list[tuple[str, tuple[int, str]]] = []
    for where, file in [*((f"anchored in {a.parent}", a) for a in anchors),
                        (f"in {path.name}.head", path.with_name(path.name + ".head"))]:
        try:
            head = _read_head(file)
        except (ValueError, OSError):
            return _bad("tampered", 0, None, f"the head {where} ({file}) is unreadable", **ids)
        if head is not None and not (where.startswith("anchored") and heads):
            heads.append((where, head))
    ids["anchored"] = any(w.startswith("anchored") for w, _ in heads)
    if not path.exists():
        if heads:
            return _bad("truncated", 0, 0, f"{path} is gone but the head {heads[0][0]} says record {heads[0][1][0]}",
                        **ids)
        return _bad("missing", 0, 0, f"{path} does not exist", **ids)
    walked = _chain(path.read_bytes().splitlines(), local, ids)
    if isinstance(walked, VerifyResult):
        return walked
    links, legacy = walked
    n = len(links)
    for where, (seq, mac) in heads:
        if seq >= n:
            return _bad("truncated", n, n, f"the log ends at record {n - 1} but the head {where} says {seq}: "
                        "records were cut off the end", **ids)
        if seq >= 0 and links[seq] != mac:
            return _bad("tampered", n, seq, f"record {seq} does not match the head {where}: the log was "
                        "rewritten", **ids)
    if legacy:
        keyed = f"; records {legacy}..{n - 1} are keyed and intact" if legacy < n else ""
        return _bad("unkeyed", n, None, f"unkeyed: cannot prove integrity (records 0..{legacy - 1} are an "
                    f"unkeyed SHA-256 chain that anyone can recompute{keyed})", **ids)
    note = "" if ids["anchored"] else (
        f"no head anchored in {anchors[0].parent} for this path (written elsewhere, or moved): "
        "truncation is checked only against the head next to the log")
    return VerifyResult(ok=True, records=n, reason=note, **ids)
