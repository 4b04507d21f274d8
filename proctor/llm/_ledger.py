"""The per-run cost ledger and its hard budgets.

litellm's own ``max_budget`` does not fire, so Proctor counts every call itself: the ledger is
rebuilt from a run's ``model_call`` events on resume, checked before every call, and raises
:class:`BudgetExceeded` once a limit is reached.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextlib import AbstractContextManager

from proctor.llm._errors import BudgetExceeded
from proctor.log import BudgetEvent, Event, ModelCallEvent, Scoped, emit
from proctor.settings import BudgetSettings


class Ledger:
    """Running totals of one run's model usage, with its budget."""

    def __init__(self, budget: BudgetSettings | None = None) -> None:
        self.budget = budget or BudgetSettings(max_tokens=None, max_usd=None)
        self.tokens = 0
        self.usd = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    @classmethod
    def from_events(cls, events: Iterable[Event], budget: BudgetSettings | None = None) -> Ledger:
        """Rebuild the totals from a run's events (for resume)."""
        ledger = cls(budget)
        for event in events:
            if isinstance(event, ModelCallEvent):
                ledger.record(event.prompt_tokens + event.completion_tokens, event.cost_usd)
        return ledger

    def record(self, tokens: int, usd: float) -> None:
        """Add one call's usage."""
        with self._lock:
            self.tokens += tokens
            self.usd += usd
            self.calls += 1

    def check(self) -> None:
        """Raise :class:`BudgetExceeded` (after logging it) when a limit is reached."""
        limits: list[tuple[str, float, float | int | None]] = [
            ("tokens", self.tokens, self.budget.max_tokens),
            ("dollars", self.usd, self.budget.max_usd),
        ]
        for kind, used, limit in limits:
            if limit is not None and used >= limit:
                emit(BudgetEvent(kind=kind, used=used, limit=limit))  # type: ignore[arg-type]
                raise BudgetExceeded(kind, used, limit)


_ledger: Scoped[Ledger] = Scoped("proctor_ledger")


def current_ledger() -> Ledger | None:
    """The ledger of the run in progress, if any."""
    return _ledger.get()


def set_process_ledger(ledger: Ledger | None) -> None:
    """Set the ledger used where no context-local one is active."""
    _ledger.set_process(ledger)


def use_ledger(ledger: Ledger) -> AbstractContextManager[Ledger]:
    """Charge model calls inside the block to ``ledger``."""
    return _ledger.use(ledger)
