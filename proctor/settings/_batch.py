"""Batch settings (to be nested as ``settings.batch``): executor, shared state, concurrency."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ExecutorKind = Literal["local", "ray"]
ArtifactsMode = Literal["shared", "copy"]


class BatchSettings(BaseModel):
    """How batches run: where runs execute and where their shared state lives."""

    model_config = ConfigDict(extra="forbid")

    executor: ExecutorKind = Field(
        default="local",
        description="'local': each run in its own worker process on this host; "
        "'ray': each run as a Ray task on the cluster at ray_address (GPUs as Ray resources).",
    )
    ray_address: str | None = Field(
        default=None, description="Ray cluster address (e.g. ray://head:10001); None starts a local Ray.",
    )
    ray_num_cpus: float = Field(default=1.0, gt=0, description="ray: CPUs each run asks for.")
    ray_resources: dict[str, float] = Field(
        default_factory=dict,
        description="ray: custom resources each run asks for, e.g. {'proctor': 1} to place runs only on nodes "
        "started with --resources '{\"proctor\": 4}' (GPUs are asked for by gpus.per_run, as num_gpus).",
    )
    ray_max_retries: int = Field(
        default=2, ge=0, description="ray: times a run whose node or worker died is resumed on another node.",
    )
    artifacts: ArtifactsMode = Field(
        default="shared",
        description="ray: 'shared': run directories on a filesystem every node mounts at the same path; 'copy': "
        "each run's directory is shipped to its node with the job and copied back to the coordinator when the "
        "run ends (layout unchanged, audit log verifiable there).",
    )
    worker_runs_dir: Path | None = Field(
        default=None, description="artifacts=copy: where a node keeps the runs it executes "
        "(<dir>/<batch>/<run>; default <tmp>/proctor-runs).",
    )
    checkpointer_url: str | None = Field(
        default=None,
        description="LangGraph checkpoint store shared by hosts, e.g. postgresql://user@db/proctor; "
        "None keeps each run's checkpoints.sqlite in its run directory.",
    )
    audit_queue_url: str | None = Field(
        default=None,
        description="PostgreSQL database (postgresql://user@db/proctor) holding the audit queue of every run of "
        "the batch: one queue a human reviews for a batch spread over hosts (proctor tui, proctor audit); "
        "None: each run's <run>/control/audit.sqlite.",
    )
    schedule_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the schedule's job store (postgresql+psycopg://user@db/proctor), shared "
        "by hosts; None: $PROCTOR_STATE_DIR/schedule.sqlite.",
    )
    chroma_url: str | None = Field(
        default=None, description="Chroma server (http://host:8000) runs on several hosts share: sets each run's "
        "retrieval.server_url unless the spec does; None: each run's settings decide.",
    )
    preload_workers: bool = Field(
        default=False,
        description="local executor: fork each run's process from a server that imported Proctor once "
        "(start-up in milliseconds, not seconds); each run is still its own process.",
    )
    max_concurrency: int = Field(default=2, ge=1, le=256, description="Runs in flight at once, unless the spec says.")
    batches_dir: Path | None = Field(
        default=None, description="Where batch directories go (default: <runs_dir>/batches).",
    )
    worker_init: str | None = Field(
        default=None,
        description="'module:function' or 'path/file.py:function' called in each worker process before "
        "its run (plugin registration; tests script mock models with it).",
    )
    poll_s: float = Field(default=0.5, gt=0, description="How often the batch loop checks its workers.")

    @model_validator(mode="after")
    def _copy_keeps_checkpoints_inside(self) -> BatchSettings:
        if self.artifacts == "copy" and self.checkpointer_url:
            raise ValueError("batch.artifacts='copy' carries each run's checkpoints inside its directory; with a "
                             "shared checkpointer_url they would run ahead of the copied files after a lost node: "
                             "unset one of them")
        return self


def batch_settings_of(settings: Any) -> BatchSettings:
    """``settings.batch`` when the tree has it, else the defaults."""
    found = getattr(settings, "batch", None)
    return found if isinstance(found, BatchSettings) else BatchSettings()


def batches_root(settings: Any) -> Path:
    """Directory holding batch directories."""
    bs = batch_settings_of(settings)
    return Path(bs.batches_dir) if bs.batches_dir else Path(settings.runs_dir) / "batches"
