"""Where components send their events.

Components never open log files: they call :func:`emit`, which appends to the event log of the
run in progress (a context variable, falling back to the process-wide log set by the runner).
Outside a run, events go nowhere but are still returned, so library use needs no run.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from proctor.log._eventlog import EventLog
from proctor.log._events import Event
from proctor.log._scoped import Scoped

_log: Scoped[EventLog] = Scoped("proctor_event_log")
_node: Scoped[str] = Scoped("proctor_node")
_listeners: list[Callable[[Event], None]] = []


def add_listener(listener: Callable[[Event], None]) -> Callable[[], None]:
    """Call ``listener`` with every emitted event (progress displays); returns its remover."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def set_process_log(log: EventLog | None) -> None:
    """Set the log used when no context-local log is active (worker threads, for instance)."""
    _log.set_process(log)


def current_log() -> EventLog | None:
    """The event log events go to right now, if any."""
    return _log.get()


def use_log(log: EventLog) -> AbstractContextManager[EventLog]:
    """Send events emitted inside the block to ``log``."""
    return _log.use(log)


def in_node(node: str) -> AbstractContextManager[str]:
    """Tag events emitted inside the block with the graph node ``node``."""
    return _node.use(node)


def current_node() -> str | None:
    """The graph node events are being tagged with, if any."""
    return _node.get()


def emit(event: Event) -> Event:
    """Append ``event`` to the current run's log (tagging its node) and return it."""
    if event.node is None:
        event.node = _node.get()
    log = current_log()
    if log is not None:
        log.append(event)
    for listener in list(_listeners):
        try:
            listener(event)
        except Exception:  # a broken display must never break the run
            pass
    return event
