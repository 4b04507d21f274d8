"""A value that is context-local where set, with a process-wide fallback.

Run-scoped resources (the event log, the cost ledger, the current graph node) follow the task that
set them (context variables propagate into asyncio tasks) and fall back to a process-wide value for
worker threads that start without that context.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Generic, TypeVar

T = TypeVar("T")


class Scoped(Generic[T]):
    """A context-local value with a process-wide fallback."""

    def __init__(self, name: str) -> None:
        self._var: ContextVar[T | None] = ContextVar(name, default=None)
        self._process: T | None = None

    def get(self) -> T | None:
        """The context-local value, else the process-wide one."""
        value = self._var.get()
        return value if value is not None else self._process

    def set_process(self, value: T | None) -> None:
        """Set the process-wide fallback."""
        self._process = value

    @contextmanager
    def use(self, value: T) -> Iterator[T]:
        """Make ``value`` current inside the block."""
        token = self._var.set(value)
        try:
            yield value
        finally:
            self._var.reset(token)
