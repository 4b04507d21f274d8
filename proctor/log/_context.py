"""Where components send their events.

Components never open log files: they call :func:`emit`, which appends to the event log of the
run in progress (a context variable, falling back to the process-wide log set by the runner).
Outside a run, events go nowhere but are still returned, so library use needs no run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from proctor.log._eventlog import EventLog
from proctor.log._events import Event

_current: ContextVar[EventLog | None] = ContextVar("proctor_event_log", default=None)
_current_node: ContextVar[str | None] = ContextVar("proctor_node", default=None)
_process_log: EventLog | None = None
_listeners: list[Callable[[Event], None]] = []


def add_listener(listener: Callable[[Event], None]) -> Callable[[], None]:
    """Call ``listener`` with every emitted event (progress displays); returns its remover."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def set_process_log(log: EventLog | None) -> None:
    """Set the log used when no context-local log is active (worker threads, for instance)."""
    global _process_log
    _process_log = log


def current_log() -> EventLog | None:
    """The event log events go to right now, if any."""
    return _current.get() or _process_log


@contextmanager
def use_log(log: EventLog) -> Iterator[EventLog]:
    """Send events emitted inside the block to ``log``."""
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)


@contextmanager
def in_node(node: str) -> Iterator[None]:
    """Tag events emitted inside the block with the graph node ``node``."""
    token = _current_node.set(node)
    try:
        yield
    finally:
        _current_node.reset(token)


def current_node() -> str | None:
    """The graph node events are being tagged with, if any."""
    return _current_node.get()


def emit(event: Event) -> Event:
    """Append ``event`` to the current run's log (tagging its node) and return it."""
    if event.node is None:
        event.node = _current_node.get()
    log = current_log()
    if log is not None:
        log.append(event)
    for listener in list(_listeners):
        try:
            listener(event)
        except Exception:  # a broken display must never break the run
            pass
    return event
