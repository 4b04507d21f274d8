"""The keyed audit log: edits, deletions, reorderings, truncation and rewrites without the key are caught."""

import hashlib
import hmac
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from proctor.control import AuditLog, AuditLogError, verify_log
from proctor.control.audit import AUDIT_KEY_ENV, anchor_path, audit_key_path, load_audit_key


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private state directory (key file, anchored heads) and no key in the environment."""
    monkeypatch.setenv("PROCTOR_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv(AUDIT_KEY_ENV, raising=False)
    return tmp_path / "state"


def _log(tmp_path: Path, n: int = 5) -> Path:
    log = AuditLog(tmp_path / "run" / "control" / "audit.jsonl")
    for i in range(n):
        log.append("monitor", {"score": i / 10})
    return log.path


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def _body(rec: dict, without: str) -> bytes:
    return json.dumps({k: v for k, v in rec.items() if k != without}, sort_keys=True, separators=(",", ":")).encode()


def _forge(path: Path, start: int, sign: Callable[[str, dict], str], field: str = "mac",
           edit: Callable[[dict], None] | None = None) -> None:
    """Rewrite the log as an attacker: optionally edit record ``start``, recompute the chain from it on
    with ``sign(prev, record)`` into ``field``, and rewrite the head next to the log to match."""
    records = [json.loads(line) for line in _lines(path)]
    prev = records[start - 1][field] if start else "0" * 64
    for i, rec in enumerate(records[start:], start):
        if i == start and edit is not None:
            edit(rec)
        rec.pop("mac", None)
        rec.pop("hash", None)
        rec["prev"] = prev
        rec[field] = prev = sign(prev, rec)
    _rewrite(path, [json.dumps(r, sort_keys=True) for r in records])
    path.with_name(path.name + ".head").write_text(json.dumps({"seq": len(records) - 1, field: prev}))


def _zero_score(rec: dict) -> None:
    rec["data"]["score"] = 0.0


def _sha256_chain(prev: str, rec: dict) -> str:  # the old format's hash: anyone can recompute it
    return hashlib.sha256(_body(rec, "hash")).hexdigest()


def _sha256_as_mac(prev: str, rec: dict) -> str:
    return hashlib.sha256(prev.encode() + b"\n" + _body(rec, "mac")).hexdigest()


def _hmac_wrong_key(prev: str, rec: dict) -> str:
    return hmac.new(b"not the key", prev.encode() + b"\n" + _body(rec, "mac"), hashlib.sha256).hexdigest()


def test_intact_keyed_and_anchored(tmp_path: Path, state: Path) -> None:
    path = _log(tmp_path)
    result = verify_log(path)
    assert result.ok and result.status == "intact" and result.records == 6 and result.anchored
    header = json.loads(_lines(path)[0])
    key = load_audit_key()
    assert key is not None and header["kind"] == "header" and header["data"]["key_id"] == key.key_id
    assert result.key_id == result.local_key_id == key.key_id
    assert audit_key_path() == state / "audit.key" and audit_key_path().stat().st_mode & 0o777 == 0o600
    anchored = json.loads(anchor_path(path).read_text())
    assert anchored["seq"] == 5 and anchored["mac"] == json.loads(_lines(path)[-1])["mac"]
    assert anchor_path(path).parent == state / "audit-heads"


def test_key_is_never_written_next_to_the_log(tmp_path: Path) -> None:
    _log(tmp_path)
    secret = audit_key_path().read_text().strip()
    for file in (tmp_path / "run").rglob("*"):
        if file.is_file():
            assert secret not in file.read_text()


def _edit(lines: list[str]) -> list[str]:
    rec = json.loads(lines[2])
    rec["data"]["score"] = 0.0
    return [*lines[:2], json.dumps(rec, sort_keys=True), *lines[3:]]


@pytest.mark.parametrize(("tamper", "status", "first_bad"), [
    (_edit, "tampered", 2),
    (lambda ls: ls[:1] + ls[2:], "tampered", 1),
    (lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], "tampered", 1),
    (lambda ls: ls[:4], "truncated", 4),
    (lambda ls: [*ls[:2], "not json", *ls[3:]], "tampered", 2),
], ids=["edit", "delete", "reorder", "truncate", "garble"])
def test_tampering_names_first_bad_record(tmp_path: Path, tamper, status: str, first_bad: int) -> None:
    path = _log(tmp_path)
    _rewrite(path, tamper(_lines(path)))
    result = verify_log(path)
    assert not result.ok and result.status == status and result.first_bad == first_bad and result.reason


@pytest.mark.parametrize(("start", "sign", "first_bad"), [
    (2, _sha256_as_mac, 2), (0, _sha256_as_mac, 0), (2, _hmac_wrong_key, 2), (0, _hmac_wrong_key, 0),
], ids=["sha256-from-edit", "sha256-whole-chain", "wrong-key-from-edit", "wrong-key-whole-chain"])
def test_chain_recomputed_without_the_key_fails_its_mac(tmp_path: Path, start: int, sign, first_bad: int) -> None:
    """The issue's attack: rewrite a record and recompute the chain (and the head) without the key."""
    path = _log(tmp_path)
    _forge(path, start, sign, edit=_zero_score if start == 2 else None)
    if start == 0:  # and edit a record further on too
        lines = _lines(path)
        _forge(path, 2, sign, edit=_zero_score)
        assert _lines(path) != lines
    result = verify_log(path)
    assert not result.ok and result.status == "tampered" and result.first_bad == first_bad
    assert "fails its MAC" in result.reason


