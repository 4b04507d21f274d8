"""The settings tree.

Precedence, lowest to highest: field defaults < the TOML file (``proctor.toml`` in the working
directory, or the path in ``PROCTOR_CONFIG``) < ``PROCTOR_*`` environment variables (nested with
``__``, e.g. ``PROCTOR_LLM__TRUSTED``) < CLI flags (``--set llm.trusted=openai/gpt-4o``).
:meth:`Settings.digest` hashes the effective values and is recorded in every run.
"""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from proctor.settings._batch import BatchSettings
from proctor.settings._control import ControlSettings
from proctor.settings._llm import LLMSettings
from proctor.settings._retrieval import RetrievalSettings
from proctor.settings._review import ReviewSettings
from proctor.settings._sandbox import SandboxSettings
from proctor.settings._workflow import WorkflowSettings

# The parsed TOML file for the Settings being built; set by ``load_settings``.
file_layer: ContextVar[dict[str, Any] | None] = ContextVar("proctor_settings_file", default=None)


class _FileSource(PydanticBaseSettingsSource):
    """The already-parsed TOML file as a settings source."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return (file_layer.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(file_layer.get() or {})


class Settings(BaseSettings):
    """Every setting of Proctor, in one tree."""

    model_config = SettingsConfigDict(
        env_prefix="PROCTOR_", env_nested_delimiter="__", extra="forbid", validate_default=True,
    )

    runs_dir: Path = Field(default=Path("runs"), description="Where run directories are written.")
    llm: LLMSettings = Field(default_factory=LLMSettings)
    workflow: WorkflowSettings = Field(default_factory=WorkflowSettings)
    control: ControlSettings = Field(default_factory=ControlSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    batch: BatchSettings = Field(default_factory=BatchSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """CLI (init kwargs) > environment > TOML file > defaults."""
        return (init_settings, env_settings, _FileSource(settings_cls))

    def digest(self) -> str:
        """Short SHA-256 of the effective settings."""
        body = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    def public_dump(self) -> dict[str, Any]:
        """The settings as JSON-able data (for ``run.json``)."""
        return self.model_dump(mode="json")
