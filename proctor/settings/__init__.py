"""One settings tree: defaults < ``proctor.toml`` < ``PROCTOR_*`` environment < CLI ``--set`` flags."""

from proctor.settings._load import (
    SettingsError,
    find_config,
    load_settings,
    load_settings_with_sources,
    parse_overrides,
    provenance,
)
from proctor.settings._tree import Settings

__all__ = [
    "Settings",
    "SettingsError",
    "find_config",
    "load_settings",
    "load_settings_with_sources",
    "parse_overrides",
    "provenance",
]
