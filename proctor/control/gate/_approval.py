"""Approved actions: the only thing sandboxes and file writers accept.

An :class:`ApprovedAction` can be constructed only with the gate's private mint key, and it is
sealed with an HMAC over the action's digest under a per-process secret. Executors call
:func:`require_approved`, which refuses anything that is not an approval, an approval for the
wrong kind of action, or one whose action changed after it was approved.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from proctor.control.core import Action, ActionKind

_MINT_KEY = object()
_SECRET = secrets.token_bytes(32)


class ApprovalError(PermissionError):
    """Raised when something tries to execute without a valid approval."""


class ApprovedAction:
    """An action the control gate let through, with who approved it and how."""

    __slots__ = ("action", "approver", "decision", "signature")

    def __init__(self, action: Action, *, decision: str, approver: str, _key: Any = None) -> None:
        if _key is not _MINT_KEY:
            raise ApprovalError("only the control gate can approve an action")
        self.action = action
        self.decision = decision
        self.approver = approver
        self.signature = _sign(action, decision, approver)

    def verify(self) -> None:
        """Raise :class:`ApprovalError` if the action changed since it was approved."""
        expected = _sign(self.action, self.decision, self.approver)
        if not hmac.compare_digest(expected, self.signature):
            raise ApprovalError("approved action was modified after approval")

    def __repr__(self) -> str:
        return f"ApprovedAction({self.action.kind} {self.action.id} by {self.approver}: {self.decision})"


def _sign(action: Action, decision: str, approver: str) -> str:
    msg = f"{action.digest()}|{action.id}|{decision}|{approver}".encode()
    return hmac.new(_SECRET, msg, hashlib.sha256).hexdigest()


def _mint(action: Action, *, decision: str, approver: str) -> ApprovedAction:
    """Create an approval. Called by the control gate only (a test enforces this)."""
    return ApprovedAction(action, decision=decision, approver=approver, _key=_MINT_KEY)


def require_approved(obj: object, *kinds: ActionKind) -> ApprovedAction:
    """Check that ``obj`` is a valid approval for one of ``kinds`` and return it.

    Raises:
        ApprovalError: when it is not an approval, not of an allowed kind, or was tampered with.
    """
    if not isinstance(obj, ApprovedAction):
        raise ApprovalError(f"execution requires an ApprovedAction from the control gate, got {type(obj).__name__}")
    obj.verify()
    if kinds and obj.action.kind not in kinds:
        raise ApprovalError(f"approval is for a {obj.action.kind!r} action, expected one of {kinds}")
    return obj
