"""Import rules beside the layer contracts (``lint-imports``, run by ``make lint``).

A module's package is the folder it lives in. No module imports another package's underscore
(private) module: what packages share goes through their ``__init__``. The layer contracts
themselves are run here too, so ``pytest`` alone catches a wrong-way import.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import proctor

PACKAGE = Path(proctor.__file__).parent
REPO = PACKAGE.parent


def _modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if "templates" not in p.relative_to(PACKAGE).parts]


def private_imports(path: Path, source: str | None = None) -> list[str]:
    """``module:line -> target`` for each import in ``path`` of another package's underscore module."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    own = ".".join(rel.parts[:-1])
    text = path.read_text(encoding="utf-8") if source is None else source
    found = []
    for node in ast.walk(ast.parse(text)):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for target in targets:
            parts = target.split(".")
            if parts[0] != "proctor":
                continue
            for i, part in enumerate(parts):
                if part.startswith("_"):
                    if ".".join(parts[:i]) != own:
                        found.append(f"{'.'.join(rel.parts)}:{node.lineno} -> {target}")
                    break
    return found


def test_the_rule_sees_a_private_import() -> None:
    probe = PACKAGE / "tui" / "_probe.py"  # never written: the source is passed in
    source = ("from proctor.control.audit._queue import AuditQueue\nfrom proctor.tui._store import Store\n"
              "import proctor.llm._local_engine\nfrom proctor.control import Gate\n")
    assert private_imports(probe, source) == [
        "proctor.tui._probe:1 -> proctor.control.audit._queue",
        "proctor.tui._probe:3 -> proctor.llm._local_engine",
    ]


def test_no_module_imports_another_packages_private_module() -> None:
    offenders = [hit for path in _modules() for hit in private_imports(path)]
    assert offenders == []


def test_layer_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("lint-imports is missing: pip install -e '.[dev]'")
    proc = subprocess.run([exe, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
