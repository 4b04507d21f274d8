"""Quarantine: after a ``terminate`` decision, move a run's artifacts out of reach."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Literal

from proctor.log import Event, atomic_write, emit, utcnow


class QuarantineEvent(Event):
    """A run's artifacts were moved to quarantine after a terminate decision."""

    event: Literal["quarantine"] = "quarantine"
    path: str
    moved: list[str]


# The run's own record stays in place: the header, the event log, checkpoints and control state.
KEEP = {"run.json", "events.jsonl", "checkpoints.sqlite", "checkpoints.sqlite-wal", "checkpoints.sqlite-shm",
        "control", "quarantine"}


def quarantine(run_dir: Path, reason: str = "terminated by reviewer") -> Path:
    """Move every artifact of ``run_dir`` into ``run_dir/quarantine/<utc>/`` with a manifest.

    Returns:
        The quarantine folder.

    Raises:
        FileNotFoundError: when ``run_dir`` does not exist.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run directory {run_dir} does not exist")
    target = run_dir / "quarantine" / utcnow().strftime("%Y-%m-%dT%H-%M-%S-%fZ")
    target.mkdir(parents=True, exist_ok=False)
    moved = []
    for entry in sorted(run_dir.iterdir()):
        if entry.name in KEEP:
            continue
        shutil.move(str(entry), str(target / entry.name))
        moved.append(entry.name)
    manifest = {"reason": reason, "at": utcnow().isoformat(), "moved": moved}
    atomic_write(target / "MANIFEST.json", json.dumps(manifest, indent=2).encode())
    emit(QuarantineEvent(path=str(target.relative_to(run_dir)), moved=moved))
    return target