def test_chain_rewritten_as_the_old_unkeyed_format(tmp_path: Path, state: Path) -> None:
    """An attacker writes a whole plain SHA-256 chain (the old format), head included."""
    path = _log(tmp_path)
    _forge(path, 0, _sha256_chain, field="hash")
    records = [json.loads(line) for line in _lines(path)]
    _forge(path, 2, _sha256_chain, field="hash", edit=_zero_score)
    assert [json.loads(line) for line in _lines(path)] != records
    anchored = verify_log(path)
    assert not anchored.ok and anchored.status == "tampered" and "anchored" in anchored.reason
    elsewhere = verify_log(path, anchor_dir=tmp_path / "other-machine")  # no anchor: still not intact
    assert not elsewhere.ok and elsewhere.status == "unkeyed" and "cannot prove integrity" in elsewhere.reason


def test_wrong_key_with_its_own_key_id_is_a_key_mismatch_not_intact(tmp_path: Path) -> None:
    path = _log(tmp_path)
    own = hashlib.sha256(b"not the key").hexdigest()[:8]
    _forge(path, 0, _hmac_wrong_key, edit=lambda rec: rec["data"].update(key_id=own))
    result = verify_log(path)
    assert not result.ok and result.status == "key_mismatch" and result.key_id == own


def test_edited_key_id_in_header_is_tampering(tmp_path: Path) -> None:
    path = _log(tmp_path)
    lines = _lines(path)
    header = json.loads(lines[0])
    header["data"]["key_id"] = "deadbeef"
    _rewrite(path, [json.dumps(header, sort_keys=True), *lines[1:]])
    result = verify_log(path)
    assert result.status == "tampered" and result.first_bad == 0


@pytest.mark.parametrize("fix_head", [False, True], ids=["head-stale", "head-rewritten"])
def test_deleting_the_last_records_is_truncation(tmp_path: Path, fix_head: bool) -> None:
    path = _log(tmp_path)
    lines = _lines(path)[:-2]
    _rewrite(path, lines)
    if fix_head:  # an attacker also rewrites the head next to the log; the anchored one stays
        last = json.loads(lines[-1])
        path.with_name(path.name + ".head").write_text(json.dumps({"seq": last["seq"], "mac": last["mac"]}))
    result = verify_log(path)
    assert not result.ok and result.status == "truncated" and result.records == 4 and "5" in result.reason
    with pytest.raises(AuditLogError, match="cut off"):  # and the gate cannot paper over it
        AuditLog(path).append("monitor", {"score": 0.9})
    assert _lines(path) == lines


def test_deleted_log_is_truncation(tmp_path: Path) -> None:
    path = _log(tmp_path)
    path.unlink()
    result = verify_log(path)
    assert result.status == "truncated" and not result.ok
    with pytest.raises(AuditLogError, match="cut off"):
        AuditLog(path).append("monitor", {})


def test_log_replaced_by_another_valid_log_is_caught(tmp_path: Path) -> None:
    path = _log(tmp_path)
    other = AuditLog(tmp_path / "other" / "audit.jsonl")
    for i in range(7):
        other.append("monitor", {"score": 0.0, "i": i})
    path.write_bytes(other.path.read_bytes())
    result = verify_log(path)
    assert result.status == "tampered" and result.first_bad == 5 and "rewritten" in result.reason
    with pytest.raises(AuditLogError, match="rewritten"):
        AuditLog(path).append("monitor", {})


