"""Where the control state lives: under the run directory, else the user's state directory."""

from __future__ import annotations

from pathlib import Path

from proctor.paths import state_dir


def control_paths(queue_path: Path | None, audit_log_path: Path | None,
                  run_dir: Path | None) -> tuple[Path, Path]:
    """``(queue database, audit log)`` paths.

    Explicit settings win, else ``<run>/control/``, else the user's state directory
    (:func:`proctor.paths.state_dir`, by default ``~/.local/state/proctor/``).
    """
    base = Path(run_dir) / "control" if run_dir is not None else state_dir()
    queue = Path(queue_path).expanduser() if queue_path else base / "audit.sqlite"
    log = Path(audit_log_path).expanduser() if audit_log_path else base / "audit_log.jsonl"
    return queue, log
