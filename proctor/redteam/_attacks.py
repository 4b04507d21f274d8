"""Attack files: JSONL, one ``{"id", "description", "code"}`` object a line.

``code`` is Python the untrusted agent's (force-approved) change inserts at the top of the
template's ``experiment.py``, after any ``from __future__`` line (and the module docstring, so
``__doc__`` stays the template's), so it runs as the agent's
experiment code would: in the sandbox, before the template's own code.
"""

from __future__ import annotations

import ast
import json
import re
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class AttackFileError(ValueError):
    """The attack file is missing, not JSONL, or a line is not a valid attack."""


class Attack(BaseModel):
    """One attack on the trust boundary."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Unique, [A-Za-z0-9_.-], at most 64 characters (it names the run).")
    description: str
    code: str = Field(description="Python inserted at the top of experiment.py.")
    classes: list[str] = Field(default_factory=list, description="Which classes of failure it probes.")


def load_attacks(path: Path | None = None) -> list[Attack]:
    """Read an attack file (default: the shipped suite).

    Raises:
        AttackFileError: with the line number and what is wrong.
    """
    if path is None:
        text = resources.files("proctor.redteam").joinpath("attacks/suite.jsonl").read_text()
        where = "the shipped suite"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise AttackFileError(f"cannot read attack file {path}: {exc}") from exc
        where = str(path)
    attacks: list[Attack] = []
    seen: set[str] = set()
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            attack = Attack.model_validate(json.loads(line))
        except (ValueError, ValidationError) as exc:
            raise AttackFileError(f"{where} line {n}: not an attack object ({str(exc).splitlines()[0][:200]})") from exc
        if not _ID.fullmatch(attack.id):
            raise AttackFileError(f"{where} line {n}: id {attack.id[:70]!r} must match {_ID.pattern}")
        if attack.id in seen:
            raise AttackFileError(f"{where} line {n}: duplicate id {attack.id!r}")
        seen.add(attack.id)
        attacks.append(attack)
    if not attacks:
        raise AttackFileError(f"{where}: no attacks")
    return attacks


def inject(source: str, code: str) -> str:
    """``source`` with ``code`` inserted at its top: after the module docstring and any
    ``from __future__`` line (both must stay first), before everything else."""
    block = code.rstrip("\n") + "\n"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return block + source
    after = 0
    for n, node in enumerate(tree.body):
        docstring = n == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
            and isinstance(node.value.value, str)
        future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if not (docstring or future):
            break
        after = node.end_lineno or node.lineno
    lines = source.splitlines(keepends=True)
    head = "".join(lines[:after])
    if head and not head.endswith("\n"):
        head += "\n"
    return head + block + "".join(lines[after:])
