"""One typed registry per extension point.

Each extension point (monitor, protocol, sandbox provider, embedder, reviewer, template) owns one
:class:`Registry` and exposes its ``register`` method as a decorator in its own package, in the
spirit of inspect's ``@solver``/``@scorer``::

    from proctor.control.monitors import monitor

    @monitor("static")
    def static_monitor(...) -> Monitor: ...

Lookups of unknown names raise :class:`UnknownComponent`, whose message lists what is registered so a
typo names its own fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
F = TypeVar("F")


class UnknownComponent(KeyError):
    """Raised when a name is not registered for a kind."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind, self.name, self.known = kind, name, known
        super().__init__(f"unknown {kind} {name!r}; registered: {', '.join(sorted(known)) or 'none'}")

    def __str__(self) -> str:
        return str(self.args[0])


class Registry(Generic[T]):
    """Names to factories of one kind.

    Args:
        kind: the extension point's name, used in error messages (``"monitor"``, ``"sandbox"``, ...).
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._table: dict[str, T] = {}

    def register(self, name: str) -> Callable[[F], F]:
        """Decorator registering the decorated object under ``name``.

        Raises:
            ValueError: when ``name`` is already taken by a different object.
        """

        def deco(obj: F) -> F:
            existing = self._table.get(name)
            if existing is not None and existing is not obj:
                same = getattr(existing, "__qualname__", None) == getattr(obj, "__qualname__", None)
                if not same:
                    raise ValueError(f"{self.kind} {name!r} is already registered")
            self._table[name] = obj  # type: ignore[assignment]
            return obj

        return deco

    def add(self, name: str, obj: T) -> T:
        """Register ``obj`` under ``name`` (the decorator's non-decorator form)."""
        return self.register(name)(obj)

    def get(self, name: str) -> T:
        """The object registered as ``name``.

        Raises:
            UnknownComponent: when nothing is registered under that name.
        """
        if name not in self._table:
            raise UnknownComponent(self.kind, name, list(self._table))
        return self._table[name]

    def __contains__(self, name: object) -> bool:
        return name in self._table

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._table)
