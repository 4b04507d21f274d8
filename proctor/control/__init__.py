"""Control: monitors score untrusted actions, protocols route them, the gate approves.

Every proposal of an untrusted agent is an :class:`Action`. Only the gate mints an
:class:`ApprovedAction`, and executors accept nothing else (:func:`require_approved`).
"""

from proctor.control._actions import (
    Action,
    ActionKind,
    ActionPayload,
    AgentMessage,
    FileEdit,
    LiteratureQuery,
    SandboxRun,
    ShellCommand,
)
from proctor.control._approval import ApprovalError, ApprovedAction, require_approved
from proctor.control._gate import approve_harness
from proctor.control._gate_events import GateDecisionEvent

__all__ = [
    "Action",
    "ActionKind",
    "ActionPayload",
    "AgentMessage",
    "ApprovalError",
    "ApprovedAction",
    "FileEdit",
    "GateDecisionEvent",
    "LiteratureQuery",
    "SandboxRun",
    "ShellCommand",
    "approve_harness",
    "require_approved",
]
