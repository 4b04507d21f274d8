"""Creating a batch: its directory, ``batch.json`` and every run directory up front.

All runs are created (status ``created``) before any starts, so ``batch.json`` names every run from
the first second and a batch killed at any point can be resumed: created runs start, the others
resume from their checkpoints.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from proctor.batch._plan import flatten, merge_tree, plan_runs
from proctor.batch._record import BatchDir, BatchEntry
from proctor.batch._spec import BatchSpec, SpecError
from proctor.control.audit import control_paths, share_queue
from proctor.log import RunDir
from proctor.settings import Settings, batch_settings_of, batches_root, parse_overrides


def run_settings(base: Settings, overrides: list[str]) -> Settings:
    """``base`` with ``overrides`` (``key=value`` strings) applied.

    Raises:
        SpecError: when the result is not valid settings (the message names the keys).
    """
    try:
        return Settings(**merge_tree(base.public_dump(), parse_overrides(overrides)))
    except ValidationError as exc:
        bad = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SpecError(f"the spec's settings are invalid: {bad}") from exc


def create_batch(spec: BatchSpec, settings: Settings, *, spec_path: str | Path | None = None,
                 overrides: list[str] | tuple[str, ...] = (), root: Path | None = None) -> BatchDir:
    """Create the batch directory and all its runs; nothing starts yet.

    Args:
        spec: The validated spec.
        settings: Base settings (file, environment, ``--set``) every run starts from.
        spec_path: Where the spec came from (recorded).
        overrides: The ``--set`` flags behind ``settings`` (recorded).
        root: Batches directory (default: ``batch.batches_dir`` or ``<runs_dir>/batches``).

    Raises:
        SpecError: when a run's settings would be invalid; no directory is left behind then.
    """
    planned = plan_runs(spec)
    shared = []
    batch_cfg = spec.batch_settings(batch_settings_of(settings))
    if batch_cfg.chroma_url and "retrieval.server_url" not in flatten(spec.settings):
        shared.append(f"retrieval.server_url={json.dumps(batch_cfg.chroma_url)}")  # one Chroma server for every host
    if batch_cfg.checkpointer_url:  # the runs open their checkpointer from their own settings
        shared.append(f"batch.checkpointer_url={json.dumps(batch_cfg.checkpointer_url)}")
    per_run = [run_settings(settings, [*p.overrides, *shared]) for p in planned]  # validate before writing anything
    queue_url = batch_cfg.audit_queue_url
    if queue_url and not queue_url.startswith(("postgresql://", "postgres://")):
        raise SpecError(f"batch.audit_queue_url must be a postgresql:// URL, got {queue_url!r}")
    if queue_url and any(cfg.control.queue_path for cfg in per_run):
        raise SpecError("batch.audit_queue_url and control.queue_path are both set: a batch's runs share the "
                        "PostgreSQL queue, so leave control.queue_path unset")
    batch = BatchDir.create(root or batches_root(settings), spec.name, spec.model_dump(mode="json"),
                            spec_path=str(Path(spec_path).resolve()) if spec_path else None,
                            overrides=list(overrides))
    record = batch.load()
    for plan, run_cfg in zip(planned, per_run, strict=True):
        dumped: dict[str, Any] = run_cfg.public_dump()
        dumped["runs_dir"] = str(batch.runs_root)
        run = RunDir.create(batch.runs_root, plan.direction, settings=dumped, settings_digest=run_cfg.digest(),
                            template=run_cfg.workflow.template, batch_id=record.id)
        header = run.header()
        # The run's own budget before any batch clamp, so a resume under a raised batch cap can give it back.
        header.extra["batch_budget"] = run_cfg.llm.budget.model_dump()
        run.write_header(header)
        if queue_url:  # one queue for the whole batch: each run's items in its own schema of that database
            share_queue(control_paths(None, None, run.path)[0], queue_url, run.path.name)
        record.runs.append(BatchEntry(key=plan.key, direction=plan.direction, template=plan.template,
                                      run_dir=str(run.path.relative_to(batch.path))))
    batch.save(record)
    return batch
