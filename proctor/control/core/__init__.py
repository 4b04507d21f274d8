"""The vocabulary every control layer speaks: actions, verdicts, protocol decisions.

An :class:`Action` is one proposal of an agent; monitors answer with a :class:`MonitorVerdict`,
protocols with a :class:`ProtocolDecision`. Nothing here decides or executes anything.
"""

from proctor.control.core._actions import (
    Action,
    ActionKind,
    ActionPayload,
    AgentMessage,
    FileEdit,
    LiteratureQuery,
    SandboxRun,
    ShellCommand,
)
from proctor.control.core._decision import (
    EXECUTES,
    AuditRule,
    ControlProtocol,
    Decision,
    PolicyCallbacks,
    ProtocolContext,
    ProtocolDecision,
    ProtocolError,
)
from proctor.control.core._modify import ModifyError, modification_text, modify_action
from proctor.control.core._render import render_action, summarize_action
from proctor.control.core._verdict import (
    HistoryItem,
    Monitor,
    MonitorVerdict,
    TrajectoryView,
    build_view,
    escape,
    fail_closed,
)

__all__ = [
    "Action",
    "ActionKind",
    "ActionPayload",
    "AgentMessage",
    "AuditRule",
    "ControlProtocol",
    "Decision",
    "EXECUTES",
    "FileEdit",
    "HistoryItem",
    "LiteratureQuery",
    "ModifyError",
    "Monitor",
    "MonitorVerdict",
    "PolicyCallbacks",
    "ProtocolContext",
    "ProtocolDecision",
    "ProtocolError",
    "SandboxRun",
    "ShellCommand",
    "TrajectoryView",
    "build_view",
    "escape",
    "fail_closed",
    "modification_text",
    "modify_action",
    "render_action",
    "summarize_action",
]
