"""Run directories: ``runs/<utc>_<slug>_<id>/`` with ``run.json``, ``events.jsonl`` and artifacts.

``run.json`` is the header (status, direction, settings and their digest, versions, git sha) and is
rewritten atomically; ``events.jsonl`` is the append-only journal; ``checkpoints.sqlite`` holds the
LangGraph checkpoints that let a killed run resume. Everything else is an artifact written
through :meth:`RunDir.write_artifact`, which records its hash as an event.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from proctor import __version__
from proctor.log._context import current_node
from proctor.log._eventlog import EventLog
from proctor.log._events import ArtifactEvent, RunStatusEvent, utcnow

RunStatus = Literal[
    "created", "running", "paused", "succeeded", "failed", "budget_exhausted", "terminated"
]


class RunNotFound(LookupError):
    """No run directory matches the given name or id."""


class CorruptRun(ValueError):
    """A run directory's ``run.json`` cannot be read or is not a run header."""


class RunHeader(BaseModel):
    """Contents of ``run.json``."""

    id: str
    slug: str
    direction: str
    created: datetime
    updated: datetime
    status: RunStatus = "created"
    status_detail: str = ""
    template: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)
    settings_digest: str = ""
    proctor_version: str = __version__
    git_sha: str | None = None
    batch_id: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


def slugify(text: str, max_len: int = 40) -> str:
    """Lower-case, dash-separated slug of ``text`` (``run`` when nothing is left)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:max_len].rstrip("-") or "run"


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and rename (never a half file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _git_sha() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False,
            cwd=Path(__file__).resolve().parent,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


class RunDir:
    """One run's directory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).resolve()
        self.events = EventLog(self.path / "events.jsonl")

    @property
    def header_path(self) -> Path:
        """Path of ``run.json``."""
        return self.path / "run.json"

    @property
    def checkpoint_path(self) -> Path:
        """Path of the LangGraph checkpoint database."""
        return self.path / "checkpoints.sqlite"

    @property
    def id(self) -> str:
        """The run id (the directory name's last part)."""
        return self.header().id

    @classmethod
    def create(
        cls,
        root: Path,
        direction: str,
        *,
        settings: dict[str, Any],
        settings_digest: str,
        template: str | None = None,
        batch_id: str | None = None,
    ) -> RunDir:
        """Create a new run directory under ``root`` and write its header."""
        now = utcnow()
        run_id = secrets.token_hex(3)
        slug = slugify(direction)
        path = Path(root) / f"{now.strftime('%Y-%m-%dT%H-%M-%SZ')}_{slug}_{run_id}"
        path.mkdir(parents=True, exist_ok=False)
        run = cls(path)
        header = RunHeader(
            id=run_id, slug=slug, direction=direction, created=now, updated=now,
            template=template, settings=settings, settings_digest=settings_digest,
            git_sha=_git_sha(), batch_id=batch_id,
        )
        run.write_header(header)
        return run

    @classmethod
    def open(cls, root: Path, name: str) -> RunDir:
        """Open a run by directory path, directory name, or run id (suffix).

        Raises:
            RunNotFound: when nothing matches, or the id is ambiguous.
        """
        as_path = Path(name)
        if (as_path / "run.json").exists():
            return cls(as_path)
        root = Path(root)
        matches = [p for p in root.glob("*/run.json") if p.parent.name == name
                   or p.parent.name.endswith(f"_{name}")]
        if len(matches) == 1:
            return cls(matches[0].parent)
        if not matches:
            raise RunNotFound(f"no run {name!r} under {root}; see `proctor runs list`")
        raise RunNotFound(f"{name!r} matches {len(matches)} runs; give the full directory name")

    @staticmethod
    def all(root: Path) -> list[RunDir]:
        """All runs under ``root``, oldest first."""
        return [RunDir(p.parent) for p in sorted(Path(root).glob("*/run.json"))]

    def header(self) -> RunHeader:
        """Read ``run.json``.

        Raises:
            CorruptRun: the file is missing, unreadable or not a run header (names the file).
        """
        try:
            return RunHeader.model_validate_json(self.header_path.read_bytes())
        except (OSError, ValueError) as exc:
            first = str(exc).splitlines()[:2]
            raise CorruptRun(f"{type(exc).__name__} reading the run header {self.header_path}: "
                             f"{' '.join(first)[:300]}") from exc

    def write_header(self, header: RunHeader) -> None:
        """Atomically rewrite ``run.json``."""
        header.updated = utcnow()
        atomic_write(self.header_path, header.model_dump_json(indent=2).encode())

    def set_status(self, status: RunStatus, detail: str = "") -> None:
        """Update the header's status and log a :class:`RunStatusEvent`."""
        header = self.header()
        header.status, header.status_detail = status, detail
        self.write_header(header)
        self.events.append(RunStatusEvent(status=status, detail=detail))

    def artifact_path(self, relpath: str) -> Path:
        """Absolute path of an artifact, refusing paths that leave the run directory."""
        target = (self.path / relpath).resolve()
        if not target.is_relative_to(self.path.resolve()):
            raise ValueError(f"artifact path {relpath!r} leaves the run directory")
        return target

    def write_artifact(self, relpath: str, data: bytes | str | dict[str, Any] | list[Any]) -> Path:
        """Atomically write an artifact and log its hash."""
        if isinstance(data, (dict, list)):
            data = json.dumps(data, indent=2, default=str)
        raw = data.encode() if isinstance(data, str) else data
        target = self.artifact_path(relpath)
        atomic_write(target, raw)
        self.events.append(ArtifactEvent(
            path=relpath, sha256=hashlib.sha256(raw).hexdigest(), bytes=len(raw), node=current_node()))
        return target
