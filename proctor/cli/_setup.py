"""``proctor setup``: what a first run needs, prepared concurrently, each step's progress shown.

Three steps, in two lanes so that they do not compete for the same resource:

* ``sandbox`` (disk and network: debootstrap and wheels) builds the bubblewrap rootfs;
* ``model`` then ``index`` (CPU) convert the embedded model(s) the roles use, then embed the default
  corpus into the literature index.

A step that is already done takes a second. The default corpus missing everywhere is a skip (the run
records its novelty check as skipped), as in ``proctor corpus build-default``; any other failure is
reported per step and the command exits 1 once every step has ended. ``--timings FILE`` writes each
step's start, end and result as JSON (``bench/first_run.py`` reads it). On a terminal the steps are a live
table; otherwise each step prints a line when it changes and a progress line every ``--every`` seconds.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from proctor.cli._common import EXIT_FAILED, EXIT_USAGE, fail, settings_options

STEPS = ("sandbox", "model", "index")


@dataclass
class Step:
    """One set-up step's state, written by its worker thread and read by the display."""

    name: str
    status: str = "waiting"  # waiting, running, done, skipped, failed
    detail: str = ""
    done: int = 0
    total: int | None = None
    started: float | None = None
    ended: float | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def line(self, now: float, origin: float) -> str:
        """One line saying where this step is."""
        parts = [f"[{self.name}] {self.status}"]
        if self.total:
            rate = self.done / max(1e-9, now - (self.started or now))
            left = f", about {(self.total - self.done) / rate / 60:.1f} min left" if rate > 0 and self.status == "running" else ""
            parts.append(f"{self.done:,}/{self.total:,} ({self.done / self.total:.0%}, {rate:.1f}/s{left})")
        if self.detail:
            parts.append(self.detail)
        if self.started is not None:
            parts.append(f"[{(self.ended or now) - origin:.0f}s]")
        return " ".join(parts)


class Board:
    """The steps' states and how they are shown (a live table on a terminal, lines otherwise)."""

    def __init__(self, console: Console, every_s: float) -> None:
        self.console = console
        self.every_s = every_s
        self.origin = time.monotonic()
        self.steps = {name: Step(name) for name in STEPS}
        self.lock = threading.Lock()

    def update(self, name: str, *, status: str | None = None, detail: str | None = None,
               advance: int = 0, total: int | None = None) -> None:
        """Change a step's state; a status change prints a line when not on a terminal."""
        with self.lock:
            step = self.steps[name]
            now = time.monotonic()
            if status == "running" and step.started is None:
                step.started = now
            if status in ("done", "skipped", "failed"):
                step.ended = now
            if status is not None:
                step.status = status
            if detail is not None:
                step.detail = detail[:200]
            if total is not None:
                step.total = total
            step.done += advance
            if not self.console.is_terminal and (status is not None or (detail is not None and not advance)):
                self.console.print(step.line(now, self.origin), highlight=False, markup=False, soft_wrap=True)

    def table(self) -> Table:
        now = time.monotonic()
        table = Table(title=f"proctor setup ({now - self.origin:.0f}s)", show_header=False, box=None)
        for step in self.steps.values():
            colour = {"done": "green", "skipped": "yellow", "failed": "red", "running": "cyan"}.get(step.status, "dim")
            table.add_row(Text(step.line(now, self.origin), style=colour))  # a Text: "[index]" is not markup
        return table

    def watch(self, threads: list[threading.Thread]) -> None:
        """Show progress until every worker has ended."""
        if self.console.is_terminal:
            with Live(self.table(), console=self.console, refresh_per_second=2, transient=False) as live:
                while any(t.is_alive() for t in threads):
                    time.sleep(0.5)
                    live.update(self.table())
                live.update(self.table())
            return
        last = time.monotonic()
        while any(t.is_alive() for t in threads):
            time.sleep(0.5)
            if time.monotonic() - last >= self.every_s:
                last = time.monotonic()
                with self.lock:
                    for step in self.steps.values():
                        if step.status == "running":
                            self.console.print(step.line(last, self.origin), highlight=False, markup=False, soft_wrap=True)

    def timings(self) -> dict[str, Any]:
        end = max((s.ended or self.origin) for s in self.steps.values())
        return {"total_s": round(end - self.origin, 2), "steps": {
            s.name: {"status": s.status, "detail": s.detail, "done": s.done, "total": s.total,
                     "start_s": None if s.started is None else round(s.started - self.origin, 2),
                     "end_s": None if s.ended is None else round(s.ended - self.origin, 2),
                     "seconds": None if s.started is None or s.ended is None else round(s.ended - s.started, 2),
                     **s.result} for s in self.steps.values()}}


def _guard(board: Board, name: str, work: Callable[[], None]) -> None:
    """Run a step; any error ends it as failed with the message (the other steps go on)."""
    board.update(name, status="running")
    try:
        work()
    except Exception as exc:  # a failed step is reported, not raised: the others must finish
        board.update(name, status="failed", detail=f"{type(exc).__name__}: {exc}")
    else:
        if board.steps[name].status == "running":
            board.update(name, status="done")


