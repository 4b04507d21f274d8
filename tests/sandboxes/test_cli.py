"""``proctor sandbox check`` prints the table and fails on a failed or unavailable provider."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from proctor.cli._sandbox import sandbox_group


@pytest.mark.bwrap
def test_check_passes_on_bubblewrap() -> None:
    result = CliRunner().invoke(sandbox_group, ["check", "--provider", "bubblewrap", "--only", "roundtrip"])
    assert result.exit_code == 0, result.output
    assert "roundtrip" in result.output and "pass" in result.output


def test_check_fails_for_an_unavailable_provider() -> None:
    result = CliRunner().invoke(sandbox_group, ["check", "--provider", "host", "--only", "roundtrip"])
    assert result.exit_code != 0
    assert "allow_host" in result.output


def test_unknown_check_is_a_usage_error() -> None:
    result = CliRunner().invoke(sandbox_group, ["check", "--only", "nope"])
    assert result.exit_code == 2
