"""The CLI: clear messages and non-zero exits for bad input; config show; runs list/show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from proctor.cli.main import cli
from proctor.llm import mock


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PROCTOR_CONFIG", raising=False)
    return CliRunner()


def test_unknown_model_exits_nonzero_and_creates_no_run(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["run", "x", "--set", "llm.untrusted=gpt-nonsense-xyz"])
    assert result.exit_code == 1
    assert "unknown model 'gpt-nonsense-xyz'" in result.output
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(("template", "mode", "message"), [
    ("softmax_regression", "knobs", "has no knobs.json"),
    ("no_parameters", "constants", "has no parameters for experiment_mode=constants"),
])
def test_a_mode_the_template_cannot_take_is_refused_before_the_run(runner: CliRunner, tmp_path: Path,
                                                                   template: str, mode: str, message: str) -> None:
    if template == "no_parameters":  # an AI Scientist style template with nothing to infer
        from tests.agents.test_search import make_template

        template = str(make_template(tmp_path / "no_parameters", "import os\nprint(os.getcwd())\n"))
    result = runner.invoke(cli, ["run", "x", "--template", template, "--set", f"workflow.experiment_mode={mode}"])
    assert result.exit_code == 2 and message in " ".join(result.output.split()), result.output
    assert not (tmp_path / "runs").exists()


def test_corrupt_settings_file_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "proctor.toml").write_text("[llm\n")
    result = runner.invoke(cli, ["run", "x"])
    assert result.exit_code == 2 and "proctor.toml is not valid TOML" in result.output


def test_config_show_reports_sources(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "proctor.toml").write_text('[llm]\ntrusted = "ollama/llama3"\n')
    monkeypatch.setenv("PROCTOR_WORKFLOW__SEED", "5")
    result = runner.invoke(cli, ["config", "show", "--json", "--set", "workflow.num_ideas=3"])
    assert result.exit_code == 0, result.output
    rows = {r["key"]: (r["value"], r["source"]) for r in json.loads(result.output)}
    assert rows["llm.trusted"] == ("ollama/llama3", "file")
    assert rows["workflow.seed"] == (5, "env")
    assert rows["workflow.num_ideas"] == (3, "cli")
    assert rows["llm.untrusted"] == ("local/gemma-3-270m", "default")


def test_run_then_list_and_show(runner: CliRunner, tmp_path: Path) -> None:
    idea = {"Name": "a_b", "Title": "A fine title", "Experiment": "x" * 30,
            "Interestingness": 3, "Feasibility": 3, "Novelty": 3}
    mock.script("u", [json.dumps(idea)])
    result = runner.invoke(cli, ["run", "tiny nets", "--set", "llm.untrusted=mock/u", "--set", "llm.allow_mock=true",
                                 "--set", "workflow.num_ideas=1", "--set", "workflow.stages=[]"])
    assert result.exit_code == 0, result.output
    assert "succeeded" in result.output
    listed = runner.invoke(cli, ["runs", "list", "--json"])
    [row] = json.loads(listed.output)
    assert row["status"] == "succeeded" and row["tokens"] > 0
    shown = runner.invoke(cli, ["runs", "show", row["id"]])
    assert shown.exit_code == 0 and "propose_idea" in shown.output and "mock/u" in shown.output
    missing = runner.invoke(cli, ["runs", "show", "zzzzzz"])
    assert missing.exit_code == 2 and "no run 'zzzzzz'" in missing.output


def test_resume_unknown_run(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["resume", "nope"])
    assert result.exit_code == 2 and "no run 'nope'" in result.output


def test_every_command_loads(runner: CliRunner) -> None:
    from proctor.cli.main import COMMANDS

    for name in COMMANDS:
        result = runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)


def test_help_lists_every_command_with_its_own_help_line(runner: CliRunner) -> None:
    import click

    from proctor.cli.main import COMMANDS, load_command

    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    ctx = click.Context(cli)
    for name, entry in COMMANDS.items():
        command = load_command(name)
        assert command is not None and command.name == name
        # the map's line is the command's own (so `proctor --help` needs no import to show it)
        assert entry.help == command.get_short_help_str(limit=1000), name
        assert name in result.output
    assert cli.get_command(ctx, "no-such-command") is None
