"""What every stage of one run shares: settings, the run directory, the control gate, the index.

Built once per process by the runner and bound into the graph's node closures. Heavy pieces
(the literature index, sandbox providers) are opened on first use so a run that never reaches
that stage never pays for them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from proctor.log import RunDir
from proctor.settings import Settings


@dataclass
class RunContext:
    """Shared, per-process resources of one run."""

    settings: Settings
    run: RunDir
    propose: Any = None
    """The experiment node's untrusted proposer, when not the model's (the red-team harness's attack)."""
    prose_writer: Any = None
    """Writes the paper's prose from its prompt instead of the model (the red-team harness's ``--fast``)."""
    _gate: Any = None
    _index: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def gate(self) -> Any:
        """The control gate (queue and audit log under ``<run>/control/``)."""
        with self._lock:
            if self._gate is None:
                from proctor.control import Gate

                self._gate = Gate(self.settings, run_dir=self.run.path)
            return self._gate

    def index(self) -> Any:
        """The literature index, opened read-mostly on first use."""
        with self._lock:
            if self._index is None:
                from proctor.retrieval import LiteratureIndex

                self._index = LiteratureIndex(self.settings.retrieval)
            return self._index
