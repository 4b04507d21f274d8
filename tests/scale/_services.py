"""Real servers for the scale tests, started as separate processes on this machine and always stopped.

* :class:`ChromaServer`: ``chroma run`` on a free port over a temporary data path.
* :class:`Postgres`: a throwaway cluster (``initdb`` into a temporary directory, ``pg_ctl start`` on a
  free port, its unix socket in that directory). ``initdb`` refuses to run as root, so as root the
  server runs as the ``postgres`` account (Debian's package creates it), else ``nobody``, via ``runuser``.

A missing tool skips the test on a workstation and fails it under CI (``CI`` set: ``.ci/run``
installs everything the scale tests need), so nothing is skipped silently where it must run.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from glob import glob
from pathlib import Path

import pytest

from proctor.retrieval import RetrievalSettings, serve_command


def need(ok: object, what: str) -> None:
    """Skip without ``what`` (fail under CI, where ``.ci/run`` provides it)."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what}: .ci/run provides it, so under CI this is a failure")
    pytest.skip(what)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, check: Callable[[], object], timeout: float = 60.0, every: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


class ChromaServer:
    """``chroma run --path PATH --port PORT``; restartable on the same path and port."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _up(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"chroma run exited with {self.proc.returncode}; see {self.path / 'server.log'}")
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2) as resp:  # noqa: S310
                return resp.status == 200
        except OSError:
            return False

    def start(self) -> ChromaServer:
        cmd = serve_command(RetrievalSettings(index_dir=str(self.path)), host="127.0.0.1", port=self.port)
        log = (self.path / "server.log").open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        wait_for("the chroma server to answer", self._up, timeout=60)
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def pg_bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` live: on PATH (often links), else Debian's newest version."""
    for tool in ("pg_ctl", "initdb"):
        found = shutil.which(tool)
        if found and (Path(os.path.realpath(found)).parent / "initdb").exists():
            return Path(os.path.realpath(found)).parent

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path)) or (0,)

    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin", "/opt/homebrew/opt/postgresql*/bin"):
        for candidate in sorted(glob(pattern), key=version, reverse=True):
            if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
                return Path(candidate)
    return None


def _server_account() -> str | None:
    """The account the server runs as when we are root (initdb refuses root); None: as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return None


class Postgres:
    """A PostgreSQL cluster of our own, stoppable and restartable (same data, same port)."""

    def __init__(self) -> None:
        bindir = pg_bindir()
        need(bindir, "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
        assert bindir is not None
        self.bindir = bindir
        self.account = _server_account()
        need(os.geteuid() != 0 or (self.account and shutil.which("runuser")),
             "running as root without runuser or an unprivileged account to run PostgreSQL as")
        self.base = Path(tempfile.mkdtemp(prefix="proctor-pg-"))
        if self.account:
            shutil.chown(self.base, self.account)
        self.data = self.base / "data"
        self.port = free_port()
        self._as(["initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"])

    def _as(self, argv: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.account, "--"] if self.account else []
        cmd = [*prefix, str(self.bindir / argv[0]), *argv[1:]]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
        if check and done.returncode:
            raise AssertionError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr or done.stdout}")
        return done

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{db}"

    def running(self) -> bool:
        return self._as(["pg_ctl", "-D", str(self.data), "status"], check=False).returncode == 0

    def start(self) -> Postgres:
        if self.running():
            return self
        # fsync off: a killed server loses nothing committed (only an OS crash would); commits stay synchronous.
        opts = f"-k {self.base} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._as(["pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.base / "log"), "-w", "start"])
        return self

    def stop(self, mode: str = "fast") -> None:
        """``pg_ctl stop``: ``immediate`` drops every connection at once, as a crashed server would."""
        self._as(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"], check=False)

    def create_db(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.base, ignore_errors=True)
