"""Run records: run directories, the append-only typed event log, and event emission.

A run is a directory ``runs/<utc>_<slug>_<id>/`` holding ``run.json`` (the header),
``events.jsonl`` (every model call, stage, monitor score, decision and sandbox exec as a typed
event) and its artifacts. Components call :func:`emit`; the runner decides which log it reaches.
"""

from proctor.log._context import (
    add_listener,
    current_log,
    current_node,
    emit,
    in_node,
    set_process_log,
    use_log,
)
from proctor.log._eventlog import EventLog
from proctor.log._events import (
    ArtifactEvent,
    BudgetEvent,
    ErrorEvent,
    Event,
    ModelCallEvent,
    RunStatusEvent,
    StageEvent,
    UnknownEvent,
    event_types,
    parse_event,
    utcnow,
)
from proctor.log._rundir import CorruptRun, RunDir, RunHeader, RunNotFound, RunStatus, atomic_write, slugify
from proctor.log._scoped import Scoped

__all__ = [
    "ArtifactEvent",
    "BudgetEvent",
    "CorruptRun",
    "ErrorEvent",
    "Event",
    "EventLog",
    "ModelCallEvent",
    "RunDir",
    "RunHeader",
    "RunNotFound",
    "RunStatus",
    "RunStatusEvent",
    "Scoped",
    "StageEvent",
    "UnknownEvent",
    "add_listener",
    "atomic_write",
    "current_log",
    "current_node",
    "emit",
    "event_types",
    "in_node",
    "parse_event",
    "set_process_log",
    "slugify",
    "use_log",
    "utcnow",
]
