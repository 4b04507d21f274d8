"""The environment inside a sandbox: built from an allowlist, never inherited from the host."""

from __future__ import annotations

import re
from collections.abc import Mapping

BASE_ENV: dict[str, str] = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "PYTHONUNBUFFERED": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
    "MPLBACKEND": "Agg",
    "MPLCONFIGDIR": "/tmp/matplotlib",
}
"""Variables every sandbox gets. Nothing from the host environment is copied."""

_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION)", re.IGNORECASE)
_FORBIDDEN = {"LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "PYTHONSTARTUP", "BASH_ENV", "ENV"}


def sandbox_env(
    requested: Mapping[str, str] | None = None,
    configured: Mapping[str, str] | None = None,
    *,
    workdir: str = "/work",
    harness: str | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Build the environment of one exec.

    Args:
        requested: variables of the approved command (agent-proposed, gate-approved).
        configured: variables from ``sandbox.env`` (operator-set).
        workdir: the work directory as seen inside the sandbox.
        harness: the read-only harness directory as seen inside (``PROCTOR_HARNESS_DIR``), if any.

    Returns:
        The environment and notes about variables that were dropped.
    """
    env = dict(BASE_ENV, PROCTOR_WORKDIR=workdir)
    notes: list[str] = []
    for source in (configured or {}, requested or {}):
        for name, value in source.items():
            if _SECRET_NAME.search(name) or name in _FORBIDDEN or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                notes.append(f"env variable {name} dropped (secret-like or unsafe name)")
                continue
            env[name] = value
    if harness is not None:
        env["PROCTOR_HARNESS_DIR"] = harness
    return env, notes
