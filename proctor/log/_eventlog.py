"""Append-only JSONL event log, safe across threads and processes.

Each append takes an exclusive lock on the file itself (:func:`proctor.locks.append_lock`),
numbers the event after the last complete line, writes one line with a single ``write`` and
flushes it to disk. A line torn by a killed process (no trailing newline) is skipped by readers
and sealed by the next writer, so a crash never corrupts the events before it.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from proctor.locks import append_lock
from proctor.log._events import Event, parse_event


class EventLog:
    """The ``events.jsonl`` of one run."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._known_size = -1  # file size after our last append; another writer changes it
        self._next_seq = 0

    def append(self, event: Event) -> Event:
        """Number ``event``, append it as one line, and return it."""
        with self._lock:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                with append_lock(fd):
                    size = os.fstat(fd).st_size
                    prefix = b""
                    if size:
                        os.lseek(fd, size - 1, os.SEEK_SET)
                        if os.read(fd, 1) != b"\n":
                            prefix = b"\n"  # seal a line torn by a killed writer
                    if size != self._known_size or prefix:
                        self._next_seq = self._count_lines(fd) + (1 if prefix else 0)
                    event.seq = self._next_seq
                    line = prefix + event.model_dump_json().encode() + b"\n"
                    os.write(fd, line)
                    os.fsync(fd)
                    self._known_size = size + len(line)
                    self._next_seq += 1
            finally:
                os.close(fd)
        return event

    @staticmethod
    def _count_lines(fd: int) -> int:
        os.lseek(fd, 0, os.SEEK_SET)
        count = 0
        while chunk := os.read(fd, 1 << 20):
            count += chunk.count(b"\n")
        return count

    def read(self) -> list[Event]:
        """All complete, parseable events in order; torn or garbled lines are skipped."""
        return list(self.iter())

    def iter(self) -> Iterator[Event]:
        """Iterate over complete, parseable events."""
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break
                try:
                    yield parse_event(json.loads(raw))
                except (ValueError, TypeError):
                    continue
