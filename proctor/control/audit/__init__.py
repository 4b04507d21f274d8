"""The evidence: the human audit queue, the hash-chained audit log, quarantine, and their storage.
"""

from proctor.control.audit._log import (
    AuditLog,
    AuditLogError,
    VerifyResult,
    verify_log,
)
from proctor.control.audit._paths import control_paths
from proctor.control.audit._quarantine import QuarantineEvent, quarantine
from proctor.control.audit._queue import (
    AuditDecision,
    AuditDecisionKind,
    AuditItem,
    AuditQueue,
    BudgetStatus,
    Evidence,
    QueueError,
)
from proctor.control.audit._sqlite import QueueUnavailable, connect

__all__ = [
    "AuditDecision",
    "AuditDecisionKind",
    "AuditItem",
    "AuditLog",
    "AuditLogError",
    "AuditQueue",
    "BudgetStatus",
    "Evidence",
    "QuarantineEvent",
    "QueueError",
    "QueueUnavailable",
    "VerifyResult",
    "connect",
    "control_paths",
    "quarantine",
    "verify_log",
]
