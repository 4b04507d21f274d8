"""Typed events for a run's append-only ``events.jsonl``.

Every event is a pydantic model with a literal ``event`` discriminator. Subclasses register
themselves (``__init_subclass__``), so each package defines its own events next to the code that
emits them (``proctor.sandboxes``, ``proctor.control``...) and :func:`parse_event` still returns the
right class. Unknown event names (from a newer version, say) parse to :class:`UnknownEvent`
rather than failing, so an old reader never loses a line.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_EVENT_TYPES: dict[str, type[Event]] = {}


def utcnow() -> datetime:
    """Timezone-aware current UTC time."""
    return datetime.now(UTC)


class Event(BaseModel):
    """Base of all events. ``seq`` is assigned by the log when the event is appended."""

    model_config = ConfigDict(extra="forbid")

    event: str
    ts: datetime = Field(default_factory=utcnow, description="UTC time the event was created.")
    seq: int = Field(default=-1, description="Position in the run's log; set on append.")
    node: str | None = Field(default=None, description="Graph node (span) that emitted the event.")

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        field = cls.model_fields.get("event")
        default = field.default if field is not None else None
        if isinstance(default, str) and default:
            _EVENT_TYPES[default] = cls


class UnknownEvent(Event):
    """An event whose type this version does not know; all its fields are kept."""

    model_config = ConfigDict(extra="allow")


class RunStatusEvent(Event):
    """The run changed status (``running``, ``paused``, ``succeeded``, ``failed``...)."""

    event: Literal["run_status"] = "run_status"
    status: str
    detail: str = ""


class StageEvent(Event):
    """A workflow stage started, finished or failed, with its timing and cost."""

    event: Literal["stage"] = "stage"
    stage: str
    status: Literal["started", "finished", "failed", "skipped"]
    seconds: float | None = None
    cost_usd: float | None = None
    tokens: int | None = None
    detail: str = ""


class ModelCallEvent(Event):
    """One model call: the cost ledger is the set of these events."""

    event: Literal["model_call"] = "model_call"
    role: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    ok: bool = True
    attempt: int = 1
    structured: str | None = Field(default=None, description="Name of the output schema, if any.")
    error: str | None = None


class BudgetEvent(Event):
    """A budget was checked and found exhausted; the run stops cleanly after this event."""

    event: Literal["budget"] = "budget"
    kind: Literal["tokens", "dollars"]
    used: float
    limit: float


class ArtifactEvent(Event):
    """An artifact file was written into the run directory."""

    event: Literal["artifact"] = "artifact"
    path: str
    sha256: str
    bytes: int


class ErrorEvent(Event):
    """A failure, recorded with whether the run can continue or be resumed."""

    event: Literal["error"] = "error"
    where: str
    message: str
    recoverable: bool = True


def parse_event(data: dict[str, Any]) -> Event:
    """Parse one decoded ``events.jsonl`` line into its event class."""
    cls = _EVENT_TYPES.get(str(data.get("event", "")), UnknownEvent)
    return cls.model_validate(data)


def event_types() -> dict[str, type[Event]]:
    """All event classes registered so far, by their ``event`` name."""
    return dict(_EVENT_TYPES)
