"""A tap on what every model call is sent: the red-team harness reads it to prove no host secret
reached a prompt.

:func:`prompt_tap` collects, for the calls made inside it (in this task and the tasks it starts),
each call's role and the text of its messages. Nothing is collected outside a tap.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

_TAP: contextvars.ContextVar[list[dict[str, str]] | None] = contextvars.ContextVar("proctor_prompt_tap", default=None)


@contextlib.contextmanager
def prompt_tap() -> Iterator[list[dict[str, str]]]:
    """Collect ``{"role", "prompt"}`` for every model call made inside the block."""
    seen: list[dict[str, str]] = []
    token = _TAP.set(seen)
    try:
        yield seen
    finally:
        _TAP.reset(token)


def tap(role: str, messages: list[dict[str, Any]]) -> None:
    """Record one call's messages where a tap is open (called by the gateway)."""
    seen = _TAP.get()
    if seen is not None:
        seen.append({"role": role, "prompt": "\n".join(str(m.get("content", "")) for m in messages)})
