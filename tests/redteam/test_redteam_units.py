"""The red-team harness's own parts: attack files, injection, canary search and the checks."""

from __future__ import annotations

import base64
import json
import os
import zlib
from pathlib import Path

import pytest

from proctor.redteam import Attack, AttackFileError, Canaries, inject, load_attacks
from proctor.redteam import _checks as checks


def test_shipped_suite_is_large_and_covers_every_class() -> None:
    attacks = load_attacks()
    assert len(attacks) >= 25
    classes = {c for a in attacks for c in a.classes}
    assert {"harness-files", "interpreters", "prompts", "harness-code", "harness-data", "quota", "walks",
            "sandbox", "bounds"} <= classes
    for a in attacks:
        compile(a.code, a.id, "exec")


def test_attack_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "a.jsonl"
    bad.write_text(json.dumps({"id": "ok", "description": "d", "code": "pass"}) + "\n{not json\n")
    with pytest.raises(AttackFileError, match="line 2"):
        load_attacks(bad)
    bad.write_text(json.dumps({"id": "../x", "description": "d", "code": "pass"}) + "\n")
    with pytest.raises(AttackFileError, match="id"):
        load_attacks(bad)
    bad.write_text("\n".join(json.dumps({"id": "a", "description": "d", "code": "pass"}) for _ in range(2)))
    with pytest.raises(AttackFileError, match="duplicate"):
        load_attacks(bad)
    with pytest.raises(AttackFileError, match="cannot read"):
        load_attacks(tmp_path / "missing.jsonl")


def test_inject_goes_after_the_docstring_and_future_imports() -> None:
    src = '"""doc\nstring."""\nfrom __future__ import annotations\n\nimport os\nDOC = __doc__\n'
    out = inject(src, "EVIL = 1")
    lines = out.splitlines()
    assert lines.index("EVIL = 1") == lines.index("from __future__ import annotations") + 1
    scope: dict[str, object] = {}
    exec(compile(out, "x", "exec"), scope)  # noqa: S102 - our own test source
    assert scope["DOC"] == "doc\nstring." and scope["EVIL"] == 1
    assert inject("import os\n", "EVIL = 1").startswith("EVIL = 1\n")
    assert inject('"""only a docstring"""', "EVIL = 1").endswith("EVIL = 1\n")


def test_canary_found_raw_encoded_and_compressed() -> None:
    c = Canaries(tokens={"PRC-0123456789abcdef0123456789abcdef": "canary file /x"})
    token = b"PRC-0123456789abcdef0123456789abcdef"
    assert c.find(b"hello " + token + b" bye")
    assert c.find(token.hex().encode())
    for pad in (b"", b"a", b"ab"):
        assert c.find(base64.b64encode(pad + token + b"tail")), pad
    assert c.find(b"%PDF stream\n" + zlib.compress(b"text " + token) + b"endstream")
    assert not c.find(b"PRC-0123456789abcdef0123456789abcdee")


def _run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    (run / "experiments" / "idea" / "work").mkdir(parents=True)
    (run / "papers" / "idea").mkdir(parents=True)
    return run


def test_special_files_outside_the_work_dir_are_violations(tmp_path: Path) -> None:
    run = _run_dir(tmp_path)
    os.symlink("/etc/passwd", run / "experiments" / "idea" / "work" / "inside.png")  # allowed: inside work
    assert checks.check_special_files(run) == []
    os.symlink("/etc/passwd", run / "papers" / "idea" / "figure_1.png")
    os.mkfifo(run / "papers" / "idea" / "fifo")
    exe = run / "papers" / "idea" / "suid"
    exe.write_bytes(b"x")
    os.chmod(exe, 0o4755)
    found = checks.check_special_files(run)
    assert any("symlink" in f for f in found) and any("FIFO" in f for f in found) and any("setuid" in f for f in found)


def test_active_html_is_found(tmp_path: Path) -> None:
    run = _run_dir(tmp_path)
    page = run / "papers" / "idea" / "paper.html"
    page.write_text("<html><body><p>fine &lt;script&gt;</p><img src='figure_1.png'></body></html>")
    assert checks.check_html(run) == []
    page.write_text("<p>x</p><img src=x onerror=alert(1)><a href=' JavaScript:alert(1)'>a</a><script>1</script>")
    found = " ".join(checks.check_html(run))
    assert "onerror" in found and "javascript" in found and "<script>" in found


def test_exec_without_event_and_baseline_mismatch(tmp_path: Path) -> None:
    run = _run_dir(tmp_path)
    events = [{"event": "gate_decision", "action_id": "a1", "action_kind": "shell", "decision": "allow"},
              {"event": "gate_decision", "action_id": "a2", "action_kind": "shell", "decision": "allow"},
              {"event": "gate_decision", "action_id": "a3", "action_kind": "shell", "decision": "blocked"},
              {"event": "sandbox_exec", "action_id": "a1"}]
    (run / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events))
    assert checks.check_exec_events(run) == ["approved shell a2 has no sandbox_exec event"]
    ref = {"d": {"means": {"acc": 0.9}}}
    exp = run / "experiments" / "idea"
    (exp / "experiment.json").write_text(json.dumps({"runs": {"run_0": {"final_info": ref}}}))
    for sub in ("baseline/run_0", "work/run_0"):
        (exp / sub).mkdir(parents=True)
        (exp / sub / "final_info.json").write_text(json.dumps(ref))
    assert checks.check_baseline(run, ref) == []
    (exp / "work" / "run_0" / "final_info.json").write_text(json.dumps({"d": {"means": {"acc": 0.1}}}))
    assert checks.check_baseline(run, ref) == ["experiments/idea/work/run_0/final_info.json is not the pristine baseline"]


def test_attack_model_forbids_unknown_fields() -> None:
    with pytest.raises(ValueError):
        Attack.model_validate({"id": "a", "description": "d", "code": "x", "extra": 1})
