"""Modules a template's experiment imports that the sandbox image lacks, found before any run.

An AI Scientist template imports what its authors had installed (``einops``, ``npeet``, ``tqdm``...);
in the sandbox such a run dies with ``ModuleNotFoundError`` after the harness has set everything up.
:func:`missing_modules` reads ``experiment.py`` and the template's own modules it imports (with
``ast``, nothing is executed), and checks every absolute top-level import against the standard
library, the template's files and the packages installed in the sandbox's root filesystem. Imports
guarded by ``try: ... except ImportError`` are optional and not counted. Where the image's contents
are not known on this machine (the ``host`` provider, a docker base image other than the debootstrap
rootfs, a rootfs not built yet) the check says nothing.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

_OPTIONAL = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _guarded(handlers: list[ast.ExceptHandler]) -> bool:
    for h in handlers:
        names = h.type.elts if isinstance(h.type, ast.Tuple) else [h.type]
        if h.type is None or any(isinstance(n, ast.Name) and n.id in _OPTIONAL for n in names):
            return True
    return False


def _imports(tree: ast.AST, optional: bool = False) -> list[tuple[str, int, bool]]:
    """``(top-level module, line, optional)`` for each absolute import in ``tree``."""
    out: list[tuple[str, int, bool]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import):
            out += [(a.name.split(".")[0], node.lineno, optional) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module.split(".")[0], node.lineno, optional))
        elif isinstance(node, ast.Try):
            guarded = optional or _guarded(node.handlers)
            out += _imports(ast.Module(body=node.body, type_ignores=[]), guarded)
            for other in [*node.orelse, *node.finalbody, *node.handlers]:
                out += _imports(other, optional)
        else:
            out += _imports(node, optional)
    return out


def template_imports(root: Path) -> dict[str, str]:
    """Every required third-party-or-stdlib module the experiment imports: name to ``file:line``.

    Follows the template's own modules (``datasets.py``, ``pkg/__init__.py``) from ``experiment.py``;
    a file that does not parse is skipped here (the experiment's own parse error is reported elsewhere).
    """
    found: dict[str, str] = {}
    todo, seen = ["experiment.py"], set()
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        try:
            tree = ast.parse((root / rel).read_text())
        except (OSError, SyntaxError, ValueError):
            continue
        for name, line, optional in _imports(tree):
            if (root / f"{name}.py").is_file():
                todo.append(f"{name}.py")
            elif (root / name / "__init__.py").is_file():
                todo.append(f"{name}/__init__.py")
            elif not (root / name).is_dir() and not optional:
                found.setdefault(name, f"{rel}:{line}")
    return found


def _site_names(site: Path) -> set[str]:
    names = set()
    for entry in site.iterdir():
        if entry.name.endswith((".dist-info", ".egg-info", ".pth")):
            continue
        names.add(entry.name.split(".")[0])
    return names


def sandbox_modules(settings: Any) -> set[str] | None:
    """Top-level modules importable in the sandbox (standard library included), or ``None`` when this
    machine cannot tell (``host`` provider, a non-debootstrap base image, no rootfs built yet)."""
    from proctor.sandboxes import rootfs_dir

    sandbox = settings.sandbox
    if sandbox.provider == "host" or sandbox.base_image != "debootstrap":
        return None
    root = rootfs_dir(sandbox)
    sites = [*root.glob("usr/local/lib/python3*/dist-packages"), *root.glob("usr/lib/python3/dist-packages"),
             *root.glob("usr/lib/python3.*")]
    if not sites:
        return None
    names = set(sys.stdlib_module_names) | set(sys.builtin_module_names)
    for site in sites:
        names |= _site_names(site)
        if (site / "lib-dynload").is_dir():
            names |= _site_names(site / "lib-dynload")
    return names


def missing_modules(root: Path, settings: Any) -> dict[str, str]:
    """Modules the experiment needs that the sandbox image lacks (name to ``file:line``); empty when
    nothing is missing or the image's contents are unknown here."""
    available = sandbox_modules(settings)
    if available is None:
        return {}
    return {name: where for name, where in sorted(template_imports(root).items()) if name not in available}


def missing_message(name: str, missing: dict[str, str], settings: Any) -> str:
    """The error for a template whose imports the sandbox lacks, with the fix."""
    import json

    listed = ", ".join(f"{m} ({where})" for m, where in missing.items())
    packages = json.dumps([*settings.sandbox.python_packages, *missing])
    return (f"template {name} imports modules the sandbox image lacks: {listed}. Add the packages that provide "
            f"them (the names may differ) with --set 'sandbox.python_packages={packages}' and a new "
            "sandbox.image name, then build it with `proctor sandbox build-image --rootfs-only`; or remove the import")
