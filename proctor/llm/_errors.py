"""Errors of the model gateway. Every message names the fix."""

from __future__ import annotations


class ModelError(RuntimeError):
    """Base of all model-gateway errors."""


class ModelUnavailable(ModelError):
    """The model cannot be used: unknown model string, missing key, unreachable server."""


class StructuredOutputError(ModelError):
    """The model's output did not validate against the schema after the allowed retries."""


class BudgetExceeded(ModelError):
    """A run's token or dollar budget is spent; the run stops cleanly and can be resumed with more."""

    def __init__(self, kind: str, used: float, limit: float) -> None:
        self.kind, self.used, self.limit = kind, used, limit
        setting = "llm.budget.max_tokens" if kind == "tokens" else "llm.budget.max_usd"
        super().__init__(
            f"{kind} budget exhausted ({used:g} used of {limit:g}); raise {setting} and "
            "`proctor resume` the run"
        )
