"""Loading settings from file, environment and CLI flags, with the provenance of every value."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_settings import EnvSettingsSource

from proctor.settings._tree import Settings, file_layer

Source = Literal["default", "file", "env", "cli"]


class SettingsError(ValueError):
    """The configuration is invalid; the message names the value, where it came from, and the fix."""


def find_config(explicit: str | Path | None = None) -> Path | None:
    """The settings file in use: ``explicit``, else ``$PROCTOR_CONFIG``, else ``./proctor.toml``.

    Raises:
        SettingsError: when an explicitly named file does not exist.
    """
    named = explicit or os.environ.get("PROCTOR_CONFIG")
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise SettingsError(f"settings file {path} does not exist; fix the path or unset PROCTOR_CONFIG")
        return path
    local = Path("proctor.toml")
    return local if local.is_file() else None


def read_config(path: Path | None) -> dict[str, Any]:
    """Parse a TOML settings file.

    Raises:
        SettingsError: when the file is not valid TOML.
    """
    if path is None:
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(
            f"{path} is not valid TOML ({exc}); fix the file, or move it away to use the defaults"
        ) from exc


def parse_overrides(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """Turn ``["llm.trusted=openai/gpt-4o", "workflow.num_ideas=3"]`` into a nested dict.

    Values are read as JSON when they parse (numbers, booleans, lists), else as strings.

    Raises:
        SettingsError: for a pair without ``=``.
    """
    tree: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise SettingsError(f"--set expects KEY=VALUE (e.g. llm.trusted=openai/gpt-4o), got {pair!r}")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = tree
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


def _describe(exc: ValidationError, layers: dict[Source, dict[str, Any]]) -> str:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        origin = _source_of(tuple(str(p) for p in err["loc"]), layers)
        where = {"file": "the settings file", "env": "an environment variable (PROCTOR_...)",
                 "cli": "a --set flag", "default": "a default"}[origin]
        lines.append(f"  {loc}: {err['msg']} (from {where})")
    return "invalid settings:\n" + "\n".join(lines) + "\nfix the value named above; `proctor config show` lists every setting"


def _source_of(path: tuple[str, ...], layers: dict[Source, dict[str, Any]]) -> Source:
    for source in ("cli", "env", "file"):
        node: Any = layers.get(source, {})  # type: ignore[call-overload]
        for part in path:
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        else:
            return source  # type: ignore[return-value]
    return "default"


def load_settings(
    config: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> Settings:
    """Build the effective settings.

    Raises:
        SettingsError: for a missing or corrupt file, or any invalid value (with where it came from).
    """
    settings, _ = load_settings_with_sources(config, overrides)
    return settings


def load_settings_with_sources(
    config: str | Path | None = None, overrides: list[str] | tuple[str, ...] = ()
) -> tuple[Settings, dict[Source, dict[str, Any]]]:
    """Like :func:`load_settings`, also returning each layer's raw values."""
    path = find_config(config)
    layers: dict[Source, dict[str, Any]] = {"file": read_config(path), "cli": parse_overrides(overrides)}
    token = file_layer.set(layers["file"])
    try:
        try:
            layers["env"] = EnvSettingsSource(Settings)()
            settings = Settings(**layers["cli"])
        except ValidationError as exc:
            raise SettingsError(_describe(exc, layers)) from exc
        except ValueError as exc:  # pydantic-settings wraps undecodable env values
            raise SettingsError(f"invalid settings: {exc}") from exc
    finally:
        file_layer.reset(token)
    return settings, layers


def provenance(settings: Settings, layers: dict[Source, dict[str, Any]]) -> list[tuple[str, Any, Source]]:
    """Every leaf setting as ``(dotted.key, value, source)``."""
    rows: list[tuple[str, Any, Source]] = []

    def walk(prefix: tuple[str, ...], value: Any) -> None:
        if isinstance(value, dict) and value:
            for key in sorted(value):
                walk((*prefix, key), value[key])
            return
        rows.append((".".join(prefix), value, _source_of(prefix, layers)))

    walk((), settings.model_dump(mode="json"))
    return rows