def test_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    path = _log(tmp_path)
    written = load_audit_key().key_id  # type: ignore[union-attr]
    audit_key_path().unlink()
    result = verify_log(path)
    assert not result.ok and result.status == "key_missing" and result.key_id == written
    assert written in result.reason and AUDIT_KEY_ENV in result.reason
    assert not audit_key_path().exists()  # verification never creates a key


def test_rotated_key_names_both_key_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AUDIT_KEY_ENV, "old secret phrase")
    path = _log(tmp_path)
    old = load_audit_key().key_id  # type: ignore[union-attr]
    monkeypatch.setenv(AUDIT_KEY_ENV, "ab" * 32)
    new = load_audit_key().key_id  # type: ignore[union-attr]
    result = verify_log(path)
    assert not result.ok and result.status == "key_mismatch"
    assert f"written with key {old}" in result.reason and new in result.reason
    with pytest.raises(AuditLogError, match=f"written with key {old}.*{new}"):
        AuditLog(path).append("monitor", {})
    monkeypatch.setenv(AUDIT_KEY_ENV, "old secret phrase")
    assert verify_log(path).ok


def test_env_key_hex_or_string(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(AUDIT_KEY_ENV, "00ff" * 8)
    hexed = load_audit_key()
    assert hexed is not None and hexed.secret == bytes.fromhex("00ff" * 8) and hexed.source == f"${AUDIT_KEY_ENV}"
    assert hexed.key_id == hashlib.sha256(hexed.secret).hexdigest()[:8]
    assert "00ff" not in repr(hexed)
    monkeypatch.setenv(AUDIT_KEY_ENV, "correct horse battery")
    assert load_audit_key().secret == b"correct horse battery"  # type: ignore[union-attr]
    assert not audit_key_path().exists()


def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    _log(tmp_path)
    os.chmod(audit_key_path(), 0o644)
    with pytest.raises(AuditLogError, match="chmod 600"):
        AuditLog(tmp_path / "new.jsonl").append("monitor", {})


def _legacy(path: Path, n: int) -> None:
    prev, lines = "0" * 64, []
    for i in range(n):
        rec = {"seq": i, "ts": "2025-01-01T00:00:00+00:00", "kind": "monitor", "data": {"i": i}, "prev": prev}
        rec["hash"] = prev = _sha256_chain(prev, rec)
        lines.append(json.dumps(rec, sort_keys=True))
    path.parent.mkdir(parents=True, exist_ok=True)
    _rewrite(path, lines)
    path.with_name(path.name + ".head").write_text(json.dumps({"seq": n - 1, "hash": prev}))


def test_legacy_unkeyed_log_is_not_intact(tmp_path: Path) -> None:
    path = tmp_path / "old" / "audit.jsonl"
    _legacy(path, 3)
    result = verify_log(path)
    assert not result.ok and result.status == "unkeyed" and "cannot prove integrity" in result.reason
    AuditLog(path).append("monitor", {"i": 3})  # a resumed old run: the keyed chain starts here
    upgraded = verify_log(path)
    assert upgraded.status == "unkeyed" and "records 3..4 are keyed and intact" in upgraded.reason
    assert [json.loads(line)["kind"] for line in _lines(path)][3:] == ["header", "monitor"]


def test_header_kind_is_reserved(tmp_path: Path) -> None:
    with pytest.raises(AuditLogError, match="reserved"):
        AuditLog(tmp_path / "a.jsonl").append("header", {})


def test_concurrent_appends_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "run" / "audit.jsonl"

    def worker(w: int) -> None:
        log = AuditLog(path)
        for i in range(15):
            log.append_many([("monitor", {"w": w, "i": i}), ("protocol_decision", {"w": w, "i": i})])

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify_log(path)
    assert result.ok and result.records == 1 + 4 * 15 * 2


def test_head_lagging_after_a_crash_is_accepted(tmp_path: Path) -> None:
    path = _log(tmp_path, 3)
    stale = anchor_path(path).read_text()
    AuditLog(path).append("monitor", {"score": 0.5})
    anchor_path(path).write_text(stale)  # the log was fsynced, the anchor write was lost
    assert verify_log(path).ok
    AuditLog(path).append("monitor", {"score": 0.6})
    assert verify_log(path).ok and json.loads(anchor_path(path).read_text())["seq"] == 5
