"""The evidence: the human audit queue, the keyed hash-chained audit log, quarantine, and their storage.
"""

from proctor.control.audit._log import (
    AUDIT_KEY_ENV,
    AuditKey,
    AuditLog,
    AuditLogError,
    VerifyResult,
    VerifyStatus,
    anchor_path,
    audit_key_path,
    load_audit_key,
    verify_log,
)
from proctor.control.audit._paths import control_paths
from proctor.control.audit._postgres import SharedQueue, share_queue, shared_queue
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
    "AUDIT_KEY_ENV",
    "AuditDecision",
    "AuditDecisionKind",
    "AuditItem",
    "AuditKey",
    "AuditLog",
    "AuditLogError",
    "AuditQueue",
    "BudgetStatus",
    "Evidence",
    "QuarantineEvent",
    "QueueError",
    "QueueUnavailable",
    "SharedQueue",
    "VerifyResult",
    "VerifyStatus",
    "anchor_path",
    "audit_key_path",
    "connect",
    "control_paths",
    "load_audit_key",
    "quarantine",
    "share_queue",
    "shared_queue",
    "verify_log",
]
