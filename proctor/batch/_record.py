"""Batch directories: ``<batches>/<utc>_<name>_<id>/batch.json`` listing the spec and its runs.

``batch.json`` is rewritten atomically by the one process driving the batch. Each entry keeps its
run's directory; the run's own ``run.json`` stays the truth about its status, and
:meth:`BatchDir.refresh` copies it into the entry.
"""

from __future__ import annotations

import os
import secrets
import socket
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from proctor.log import RunDir, RunStatus, atomic_write, slugify, utcnow

BatchStatus = Literal["created", "running", "finished", "stopped", "failed"]
FINAL_RUN_STATUSES: frozenset[str] = frozenset({"succeeded", "terminated"})


class BatchNotFound(LookupError):
    """No batch directory matches the given name or id."""


class BatchEntry(BaseModel):
    """One run of the batch."""

    key: str = Field(description="Stable key within the batch (d<direction>-t<template>).")
    direction: str
    template: str | None = None
    run_dir: str = Field(description="The run's directory (absolute, or relative to the batch directory).")
    status: RunStatus = "created"
    detail: str = ""
    launches: int = Field(default=0, description="Times a worker was started for this run.")
    worker_pid: int | None = None
    node: str | None = Field(default=None, description="Where the worker runs or ran last (host; with Ray "
                             "'host ip node=<Ray node id>').")
    nodes: list[str] = Field(default_factory=list, description="The node of every worker start, in order.")
    worker_note: str = Field(default="", description="What the executor said about the last launch (a worker "
                             "lost and the run resumed on another node...).")
    gpus: list[int] = Field(default_factory=list)
    started: datetime | None = None
    finished: datetime | None = None
    seconds: float = Field(default=0.0, description="Wall seconds spent in workers, over all launches.")
    run_seconds: float | None = Field(default=None, description="Of those, seconds the run itself took inside "
                                      "its worker (Ray; the rest: scheduling, start-up, copies, bookkeeping).")


class BatchRecord(BaseModel):
    """Contents of ``batch.json``."""

    id: str
    name: str
    created: datetime
    updated: datetime
    status: BatchStatus = "created"
    status_detail: str = ""
    spec: dict[str, Any]
    spec_path: str | None = None
    settings_overrides: list[str] = Field(default_factory=list, description="--set flags the batch was made with.")
    driver_pid: int | None = Field(default=None, description="Process driving the batch right now.")
    driver_host: str | None = None
    spend_usd: float = Field(default=0.0, description="Dollars of model calls over all runs, last seen.")
    spend_tokens: int = Field(default=0, description="Tokens of model calls over all runs, last seen.")
    gpu_hours: float = Field(default=0.0, description="GPU-hours held by workers, last seen.")
    runs: list[BatchEntry] = Field(default_factory=list)


class BatchDir:
    """One batch's directory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).resolve()  # absolute: run paths inside it are compared with it

    @property
    def record_path(self) -> Path:
        """Path of ``batch.json``."""
        return self.path / "batch.json"

    @property
    def runs_root(self) -> Path:
        """Where this batch's run directories are created."""
        return self.path / "runs"

    @property
    def lock_path(self) -> Path:
        """Lock held by the process driving the batch."""
        return self.path / "batch.lock"

    @classmethod
    def create(cls, root: Path, name: str, spec: dict[str, Any], *, spec_path: str | None = None,
               overrides: list[str] | None = None) -> BatchDir:
        """Create ``<root>/<utc>_<name>_<id>/`` and its ``batch.json`` (no runs yet)."""
        now = utcnow()
        batch_id = secrets.token_hex(3)
        path = Path(root) / f"{now.strftime('%Y-%m-%dT%H-%M-%SZ')}_{slugify(name)}_{batch_id}"
        path.mkdir(parents=True, exist_ok=False)
        batch = cls(path)
        batch.save(BatchRecord(id=batch_id, name=name, created=now, updated=now, spec=spec,
                               spec_path=spec_path, settings_overrides=list(overrides or [])))
        return batch

    @classmethod
    def open(cls, root: Path, name: str) -> BatchDir:
        """Open a batch by directory path, directory name, or id.

        Raises:
            BatchNotFound: when nothing matches, or the name is ambiguous.
        """
        if (Path(name) / "batch.json").exists():
            return cls(Path(name))
        matches = [p.parent for p in Path(root).glob("*/batch.json")
                   if p.parent.name == name or p.parent.name.endswith(f"_{name}")]
        if len(matches) == 1:
            return cls(matches[0])
        if not matches:
            raise BatchNotFound(f"no batch {name!r} under {root}; `proctor batch status` lists them")
        raise BatchNotFound(f"{name!r} matches {len(matches)} batches; give the full directory name")

    @staticmethod
    def all(root: Path) -> list[BatchDir]:
        """Every batch under ``root``, oldest first."""
        return [BatchDir(p.parent) for p in sorted(Path(root).glob("*/batch.json"))]

    def load(self) -> BatchRecord:
        """Read ``batch.json``."""
        return BatchRecord.model_validate_json(self.record_path.read_bytes())

    def save(self, record: BatchRecord) -> None:
        """Atomically rewrite ``batch.json``."""
        record.updated = utcnow()
        atomic_write(self.record_path, record.model_dump_json(indent=2).encode())

    def run_of(self, entry: BatchEntry) -> RunDir:
        """The entry's run directory."""
        path = Path(entry.run_dir)
        return RunDir(path if path.is_absolute() else self.path / path)

    def refresh(self, record: BatchRecord) -> BatchRecord:
        """Copy each run's status from its ``run.json`` into the record (in memory)."""
        for entry in record.runs:
            run = self.run_of(entry)
            if run.header_path.exists():
                header = run.header()
                entry.status, entry.detail = header.status, header.status_detail
        return record

    def mark_driver(self, record: BatchRecord, status: BatchStatus, detail: str = "") -> None:
        """Record this process as the batch's driver with ``status``, and save."""
        record.status, record.status_detail = status, detail
        record.driver_pid, record.driver_host = os.getpid(), socket.gethostname()
        self.save(record)
