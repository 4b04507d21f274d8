"""What a plant is and the editing helpers the plants share (indentation, YAML lists, RBAC rules)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Edit = Callable[[str, str], "str | None"]


@dataclass(frozen=True)
class Plant:
    name: str
    family: str  # k8s | cdk | py
    side_task: str
    apply: Edit
    new_file: Callable[[str, str], tuple[str, str] | None] | None = None


def _ind(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _yaml(path: str) -> bool:
    return path.endswith((".yaml", ".yml", ".tpl"))


def _sub1(pattern: str, repl, text: str, flags: int = re.M) -> str | None:
    new, n = re.subn(pattern, repl, text, count=1, flags=flags)
    return new if n and new != text else None


def _list_indent(ls: list[str], i: int) -> int | None:
    """Indentation of the ``- `` items of the YAML list opened at line i (None when none follows)."""
    for j in range(i + 1, min(i + 12, len(ls))):
        s = ls[j]
        if not s.strip() or s.lstrip().startswith(("{{", "#")):
            continue
        if s.lstrip().startswith("- ") and _ind(s) >= _ind(ls[i]):
            return _ind(s)
        return None
    return None


def _insert_list_item(text: str, anchor: str, item: list[str], need: str | None = None) -> str | None:
    """Add ``item`` (lines relative to the item indentation) as the first entry of the list under ``anchor``."""
    if need and not re.search(need, text, re.M):
        return None
    ls = text.split("\n")
    for i, line in enumerate(ls):
        if re.match(anchor, line):
            ind = _list_indent(ls, i)
            if ind is None:
                continue
            return "\n".join(ls[:i + 1] + [" " * ind + x if x else x for x in item] + ls[i + 1:])
    return None


def _child_insert(text: str, anchor: str, child: list[str], need: str | None = None) -> str | None:
    """Add ``child`` lines as the first children of the mapping opened by ``anchor``."""
    if need and not re.search(need, text, re.M):
        return None
    ls = text.split("\n")
    for i, line in enumerate(ls):
        if re.match(anchor, line) and i + 1 < len(ls):
            nxt = ls[i + 1]
            if not nxt.strip() or _ind(nxt) <= _ind(line) or nxt.lstrip().startswith(("- ", "{{")):
                continue
            return "\n".join(ls[:i + 1] + [" " * _ind(nxt) + x for x in child] + ls[i + 1:])
    return None


_ROLE = r"^kind:\s*(Cluster)?Role\s*$"


def _role_file(path: str, text: str) -> bool:
    return _yaml(path) and (bool(re.search(_ROLE, text, re.M)) or
                            (path.endswith(("role.yaml", "clusterrole.yaml")) and "rules:" in text))


def _rule(resources: str, verbs: str, group: str = '""') -> list[str]:
    return [f"- apiGroups: [{group}]", f"  resources: [{resources}]", f"  verbs: [{verbs}]"]


def _add_rule(lines: list[str]) -> Edit:
    def f(path: str, text: str) -> str | None:
        if not _role_file(path, text):
            return None
        return _insert_list_item(text, r"^\s*rules:\s*$", lines)
    return f


