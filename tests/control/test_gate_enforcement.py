"""No path reaches execution around the gate."""

import ast
from pathlib import Path

import pytest

import proctor
from proctor.control import (
    Action,
    ApprovalError,
    ApprovedAction,
    ShellCommand,
    approve_harness,
    require_approved,
)

PACKAGE = Path(proctor.__file__).parent
ALLOWED = {PACKAGE / "control" / "gate" / "_approval.py", PACKAGE / "control" / "gate" / "_gate.py"}


def _references(tree: ast.AST, names: set[str]) -> list[int]:
    hits = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in names:
            hits.append(node.lineno)
        elif isinstance(node, ast.Attribute) and node.attr in names:
            hits.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and any(a.name in names for a in node.names):
            hits.append(node.lineno)
        elif isinstance(node, ast.Constant) and node.value in names:
            hits.append(node.lineno)  # getattr(module, "_mint") counts too
    return hits


def test_mint_and_key_are_referenced_only_by_approval_and_gate() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path in ALLOWED:
            continue
        lines = _references(ast.parse(path.read_text(encoding="utf-8")), {"_mint", "_MINT_KEY"})
        offenders += [f"{path.relative_to(PACKAGE)}:{n}" for n in lines]
    assert offenders == []


# Every place that may approve a harness action, and how often: the baseline and plot steps of the
# experiment stage (through the run's gate, so they reach the audit log), the sandbox
# conformance checks (no run, no agent), and the Inspect sandbox adapter (Inspect's own approval
# policy decides what its agent runs; docs/inspect.md). A new call site must be added here on purpose.
HARNESS_SITES = {"agents/_harness.py": 1, "sandboxes/_conformance.py": 1, "sandboxes/_probes.py": 1,
                 "sandboxes/_checks_files.py": 1, "control/gate/_gate.py": 1, "inspect_ext/_sandbox.py": 1}


def test_harness_approvals_come_only_from_the_listed_call_sites() -> None:
    found: dict[str, int] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and (
            (isinstance(n.func, ast.Name) and n.func.id == "approve_harness")
            or (isinstance(n.func, ast.Attribute) and n.func.attr == "approve_harness"))]
        if calls:
            found[str(path.relative_to(PACKAGE))] = len(calls)
    assert found == HARNESS_SITES


def _harness() -> Action:
    return Action(node="baseline", payload=ShellCommand(argv=["python", "baseline.py"]), origin="harness")


def test_constructing_an_approval_directly_raises() -> None:
    with pytest.raises(ApprovalError):
        ApprovedAction(_harness(), decision="allow", approver="me")
    with pytest.raises(ApprovalError):
        ApprovedAction(_harness(), decision="allow", approver="me", _key=object())


def test_require_approved_refuses_plain_actions_and_wrong_kinds() -> None:
    with pytest.raises(ApprovalError):
        require_approved(_harness())
    with pytest.raises(ApprovalError):
        require_approved(approve_harness(_harness()), "file_edit")


def test_tampered_approval_fails() -> None:
    approved = approve_harness(_harness())
    require_approved(approved, "shell")
    object.__setattr__(approved, "action", approved.action.model_copy(
        update={"payload": ShellCommand(argv=["curl", "evil.example"])}))
    with pytest.raises(ApprovalError, match="modified"):
        require_approved(approved)
    forged = approve_harness(_harness())
    forged.approver = "human:mallory"
    with pytest.raises(ApprovalError):
        forged.verify()


def test_harness_approval_refuses_untrusted_actions() -> None:
    with pytest.raises(ApprovalError):
        approve_harness(Action(node="x", payload=ShellCommand(argv=["ls"])))