def _lane(board: Board, steps: list[tuple[str, Callable[[], None]]]) -> None:
    """Run one lane's steps in order (the CPU lane: the model, then the index)."""
    for name, work in steps:
        _guard(board, name, work)


def _sandbox(board: Board, settings: Any) -> None:
    from proctor.sandboxes import build_rootfs, provider_class

    reason = provider_class("bubblewrap").available(settings.sandbox)
    if reason:
        board.update("sandbox", status="skipped", detail=f"bubblewrap unavailable ({reason}); "
                     "docker users: proctor sandbox build-image")
        return
    path = build_rootfs(settings.sandbox, say=lambda msg: board.update("sandbox", detail=msg))
    board.update("sandbox", detail=f"rootfs at {path}")


def _model(board: Board, settings: Any) -> None:
    from proctor.llm import is_embedded, prepare_embedded

    models = sorted({m for m in (settings.llm.untrusted, settings.llm.trusted, settings.llm.reviewer) if is_embedded(m)})
    if not models:
        board.update("model", status="skipped", detail="no role uses an embedded model")
        return
    for model in models:
        board.update("model", detail=f"{model}: converting or loading")
        info = prepare_embedded(model)
        how = "loaded from cache" if info["cache_hit"] else "converted into the cache"
        board.update("model", detail=f"{model}: {how} in {info['load_seconds']:.0f}s")


def _index(board: Board, settings: Any, download: bool) -> None:
    from proctor.retrieval import (
        DefaultCorpusMissing,
        LiteratureIndex,
        build_default_index,
        count_records,
        default_corpus,
        default_index_ready,
    )

    board.update("index", detail=f"loading the {settings.retrieval.embedder} embedder")
    index = LiteratureIndex(settings.retrieval)
    if default_index_ready(index):
        board.update("index", detail=f"the default corpus is already in {index.name}")
        return
    try:
        board.update("index", total=count_records(default_corpus(settings.retrieval)), detail="embedding abstracts")
    except DefaultCorpusMissing:
        if not (download or settings.retrieval.online.enabled):
            board.update("index", status="skipped", detail="no default corpus found (proctor corpus build-default "
                         "says where it looked and how to get it); the novelty check will record a skip")
            return
    report = build_default_index(index, download=download, show_progress=False,
                                 on_progress=lambda n: board.update("index", advance=n))
    board.steps["index"].result = {"chunks": report.chunks, "papers": report.papers,
                                   "skipped_records": len(report.skipped), "embedder": index.embedder.identity}
    if not report.files_added:  # the corpus file itself was refused (not JSONL, unreadable...): say why
        reasons = "; ".join(f"{s.path}: {s.reason}" for s in report.skipped[:3]) or "nothing was added"
        raise RuntimeError(f"the default corpus was not indexed ({reasons})")
    board.update("index", detail=f"{report.chunks:,} chunks in {report.seconds:.0f}s "
                 f"({report.chunks / max(report.seconds, 1e-9):.1f}/s, {index.embedder.identity})")


@click.command("setup")
@click.option("--skip", multiple=True, type=click.Choice(STEPS), help="Leave a step out (repeatable).")
@click.option("--download", is_flag=True, help="Fetch the default corpus from its public source if no copy is found.")
@click.option("--timings", type=click.Path(dir_okay=False), default=None, help="Write each step's timing as JSON.")
@click.option("--every", "every_s", type=float, default=15.0, show_default=True,
              help="Seconds between progress lines when not on a terminal.")
@settings_options
def setup_cmd(skip: tuple[str, ...], download: bool, timings: str | None, every_s: float, config: str | None,
              overrides: tuple[str, ...]) -> None:
    """Prepare what a first run needs, concurrently: sandbox rootfs, embedded model, default index."""
    from proctor.settings import SettingsError, load_settings

    try:
        settings = load_settings(config, overrides)
    except SettingsError as exc:
        fail(str(exc), EXIT_USAGE)
        return
    board = Board(Console(stderr=True), every_s)
    for name in skip:
        board.update(name, status="skipped", detail="--skip")
    lanes: list[list[tuple[str, Callable[[], None]]]] = [
        [("sandbox", lambda: _sandbox(board, settings))],
        [("model", lambda: _model(board, settings)), ("index", lambda: _index(board, settings, download))],
    ]
    threads = []
    for lane in lanes:
        todo = [(name, work) for name, work in lane if name not in skip]
        if todo:
            # Daemon threads: Ctrl-C ends the command; an interrupted index build resumes without duplicates.
            threads.append(threading.Thread(target=_lane, args=(board, todo), daemon=True))
    for thread in threads:
        thread.start()
    board.watch(threads)
    if timings:
        Path(timings).write_text(json.dumps(board.timings(), indent=2))
    failed = [s.name for s in board.steps.values() if s.status == "failed"]
    if failed:
        fail(f"set-up failed: {', '.join(failed)} (see above); fix it and run `proctor setup` again", EXIT_FAILED)
    sys.stderr.flush()
