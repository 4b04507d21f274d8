"""Control settings (the ``control`` section of the settings tree)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

DEFAULT_IMPORTS = [
    "__future__", "abc", "argparse", "collections", "contextlib", "copy", "csv", "dataclasses",
    "datasets", "einops", "enum", "functools", "gc", "glob", "hashlib", "heapq", "itertools", "json",
    "logging", "math", "matplotlib", "numpy", "os", "pandas", "pathlib", "pickle", "random", "re",
    "scipy", "seaborn", "sklearn", "statistics", "string", "sys", "time", "timm", "torch",
    "torchvision", "tqdm", "transformers", "typing", "warnings", "yaml",
]
CRITICAL_CATEGORIES = ["network", "secrets", "write_outside", "scoring_code", "logging_code"]


def _switch(value: Any) -> Any:
    """``"true"``/``"on"``/``"code"`` mean True and ``"false"``/``"off"`` False (environment variables are strings)."""
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "on", "yes", "1", "code"):
            return True
        if low in ("false", "off", "no", "0", "none", ""):
            return False
    return value


class ParaphraseSettings(BaseModel):
    """The paraphraser on each hand-off edge (``control.paraphrase.<edge>``).

    ``false``: the next agent sees the text as written (it is still gated and monitored). ``true``:
    the code paraphraser (deterministic: the message re-rendered from its fields without invisible
    characters, look-alike letters, case or whitespace patterns). ``"trusted"`` or a model string:
    the code paraphraser, then that model (``llm.trusted`` for ``"trusted"``) rewrites each field;
    the embedded base model cannot, so with it the code paraphraser runs alone.
    """

    model_config = ConfigDict(extra="forbid")

    ideation_to_experiments: bool | str = Field(
        default=True, description="The idea's title and experiment, into the experiment proposal prompt.")
    experiments_to_writeup: bool | str = Field(
        default=True, description="The idea, the results table and the change's rationale, into the write-up prompt.")
    writeup_to_review: bool | str = Field(default=True, description="The paper, into the review.")

    @field_validator("ideation_to_experiments", "experiments_to_writeup", "writeup_to_review", mode="before")
    @classmethod
    def _switches(cls, value: Any) -> Any:
        return _switch(value)

    def for_edge(self, edge: str) -> bool | str:
        """The setting of ``edge``.

        Raises:
            ValueError: for an unknown edge.
        """
        if edge not in type(self).model_fields:
            raise ValueError(f"unknown hand-off edge {edge!r}; edges are {', '.join(type(self).model_fields)}")
        return getattr(self, edge)  # type: ignore[no-any-return]


class ProtocolSpec(BaseModel):
    """One protocol and its parameters, for a node type."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="Registered protocol name (e.g. trusted_monitoring, defer_to_trusted).")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments of the protocol's factory."
    )


class ControlSettings(BaseModel):
    """Monitors, protocols, thresholds and the audit queue."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    protocol: str = Field(default="trusted_monitoring", description="Default protocol for every node.")
    protocol_params: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments of the default protocol's factory."
    )
    node_protocols: dict[str, ProtocolSpec] = Field(
        default_factory=dict, validation_alias=AliasChoices("node_protocols", "protocols"),
        description="Per node type (run_experiments, check_novelty, ...), a protocol overriding the default: "
                    "a name or {type, params}; also settable as control.protocols.<node>.",
    )

    @field_validator("node_protocols", mode="before")
    @classmethod
    def _names_are_specs(cls, value: Any) -> Any:
        """``control.protocols.run_experiments=defer_to_trusted`` means ``{"type": "defer_to_trusted"}``."""
        if isinstance(value, dict):
            return {k: {"type": v} if isinstance(v, str) else v for k, v in value.items()}
        return value
    audit_budget: float = Field(default=0.02, ge=0.0, le=1.0,
                                description="Fraction of actions a human may audit.")
    monitor: dict[str, Any] = Field(
        default_factory=lambda: {"type": "learned"},
        description="Monitor spec: {'type': registered name, **factory kwargs}; composites "
        "(cascade, ensemble) nest specs under 'first'/'second' or 'monitors'.",
    )
    allowed_imports: list[str] = Field(
        default_factory=lambda: list(DEFAULT_IMPORTS),
        description="Top-level modules the static monitor does not flag as unexpected imports.",
    )
    critical: list[str] = Field(
        default_factory=lambda: list(CRITICAL_CATEGORIES),
        description="Static finding categories always held for a human (network, secrets, "
        "write_outside, scoring_code, logging_code, harness, obfuscation...).",
    )
    fallback_audit_threshold: float = Field(
        default=0.7, ge=0.0, le=1.0,
        description="Audit threshold used when no calibrated thresholds are loaded.",
    )
    escalate: Literal["flagged", "all"] = Field(
        default="flagged",
        description="A cascade monitor's second layer runs on what its first layer flags ('flagged': at or above "
        "the calibrated escalation threshold of the node, else the cascade's fixed 'threshold') or on every action "
        "('all').",
    )
    escalation_budget: float = Field(
        default=0.1, ge=0.0, le=1.0,
        description="Fraction of honest actions a cascade's first layer may send to its second layer; "
        "`proctor control calibrate` sets each node's escalation threshold for it.",
    )
    thresholds_path: Path | None = Field(
        default=None, description="Calibrated thresholds JSON (from `proctor control calibrate`)."
    )
    queue_path: Path | None = Field(
        default=None,
        description="Audit queue SQLite file; default <run>/control/audit.sqlite, else "
        "~/.local/state/proctor/audit.sqlite.",
    )
    audit_log_path: Path | None = Field(
        default=None,
        description="Hash-chained audit log; default <run>/control/audit_log.jsonl, else "
        "~/.local/state/proctor/audit_log.jsonl.",
    )
    history_items: int = Field(default=8, ge=0, description="Earlier actions a monitor sees.")
    max_render_chars: int = Field(
        default=6000, ge=200, description="Truncation of each rendered field shown to an LLM monitor."
    )
    paraphrase: ParaphraseSettings = Field(
        default_factory=ParaphraseSettings,
        description="Per hand-off edge, how the text one agent hands to the next is paraphrased.",
    )
    busy_timeout_ms: int = Field(default=5000, ge=0, description="SQLite busy timeout of the queue.")
    semgrep_bin: str = Field(
        default=".venv-semgrep/bin/semgrep",
        description="The semgrep binary of the `semgrep` monitor (its own environment, made by `make semgrep`): "
        "a path, relative ones from the checkout or the working directory; the default falls back to `semgrep` "
        "on PATH.",
    )
