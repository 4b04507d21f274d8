"""PostgreSQL started for real (``initdb`` + ``pg_ctl``, see ``_services.Postgres``) behind the three things a
batch spread over hosts shares through it: LangGraph checkpoints, the audit queue a human reviews for the
whole batch (the TUI reading it), and the scheduler's job store; and a server that goes away mid-batch.
"""

from __future__ import annotations

import operator
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any, TypedDict

import anyio
import pytest
import yaml
from langgraph.graph import END, START, StateGraph

from proctor.batch import BatchDir, create_batch, open_checkpointer_for, parse_spec
from proctor.control import Action, Gate, ShellCommand
from proctor.control.audit import AuditQueue, QueueUnavailable, control_paths
from proctor.log import RunDir
from proctor.settings import load_settings
from proctor.tui import Store
from tests.control.control_helpers import LabelMonitor

from ..batch.conftest import WORKER_INIT, ideas_and_calls, mock_spec, serve_due_job
from ._services import Postgres, wait_for

pytestmark = pytest.mark.scale


class _State(TypedDict):
    steps: Annotated[list[str], operator.add]


async def _roundtrip(url: str, run: RunDir) -> list[str]:
    g: Any = StateGraph(_State)
    g.add_node("one", lambda s: {"steps": ["one"]})
    g.add_edge(START, "one")
    g.add_edge("one", END)
    config = {"configurable": {"thread_id": run.path.name}}
    async with open_checkpointer_for(url, run) as saver:
        await g.compile(checkpointer=saver).ainvoke({"steps": ["start"]}, config)
    async with open_checkpointer_for(url, run) as saver:  # a new connection: as another host would
        state = await g.compile(checkpointer=saver).aget_state(config)
    return list(state.values["steps"])


def test_checkpointer_shares_state(pg_url: str, tmp_path: Path) -> None:
    first, second = (RunDir.create(tmp_path, "ckpt", settings={}, settings_digest="x") for _ in range(2))
    assert anyio.run(_roundtrip, pg_url, first) == ["start", "one"]
    assert anyio.run(_roundtrip, pg_url, second) == ["start", "one"]  # threads do not mix
    assert not first.checkpoint_path.exists()


def _settings(tmp_path: Path) -> Any:
    return load_settings(None, [f"runs_dir={tmp_path / 'runs'}"])


