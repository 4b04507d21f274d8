"""Where Proctor keeps its state and caches, and where the optional shared data folder is.

* :func:`state_dir`: per-user state (schedules, batch locks and logs, the control queue and audit
  log of work outside a run): ``$PROCTOR_STATE_DIR``, else ``$XDG_STATE_HOME/proctor``, else
  ``~/.local/state/proctor``.
* :func:`cache_dir`: per-user caches, ``~/.cache/proctor/<kind>`` (``models``: the embedded
  model, overridden by ``$PROCTOR_MODEL_CACHE``; ``index``: the literature index).
* :func:`machine_dir`: machine-wide state, ``/var/lib/proctor/<kind>`` when running as root (whose
  home other users cannot read), else the cache directory of the same kind.
* :func:`find_shared_data`: the ``shared`` data folder next to the checkout or the working
  directory. It is an optional convenience: nothing requires it, and callers decide what its
  absence means.

Nothing here creates a directory.
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_ENV = "PROCTOR_STATE_DIR"
"""Environment variable naming the state directory."""
MODEL_CACHE_ENV = "PROCTOR_MODEL_CACHE"
"""Environment variable naming the model cache root."""
_CACHE_ENV = {"models": MODEL_CACHE_ENV}


def state_dir() -> Path:
    """Proctor's per-user state: ``$PROCTOR_STATE_DIR``, else ``$XDG_STATE_HOME/proctor`` (~/.local/state)."""
    named = os.environ.get(STATE_ENV)
    if named:
        return Path(named)
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "proctor"


def cache_dir(kind: str) -> Path:
    """The per-user cache directory of ``kind``: ``~/.cache/proctor/<kind>``.

    Args:
        kind: What is cached (``models``, ``index``, ``sandboxes``...). ``models`` honours
            ``$PROCTOR_MODEL_CACHE``.
    """
    env = _CACHE_ENV.get(kind)
    named = os.environ.get(env) if env else None
    if named:
        return Path(named).expanduser()
    return Path.home() / ".cache" / "proctor" / kind


def machine_dir(kind: str) -> Path:
    """Machine-wide state of ``kind``: ``/var/lib/proctor/<kind>`` as root, else :func:`cache_dir`.

    Root's home is not readable by other users (the unprivileged sandbox uid among them), so root
    keeps shared state under ``/var/lib``.
    """
    if os.getuid() == 0:
        return Path("/var/lib/proctor") / kind
    return cache_dir(kind)


def shared_candidates() -> list[Path]:
    """Where the ``shared`` data folder is looked for, in order.

    Next to the repository checkout, next to the working directory, then inside it.
    """
    checkout = Path(__file__).resolve().parents[1]
    return [checkout.parent / "shared", Path.cwd().parent / "shared", Path.cwd() / "shared"]


def find_shared_data(explicit: str | os.PathLike[str] | None = None, *, holding: str | None = None) -> Path | None:
    """The shared data folder, or ``None`` when there is none.

    Args:
        explicit: A folder named by a setting; when given it is the only candidate.
        holding: A relative path the folder must contain (e.g. ``data``), to skip candidates
            without it.

    Returns:
        The first candidate (``explicit``, else :func:`shared_candidates`) that is a directory
        holding ``holding``, or ``None``.
    """
    candidates = [Path(explicit).expanduser()] if explicit else shared_candidates()
    for path in candidates:
        if path.is_dir() and (holding is None or (path / holding).exists()):
            return path
    return None
