"""The hash-chained audit log detects edits, deletions, reorderings and truncation."""

import json
from pathlib import Path

import pytest

from proctor.control import AuditLog, verify_log


def _log(tmp_path: Path, n: int = 5) -> Path:
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(n):
        log.append("monitor", {"score": i / 10})
    return log.path


def _rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("".join(line + "\n" for line in lines))


def test_intact(tmp_path: Path) -> None:
    result = verify_log(_log(tmp_path))
    assert result.ok and result.records == 5


def _edit(lines: list[str]) -> list[str]:
    rec = json.loads(lines[2])
    rec["data"]["score"] = 0.0
    return [*lines[:2], json.dumps(rec, sort_keys=True), *lines[3:]]


@pytest.mark.parametrize(("tamper", "first_bad"), [
    (_edit, 2),
    (lambda ls: ls[:1] + ls[2:], 1),
    (lambda ls: [ls[0], ls[2], ls[1], *ls[3:]], 1),
    (lambda ls: ls[:3], 3),
    (lambda ls: [*ls[:2], "not json", *ls[3:]], 2),
], ids=["edit", "delete", "reorder", "truncate", "garble"])
def test_tampering_names_first_bad_record(tmp_path: Path, tamper, first_bad: int) -> None:
    path = _log(tmp_path)
    _rewrite(path, tamper(path.read_text().splitlines()))
    result = verify_log(path)
    assert not result.ok and result.first_bad == first_bad and result.reason
