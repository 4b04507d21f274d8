"""File locks: exclusion across processes and threads, holders, timeouts, kill -9, the append lock."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from proctor.locks import Lock, LockHeld, append_lock, writer_lock

HOLD = """
import sys, time
from pathlib import Path
from proctor.locks import writer_lock
lock = writer_lock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
sys.stdin.readline()  # hold until told (or killed)
lock.release()
print("released", flush=True)
"""


def _holder(path: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_process_is_refused_and_told_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "w.lock"
    other = _holder(path)
    try:
        with pytest.raises(LockHeld) as caught, writer_lock(path):
            pass
        assert caught.value.holder is not None and caught.value.holder.pid == other.pid
        assert f"pid {other.pid}" in str(caught.value)
        assert writer_lock(path).held()
    finally:
        assert other.stdin is not None
        other.communicate("go\n", timeout=30)
    with writer_lock(path) as lock:  # free once the holder let go
        assert lock.holder() is not None and lock.holder().pid == os.getpid()  # type: ignore[union-attr]


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    path = tmp_path / "w.lock"
    other = _holder(path)
    os.kill(other.pid, signal.SIGKILL)
    other.wait(timeout=30)
    assert path.exists() and writer_lock(path).holder() is not None  # its record survives...
    assert not writer_lock(path).held()  # ...but the lock does not
    with writer_lock(path) as lock:
        assert lock.holder() is not None and lock.holder().pid == os.getpid()  # type: ignore[union-attr]


def test_a_waiter_gets_the_lock_when_the_holder_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "w.lock"
    other = _holder(path)
    assert other.stdin is not None
    threading.Timer(0.3, lambda: (other.stdin.write("go\n"), other.stdin.flush())).start()  # type: ignore[union-attr]
    started = time.monotonic()
    with Lock(path, timeout=30):
        waited = time.monotonic() - started
    other.wait(timeout=30)
    assert 0.2 < waited < 20


def test_timeout_zero_tries_once_and_a_timeout_waits(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with Lock(path):
        started = time.monotonic()
        with pytest.raises(LockHeld, match="another process"):
            Lock(path, timeout=0).acquire()
        assert time.monotonic() - started < 0.5
        started = time.monotonic()
        with pytest.raises(LockHeld):
            Lock(path, timeout=0.3).acquire()
        assert time.monotonic() - started >= 0.25


def test_objects_exclude_each_other_in_one_process_and_release_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "x.lock"
    assert not Lock(path).held()  # absent file: free, and not created by asking
    first, second = Lock(path, timeout=0), Lock(path, timeout=0)
    first.acquire()
    first.acquire()  # already held by this object: a no-op
    assert first.locked and second.held()
    with pytest.raises(LockHeld):
        second.acquire()
    first.release()
    first.release()
    assert not first.locked and not first.held()
    with second:
        assert second.locked
    assert path.exists()  # the file stays, so later waiters share its inode


def test_waiting_forever_on_our_own_lock_raises_instead_of_hanging(tmp_path: Path) -> None:
    with Lock(tmp_path / "x.lock"), pytest.raises(RuntimeError, match="[Dd]eadlock"):
        Lock(tmp_path / "x.lock").acquire()


def test_another_thread_may_release(tmp_path: Path) -> None:
    lock = Lock(tmp_path / "x.lock", timeout=0)
    lock.acquire()
    worker = threading.Thread(target=lock.release)
    worker.start()
    worker.join()
    assert not lock.held()


def test_holder_is_cleared_on_release(tmp_path: Path) -> None:
    lock = writer_lock(tmp_path / "w.lock")
    with lock:
        holder = lock.holder()
        assert holder is not None and holder.pid == os.getpid() and holder.host
    assert lock.holder() is None
    assert Lock(tmp_path / "plain.lock").holder() is None


def _bump(path: str, n: int) -> None:
    """Read the last number of ``path`` and append the next one, ``n`` times, under the append lock."""
    for _ in range(n):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
        try:
            with append_lock(fd):
                os.lseek(fd, 0, os.SEEK_SET)
                data = b""
                while chunk := os.read(fd, 1 << 16):
                    data += chunk
                last = int(data.split()[-1]) if data.strip() else -1
                time.sleep(0.0005)  # widen the read-modify-write window
                os.write(fd, f"{last + 1}\n".encode())
        finally:
            os.close(fd)


def test_append_lock_serialises_writers_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "counter.txt"
    procs = [multiprocessing.get_context("spawn").Process(target=_bump, args=(str(path), 40)) for _ in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert [int(x) for x in path.read_text().split()] == list(range(120))  # no lost or doubled update
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter.txt"]  # no lock file beside it
