"""Artifacts in one place: a run's directory travels with its job when the hosts share no filesystem.

``batch.artifacts`` says where runs on other hosts (the Ray executor) keep their directories:

* ``shared`` (default): on a filesystem every node mounts at the same path (NFS, CephFS...), the
  batch directory included. Nothing is copied.
* ``copy``: the driver packs the run directory into the task; the worker unpacks it under
  ``batch.worker_runs_dir/<batch>/<run>`` on its node, runs there, and hands the directory back packed,
  with the head its audit log anchored on that node. The driver unpacks it over the coordinator's copy
  (beside it first, then renamed into place: the layout is unchanged, a failed copy leaves the old one
  whole) and anchors the audit log's head for its new path, so ``proctor audit verify`` on the
  coordinator finds the chain intact and anchored. The audit key must be the same on every host
  (``PROCTOR_AUDIT_KEY``). The worker's copy stays on its node until the run's next launch there.

Checkpoints travel inside the directory (the per-run SQLite file), so a run whose node is lost resumes
from the coordinator's copy: what that launch did is done again, and nothing is inconsistent.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import tarfile
from pathlib import Path

from proctor.control.audit import anchor_path, control_paths
from proctor.log import atomic_write


class CopyBackFailed(OSError):
    """A run directory handed back by a worker could not be put in place on the coordinator."""


def pack(run_dir: Path) -> bytes:
    """The directory's contents as a gzipped tar (paths relative to it)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=3) as tar:
        tar.add(str(run_dir), arcname=".")
    return buf.getvalue()


def _extract(data: bytes, dest: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        tar.extractall(dest, filter="data")  # no absolute paths, no links out, no devices


def audit_heads(run_dir: Path) -> dict[str, str]:
    """The heads this host anchored for the run's audit log (relative path -> anchored head)."""
    log = control_paths(None, None, run_dir)[1]
    anchored = anchor_path(log)
    return {str(log.relative_to(run_dir)): anchored.read_text()} if anchored.exists() else {}


def unpack_for_worker(data: bytes, root: Path, batch_name: str, run_name: str) -> Path:
    """Unpack a shipped run directory on a worker node (replacing an older copy); returns its path."""
    dest = Path(root).expanduser() / batch_name / run_name
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    _extract(data, dest)
    return dest


def land(run_dir: Path, data: bytes, heads: dict[str, str]) -> None:
    """Put a run directory handed back by a worker in place of the coordinator's copy, heads anchored.

    Raises:
        CopyBackFailed: the copy could not be unpacked or renamed into place (the old copy is left whole).
    """
    run_dir = Path(run_dir)
    token = secrets.token_hex(3)
    incoming, old = run_dir.with_name(f".{run_dir.name}.incoming-{token}"), run_dir.with_name(f".{run_dir.name}.old-{token}")
    try:
        incoming.mkdir()
        _extract(data, incoming)
        os.rename(run_dir, old)
        try:
            os.rename(incoming, run_dir)
        except OSError:
            os.rename(old, run_dir)
            raise
    except (OSError, tarfile.TarError, EOFError) as exc:
        shutil.rmtree(incoming, ignore_errors=True)
        raise CopyBackFailed(f"the run directory could not be copied back into {run_dir}: "
                             f"{type(exc).__name__}: {exc}") from exc
    shutil.rmtree(old, ignore_errors=True)
    for rel, head in heads.items():  # the head anchored on the worker, now for the log's path here
        log = run_dir / rel
        moved = {**json.loads(head), "path": os.path.abspath(log)}
        target = anchor_path(log)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        atomic_write(target, json.dumps(moved).encode())
