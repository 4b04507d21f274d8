"""Control: monitors score untrusted actions, protocols route them, the gate approves.

Every proposal of an untrusted agent is an :class:`Action`. Monitors (the static AST/pattern
monitor, the trusted-LLM monitor, cascades and ensembles of them) score it; the node's protocol
(trusted monitoring, defer to trusted, defer to resample, trusted editing, upfront auditing)
routes it to a :class:`ProtocolDecision`; the :class:`Gate` records every verdict in the event log
and the hash-chained :class:`AuditLog`, holds escalated actions in the :class:`AuditQueue` for a
human, and mints an :class:`ApprovedAction` for what may run. Executors accept nothing else
(:func:`require_approved`).
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
from proctor.control._audit_log import AuditLog, AuditLogError, VerifyResult, verify_log
from proctor.control._audit_queue import (
    AuditDecision,
    AuditDecisionKind,
    AuditItem,
    AuditQueue,
    BudgetStatus,
    Evidence,
    QueueError,
)
from proctor.control._compose import cascade_monitor, ensemble_monitor
from proctor.control._critical import critical_categories
from proctor.control._decision import (
    AuditRule,
    ControlProtocol,
    Decision,
    PolicyCallbacks,
    ProtocolContext,
    ProtocolDecision,
    ProtocolError,
)
from proctor.control._gate import Gate, GateOutcome, GateStatus, approve_harness
from proctor.control._gate_events import (
    GateDecisionEvent,
    MonitorEvent,
    ProtocolDecisionEvent,
    QuarantineEvent,
)
from proctor.control._llm_monitor import llm_monitor
from proctor.control._monitors import MonitorConfigError, build_monitor, monitor_digest
from proctor.control._paraphrase import ParaphraseError, edge_matches, paraphraser
from proctor.control._protocols import (
    defer_to_resample,
    defer_to_trusted,
    trusted_editing,
    trusted_monitoring,
    upfront_auditing,
)
from proctor.control._quarantine import quarantine
from proctor.control._render import render_action
from proctor.control._score_parsing import MonitorScore, ScoreParseError, parse_score
from proctor.control._settings import ControlSettings, ProtocolSpec
from proctor.control._sqlite import QueueUnavailable
from proctor.control._static_findings import Finding
from proctor.control._static_monitor import static_findings, static_monitor
from proctor.control._thresholds import (
    NodeThreshold,
    Thresholds,
    ThresholdsError,
    calibrate,
    load_scores,
    load_thresholds,
    quantile_threshold,
    save_thresholds,
)
from proctor.control._verdict import HistoryItem, Monitor, MonitorVerdict, TrajectoryView, build_view

__all__ = [
    "Action",
    "ActionKind",
    "ActionPayload",
    "AgentMessage",
    "ApprovalError",
    "ApprovedAction",
    "AuditDecision",
    "AuditDecisionKind",
    "AuditItem",
    "AuditLog",
    "AuditLogError",
    "AuditQueue",
    "AuditRule",
    "BudgetStatus",
    "ControlProtocol",
    "ControlSettings",
    "Decision",
    "Evidence",
    "FileEdit",
    "Finding",
    "Gate",
    "GateDecisionEvent",
    "GateOutcome",
    "GateStatus",
    "HistoryItem",
    "LiteratureQuery",
    "Monitor",
    "MonitorConfigError",
    "MonitorEvent",
    "MonitorScore",
    "MonitorVerdict",
    "NodeThreshold",
    "ParaphraseError",
    "PolicyCallbacks",
    "ProtocolContext",
    "ProtocolDecision",
    "ProtocolDecisionEvent",
    "ProtocolError",
    "ProtocolSpec",
    "QuarantineEvent",
    "QueueError",
    "QueueUnavailable",
    "SandboxRun",
    "ScoreParseError",
    "ShellCommand",
    "Thresholds",
    "ThresholdsError",
    "TrajectoryView",
    "VerifyResult",
    "approve_harness",
    "build_monitor",
    "build_view",
    "calibrate",
    "cascade_monitor",
    "critical_categories",
    "defer_to_resample",
    "defer_to_trusted",
    "edge_matches",
    "ensemble_monitor",
    "llm_monitor",
    "load_scores",
    "load_thresholds",
    "monitor_digest",
    "paraphraser",
    "parse_score",
    "quantile_threshold",
    "quarantine",
    "render_action",
    "require_approved",
    "save_thresholds",
    "static_findings",
    "static_monitor",
    "trusted_editing",
    "trusted_monitoring",
    "upfront_auditing",
    "verify_log",
]