def _local_items(run: Path) -> int:
    with sqlite3.connect(control_paths(None, None, run)[0]) as local:
        tables = {r[0] for r in local.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return local.execute("SELECT count(*) FROM items").fetchone()[0] if "items" in tables else 0


def test_one_audit_queue_for_a_batch_across_hosts(pg_url: str, postgres: Postgres, tmp_path: Path) -> None:
    spec = mock_spec(executor={"worker_init": WORKER_INIT, "audit_queue_url": pg_url})
    batch = create_batch(parse_spec(spec), _settings(tmp_path))
    # The host running the runs has its own copy of the run directories (no shared filesystem).
    worker_host = tmp_path / "worker-host"
    shutil.copytree(batch.path, worker_host)
    settings = load_settings(None, ["control.fallback_audit_threshold=0.5"])
    held = {}
    for run_dir in sorted((worker_host / "runs").iterdir()):
        gate = Gate(settings, run_dir=run_dir, monitor=LabelMonitor({"rm": 0.95, "ls": 0.05}))
        assert gate.queue.shared is not None and gate.queue.shared.scope == run_dir.name
        out = anyio.run(gate.submit, Action(node="run_experiment", task="clean up",
                                            payload=ShellCommand(argv=["rm", "-rf", f"data-{run_dir.name[-6:]}"])))
        assert out.status == "held" and out.item_id
        held[run_dir.name] = (gate, out.item_id)
    assert anyio.run(held[sorted(held)[0]][0].submit, Action(
        node="run_experiment", task="look", payload=ShellCommand(argv=["ls"]))).status == "approved"

    # The reviewer's TUI on the coordinator lists both runs' items, read from PostgreSQL through AuditQueue.
    store = Store(batch.runs_root)
    listed = store.held()
    assert {(h.run.name, h.item.id) for h in listed} == {(name, item) for name, (_, item) in held.items()}
    for h in listed:  # nothing of it is in either host's local SQLite files
        assert _local_items(h.run) == _local_items(worker_host / "runs" / h.run.name) == 0
    assert store.budget().used == 2
    first_run, (gate, item_id) = sorted(held.items())[0]
    store.decide(batch.runs_root / first_run, item_id, "approve", reviewer="alice", rationale="scratch data")
    assert gate.resolve(item_id).status == "approved"  # the worker host sees the coordinator's decision
    assert [h.run.name for h in store.held()] == [sorted(held)[1]]

    postgres.stop("immediate")  # the database goes away: a clear error, never an approval
    try:
        with pytest.raises(QueueUnavailable, match=rf"127\.0\.0\.1:{postgres.port}/t_\w+ is unreachable"):
            AuditQueue(control_paths(None, None, batch.runs_root / first_run)[0]).list("all")
    finally:
        postgres.start()
    assert len(AuditQueue(control_paths(None, None, batch.runs_root / first_run)[0]).list("all")) == 1


def _hanging(hang: Path) -> list[Path]:
    return [p for p in hang.iterdir() if p.name != "release"]


def test_postgres_going_away_mid_batch(postgres: Postgres, pg_url: str, tmp_path: Path) -> None:
    """Checkpoints in PostgreSQL; the server stops while both runs are in their second model call."""
    hang = tmp_path / "hang"
    hang.mkdir()
    executor = {"worker_init": WORKER_INIT, "poll_s": 0.2, "preload_workers": True,
                "checkpointer_url": pg_url, "audit_queue_url": pg_url}
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(mock_spec(executor=executor)))
    env = dict(os.environ, PROCTOR_TEST_HANG_DIR=str(hang))
    cli = [sys.executable, "-m", "proctor.cli", "batch"]
    driver = subprocess.Popen([*cli, "run", str(spec), "--no-live", "--set", f"runs_dir={tmp_path / 'runs'}"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for("both runs to be in their second model call", lambda: len(_hanging(hang)) == 2, timeout=180)
        postgres.stop("immediate")
        (hang / "release").write_text("")
        out, _ = driver.communicate(timeout=180)
    finally:
        driver.kill()
        postgres.start()
    [batch] = BatchDir.all(tmp_path / "runs" / "batches")
    record = batch.load()
    assert driver.returncode != 0, out
    assert record.status == "stopped", record.status_detail
    assert f"batch.checkpointer_url at 127.0.0.1:{postgres.port}/" in record.status_detail
    assert "unreachable" in record.status_detail and "proctor batch resume" in record.status_detail
    assert [e.status for e in record.runs] == ["failed", "failed"], [e.detail for e in record.runs]
    assert all("OperationalError" in e.detail and "resume" in e.detail for e in record.runs)

    resumed = subprocess.run([*cli, "resume", batch.path.name, "--no-live", "--set",
                              f"runs_dir={tmp_path / 'runs'}"], capture_output=True, text=True, timeout=300)
    record = batch.load()
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr[-3000:]
    assert record.status == "finished" and [e.status for e in record.runs] == ["succeeded", "succeeded"]
    for entry in record.runs:
        ideas, calls = ideas_and_calls(batch.run_of(entry))
        assert ideas == ["idea_0", "idea_1"]
        assert calls == 3  # idea_0 came back from its checkpoint; only the node in flight ran again
        assert not batch.run_of(entry).checkpoint_path.exists() and entry.launches == 2


def test_schedules_in_postgres_are_shared_and_served(pg_url: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from proctor.batch import add_schedule, default_db, list_schedules, remove_schedule

    monkeypatch.setenv("PROCTOR_BATCH__SCHEDULE_URL", pg_url)
    assert default_db() == pg_url  # the setting selects the shared store
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: broken\n")  # the launched batch fails fast on it: cheap to observe
    entry = add_schedule(default_db(), "0 2 * * *", bad, workdir=tmp_path)
    keep = add_schedule(pg_url, "30 3 * * *", bad, workdir=tmp_path)
    assert {e.id for e in list_schedules(pg_url)} == {entry.id, keep.id}  # as another host lists them
    serve_due_job(pg_url, entry.id)  # due now, as if every scheduler had been down at 02:00
    after = {e.id: e for e in list_schedules(pg_url)}
    assert after[entry.id].next_run is not None and after[entry.id].next_run.hour == 2  # rescheduled in PostgreSQL
    remove_schedule(pg_url, keep.id)
    assert [e.id for e in list_schedules(pg_url)] == [entry.id]
