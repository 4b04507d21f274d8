"""Sandbox settings (the ``sandbox`` section of the settings tree)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SandboxSettings(BaseModel):
    """Where and how experiment code runs."""

    model_config = ConfigDict(extra="forbid")

    provider: Literal["auto", "docker", "bubblewrap", "host"] = Field(
        default="auto",
        description="auto prefers docker, then bubblewrap; 'host' runs unisolated and needs allow_host.",
    )
    allow_host: bool = Field(default=False, description="Explicit opt-in to run on the bare host.")
    timeout_s: float = Field(default=600.0, description="Default wall timeout of one exec.")
    memory_mb: int = Field(default=4096, description="Memory limit of a sandbox.")
