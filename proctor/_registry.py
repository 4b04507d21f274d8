"""One registry for every extension point.

Each kind (monitor, protocol, sandbox, embedder, reviewer, ...) maps names to factories. Factories
register with :func:`register`; lookups of unknown names raise :class:`UnknownComponent`, whose
message lists what is registered so a typo names its own fix.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar, get_args

RegistryKind = Literal[
    "monitor", "protocol", "sandbox", "embedder", "reviewer", "policy", "template", "executor"
]

T = TypeVar("T")

_REGISTRY: dict[str, dict[str, object]] = {kind: {} for kind in get_args(RegistryKind)}


class UnknownComponent(KeyError):
    """Raised when a name is not registered for a kind."""

    def __init__(self, kind: str, name: str, known: list[str]) -> None:
        self.kind, self.name, self.known = kind, name, known
        super().__init__(f"unknown {kind} {name!r}; registered: {', '.join(sorted(known)) or 'none'}")

    def __str__(self) -> str:
        return str(self.args[0])


def register(kind: RegistryKind, name: str) -> Callable[[T], T]:
    """Decorator registering ``obj`` under ``name`` for ``kind``.

    Args:
        kind: the extension point.
        name: the registry name users put in settings.

    Returns:
        The decorator; it returns the object unchanged.

    Raises:
        ValueError: when ``name`` is already taken by a different object.
    """

    def deco(obj: T) -> T:
        table = _REGISTRY[kind]
        if name in table and table[name] is not obj:
            existing = table[name]
            same = getattr(existing, "__qualname__", None) == getattr(obj, "__qualname__", None)
            if not same:
                raise ValueError(f"{kind} {name!r} is already registered")
        table[name] = obj
        return obj

    return deco


def lookup(kind: RegistryKind, name: str) -> object:
    """Return the object registered as ``name`` for ``kind``.

    Raises:
        UnknownComponent: when nothing is registered under that name.
    """
    table = _REGISTRY[kind]
    if name not in table:
        raise UnknownComponent(kind, name, list(table))
    return table[name]


def names(kind: RegistryKind) -> list[str]:
    """Registered names for ``kind``, sorted."""
    return sorted(_REGISTRY[kind])
