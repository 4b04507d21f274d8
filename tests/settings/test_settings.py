"""Settings: precedence, provenance, and clear errors for bad configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from proctor.settings import SettingsError, load_settings, load_settings_with_sources, provenance


@pytest.fixture
def toml(tmp_path: Path) -> Path:
    path = tmp_path / "proctor.toml"
    path.write_text('[llm]\ntrusted = "openai/gpt-4o"\nreviewer = "anthropic/claude-x"\n'
                    "[workflow]\nnum_ideas = 3\nseed = 1\n")
    return path


def test_precedence_default_file_env_cli(toml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROCTOR_WORKFLOW__NUM_IDEAS", "4")
    monkeypatch.setenv("PROCTOR_LLM__REVIEWER", "ollama/llama3")
    settings, layers = load_settings_with_sources(toml, ["workflow.seed=7", "llm.reviewer=mock/r"])
    assert settings.llm.trusted == "openai/gpt-4o"  # file beats default
    assert settings.workflow.num_ideas == 4  # env beats file
    assert settings.workflow.seed == 7  # cli beats file
    assert settings.llm.reviewer == "mock/r"  # cli beats env
    assert settings.llm.untrusted == "local/gemma-3-270m"  # default
    sources = {key: source for key, _, source in provenance(settings, layers)}
    assert sources["llm.trusted"] == "file"
    assert sources["workflow.num_ideas"] == "env"
    assert sources["workflow.seed"] == "cli"
    assert sources["llm.untrusted"] == "default"


def test_digest_changes_with_values() -> None:
    assert load_settings(None, ["workflow.seed=1"]).digest() != load_settings(None, ["workflow.seed=2"]).digest()
    assert load_settings(None, ["workflow.seed=1"]).digest() == load_settings(None, ["workflow.seed=1"]).digest()


def test_corrupt_file_names_the_file_and_fix(tmp_path: Path) -> None:
    bad = tmp_path / "proctor.toml"
    bad.write_text("[llm\ntrusted = ")
    with pytest.raises(SettingsError, match=r"proctor.toml is not valid TOML.*fix the file"):
        load_settings(bad)


def test_invalid_value_names_key_and_source(toml: Path) -> None:
    with pytest.raises(SettingsError, match=r"workflow.num_ideas.*a --set flag"):
        load_settings(toml, ["workflow.num_ideas=many"])
    with pytest.raises(SettingsError, match=r"llm.nonsense.*"):
        load_settings(toml, ["llm.nonsense=1"])


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_set_without_equals_is_refused() -> None:
    with pytest.raises(SettingsError, match="KEY=VALUE"):
        load_settings(None, ["llm.trusted"])


def test_negative_budget_is_refused_before_any_run() -> None:
    with pytest.raises(SettingsError, match=r"llm.budget.max_tokens.*greater than or equal to 1"):
        load_settings(None, ["llm.budget.max_tokens=-5"])


def test_every_section_field_is_described_and_strict() -> None:
    from proctor.settings import Settings

    for section, field in Settings.model_fields.items():
        model = field.annotation
        if not isinstance(model, type) or not hasattr(model, "model_fields"):
            continue
        assert model.model_config.get("extra") == "forbid", section
        for name, sub in model.model_fields.items():
            assert sub.description, f"{section}.{name}"
