"""Server mode: ``chroma run`` over the index directory, for many readers and one writer process.

With ``retrieval.server_url`` set, :class:`LiteratureIndex` talks to the server over HTTP; the
writer lock and the manifest stay in ``index_dir`` on the machine that ingests.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from proctor.settings import RetrievalSettings


class ChromaServerUnavailable(RuntimeError):
    """The ``chroma`` command is not installed."""


def serve_command(settings: RetrievalSettings, *, host: str = "localhost", port: int | None = None) -> list[str]:
    """The ``chroma run`` command line for the index directory.

    Raises:
        ChromaServerUnavailable: when no ``chroma`` executable is found.
    """
    beside = Path(sys.executable).parent / "chroma"
    exe = str(beside) if beside.exists() else shutil.which("chroma")
    if exe is None:
        raise ChromaServerUnavailable("the `chroma` command is not installed (pip install chromadb)")
    path = Path(settings.index_dir).expanduser() / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return [exe, "run", "--path", str(path), "--host", host, "--port", str(port or settings.server_port)]


def serve(settings: RetrievalSettings, *, host: str = "localhost", port: int | None = None) -> int:
    """Run the chroma server in the foreground until it exits; returns its exit code."""
    return subprocess.call(serve_command(settings, host=host, port=port))
