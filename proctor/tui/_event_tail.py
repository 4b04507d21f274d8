"""Following a run's ``events.jsonl`` incrementally, as ``tail -f`` does.

Re-parsing a long log every refresh would stall the terminal, so each refresh reads only the
bytes appended since the last one, keeps the last events for the timeline and folds the rest into
running totals. Like :meth:`proctor.log.EventLog.iter`, a torn last line waits for its newline and
a garbled line is skipped; a file that shrank or was replaced is read again from the start.
"""

from __future__ import annotations

import json
import os
from collections import deque
from pathlib import Path

from proctor.log import Event, ModelCallEvent, StageEvent, parse_event


class EventTail:
    """Totals and the last ``keep`` events of one run's event log.

    Args:
        path: the run's ``events.jsonl``.
        keep: how many recent events to keep for the timeline.
    """

    def __init__(self, path: Path, keep: int = 500) -> None:
        self.path, self.keep = Path(path), keep
        self._reset(None)

    def _reset(self, inode: int | None) -> None:
        self.inode, self.offset = inode, 0
        self.events: deque[Event] = deque(maxlen=self.keep)
        self.stage, self.cost_usd = "", 0.0
        self.started: set[str] = set()
        self.done: set[str] = set()

    def update(self) -> bool:
        """Read what was appended since the last call; returns whether anything was.

        Raises:
            FileNotFoundError: when the log does not exist (any more).
        """
        st = os.stat(self.path)
        if st.st_ino != self.inode or st.st_size < self.offset:
            self._reset(st.st_ino)
        if st.st_size == self.offset:
            return False
        with self.path.open("rb") as fh:
            fh.seek(self.offset)
            data = fh.read(st.st_size - self.offset)
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        for raw in complete.splitlines():
            try:
                event = parse_event(json.loads(raw))
            except (ValueError, TypeError):
                continue
            self._add(event)
        return bool(complete)

    def _add(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, StageEvent):
            (self.started if event.status == "started" else self.done).add(event.stage)
            self.stage = event.stage if event.status == "started" else f"{event.stage} ({event.status})"
        elif isinstance(event, ModelCallEvent):
            self.cost_usd += event.cost_usd

    @property
    def stages_started(self) -> int:
        """Distinct stages that started or ended."""
        return len(self.started | self.done)
