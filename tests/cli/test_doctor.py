"""``proctor doctor``: each line says one true thing (status and detail agree)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from proctor.cli import _doctor
from proctor.cli._doctor import Check, embedded_llm_check, run_checks
from proctor.cli.main import cli


def _info(state: str, sha: str | None = "abc") -> dict[str, object]:
    return {"provider": "local/gemma-3-270m", "sha256": sha, "hf_dir": "/cache/gemma-3-270m/hf-fp32",
            "cache_state": state, "device": "cpu", "dtype": "float32"}


def test_embedded_model_before_first_use_is_not_reported_ok_and_missing() -> None:
    row = embedded_llm_check(True, _info("missing"))
    assert row.status == "first use"
    assert "package installed" in row.detail and "not made yet" in row.detail and "first use" in row.detail
    assert "(missing)" not in row.detail and "ok" not in row.status


@pytest.mark.parametrize(("found", "info", "status", "says"), [
    (True, _info("ready"), "ok", "converted cache ready"),
    (True, _info("corrupt"), "first use", "damaged"),
    (True, _info("missing", sha=None), "unusable", "installed but unreadable"),
    (False, None, "missing", "not installed"),
])
def test_embedded_model_states(found: bool, info: dict[str, object] | None, status: str, says: str) -> None:
    row = embedded_llm_check(found, info)
    assert row.status == status and says in row.detail
    if status == "ok":
        assert not row.fix and "missing" not in row.detail
    else:
        assert row.fix


def test_the_doctor_reads_the_real_cache_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCTOR_MODEL_CACHE", str(tmp_path / "empty-cache"))
    row = _doctor._local_llm()
    assert row.status in ("first use", "missing")  # an empty cache is never "ok"
    if row.status == "first use":
        assert "not made yet" in row.detail


def test_a_failing_check_becomes_one_unusable_line() -> None:
    def _boom() -> Check:
        raise OSError("disk on fire")

    [row] = run_checks([_boom])
    assert row.status == "unusable" and row.name == "boom" and "disk on fire" in row.detail


def test_doctor_prints_one_status_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_doctor, "CHECKS", [lambda: embedded_llm_check(True, _info("missing")),
                                            lambda: Check("GPU", "ok", "H200")])
    result = CliRunner().invoke(cli, ["doctor"], terminal_width=200)
    assert result.exit_code == 0, result.output
    llm_line = next(line for line in result.output.splitlines() if "embedded LLM" in line)
    assert "first use" in llm_line and " ok " not in llm_line and "(missing)" not in llm_line
