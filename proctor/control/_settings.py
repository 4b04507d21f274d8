"""Control settings (the ``control`` section of the settings tree)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ControlSettings(BaseModel):
    """Monitors, protocols, thresholds and the audit queue."""

    model_config = ConfigDict(extra="forbid")

    protocol: str = Field(default="trusted_monitoring", description="Default protocol for every node.")
    audit_budget: float = Field(default=0.02, description="Fraction of actions a human may audit.")
