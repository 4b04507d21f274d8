"""``proctor audit verify``: what it prints and its exit code for each state of the audit log."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from proctor.cli._control import audit_group
from proctor.control import AuditLog
from proctor.control.audit import AUDIT_KEY_ENV, audit_key_path


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROCTOR_CONFIG", raising=False)
    monkeypatch.delenv(AUDIT_KEY_ENV, raising=False)
    monkeypatch.setenv("PROCTOR_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("PROCTOR_CONTROL__QUEUE_PATH", str(tmp_path / "q.sqlite"))
    monkeypatch.setenv("PROCTOR_CONTROL__AUDIT_LOG_PATH", str(tmp_path / "log.jsonl"))
    audit = AuditLog(tmp_path / "log.jsonl")
    for i in range(4):
        audit.append("monitor", {"score": i / 10})
    return audit.path


def _verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(audit_group, ["verify", *args])
    return result.exit_code, " ".join(result.output.split())  # undo the console's line wrapping


def test_intact(log: Path) -> None:
    code, out = _verify()
    assert code == 0 and "intact: 5 records" in out


def test_tampered(log: Path) -> None:
    lines = log.read_text().splitlines()
    rec = json.loads(lines[2])
    rec["data"]["score"] = 0.0
    log.write_text("\n".join([*lines[:2], json.dumps(rec, sort_keys=True), *lines[3:]]) + "\n")
    code, out = _verify(str(log))
    assert code == 1 and "NOT intact (tampered)" in out and "first bad record 2" in out


def test_truncated(log: Path) -> None:
    log.write_text("".join(line + "\n" for line in log.read_text().splitlines()[:3]))
    code, out = _verify()
    assert code == 1 and "NOT intact (truncated)" in out


def test_missing_and_other_key(log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_id = json.loads(log.read_text().splitlines()[0])["data"]["key_id"]
    monkeypatch.setenv(AUDIT_KEY_ENV, "rotated")
    code, out = _verify()
    assert code == 3 and "different key" in out and f"written with key {key_id}" in out
    monkeypatch.delenv(AUDIT_KEY_ENV)
    audit_key_path().unlink()
    code, out = _verify()
    assert code == 3 and "key missing" in out and key_id in out and "intact" not in out.replace("NOT intact", "")


def test_unkeyed(log: Path, tmp_path: Path) -> None:
    old = tmp_path / "old.jsonl"
    rec = {"seq": 0, "ts": "t", "kind": "monitor", "data": {}, "prev": "0" * 64}
    import hashlib

    rec["hash"] = hashlib.sha256(json.dumps(rec, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    old.write_text(json.dumps(rec) + "\n")
    code, out = _verify(str(old))
    assert code == 4 and "unkeyed: cannot prove integrity" in out
