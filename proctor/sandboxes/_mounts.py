"""Size-limited tmpfs mounts for live work directories, and the registry that outlives a killed harness.

Mounts live under ``sandbox.live_root`` (default ``/run/proctor/work``), a neutral place reachable by
the sandbox uid (each component root-owned, not group/world writable, at least ``o+x``) whose paths
say nothing about the run. Before anything is mounted, the mount is recorded in
``<state_dir>/live/<sandbox id>.json`` with its owner (:mod:`._owners`); :func:`reap_stale` unmounts
and removes every recorded mount whose owner died, and deletes the record.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import json
import os
import stat
import tempfile
from pathlib import Path

from proctor.log import atomic_write
from proctor.sandboxes._owners import alive, owner_tag

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT = 0x1, 0x2, 0x4, 0x20
MNT_DETACH = 0x2
_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount_tmpfs(target: Path, *, size_bytes: int, inodes: int, uid: int, gid: int) -> None:
    """Mount a fresh tmpfs on the existing directory ``target`` (nosuid, nodev, root mode 0755)."""
    pages = max(1, -(-size_bytes // 4096))
    opts = f"size={pages * 4096},nr_inodes={inodes},mode=0755,uid={uid},gid={gid}"
    _check(_libc.mount(b"tmpfs", os.fsencode(target), b"tmpfs", MS_NOSUID | MS_NODEV, opts.encode()),
           f"mount tmpfs on {target}")


def remount_readonly(target: Path) -> None:
    """Make the tmpfs on ``target`` read-only (for the staged harness directory)."""
    _check(_libc.mount(None, os.fsencode(target), None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None),
           f"remount {target} read-only")


def unmount(target: Path) -> None:
    """Detach the mount on ``target``; a directory that is no mount point is left alone."""
    if _libc.umount2(os.fsencode(target), MNT_DETACH) != 0:
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOENT):
            raise OSError(err, f"umount {target}: {os.strerror(err)}")


def ensure_root(root: Path) -> Path:
    """Create ``root`` (0711) and check every component: root-owned, not group/world writable, o+x.

    Raises:
        OSError: when a component fails the check (someone else could swap what is mounted there).
    """
    root = Path(os.path.abspath(root))
    for part in [*reversed(root.parents), root]:
        with contextlib.suppress(FileExistsError):
            part.mkdir(mode=0o711)
        st = os.lstat(part)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != 0 or st.st_mode & 0o022 or not st.st_mode & 0o001:
            raise OSError(errno.EPERM, f"{part} must be a root-owned directory, o+x and not group/world writable")
    return root


@functools.cache
def _probe(root: str) -> str | None:
    if os.geteuid() != 0:
        return "Proctor does not run as root, and mounting a tmpfs needs it"
    try:
        base = ensure_root(Path(root))
        probe = Path(tempfile.mkdtemp(prefix=".probe-", dir=base))
        try:
            mount_tmpfs(probe, size_bytes=4096, inodes=16, uid=0, gid=0)
            unmount(probe)
        finally:
            probe.rmdir()
    except OSError as exc:
        return f"cannot mount a tmpfs under {root} ({exc})"
    return None


def mount_unavailable(root: Path) -> str | None:
    """``None`` when a tmpfs can be mounted under ``root`` (probed once per process), else why not."""
    return _probe(str(root))


# -- the registry -------------------------------------------------------------------------
def register(state_dir: Path, sandbox_id: str, mounts: list[Path], persistent: Path) -> Path:
    """Record the mounts a sandbox is about to make (before making them); returns the record's path."""
    record = Path(state_dir) / "live" / f"{sandbox_id}.json"
    data = {"id": sandbox_id, "owner": owner_tag(), "mounts": [str(m) for m in mounts],
            "persistent": str(persistent)}
    atomic_write(record, json.dumps(data).encode())
    return record


def release(record: Path) -> None:
    """Unmount and remove every mount of a record, then delete the record."""
    try:
        data = json.loads(record.read_text())
    except (OSError, ValueError):
        data = {}
    for raw in data.get("mounts", []):
        path = Path(raw)
        unmount(path)
        with contextlib.suppress(FileNotFoundError):
            path.rmdir()
    record.unlink(missing_ok=True)


def reap_stale(state_dir: Path) -> list[str]:
    """Remove the recorded mounts of harnesses that died; returns what was removed."""
    removed: list[str] = []
    for record in sorted((Path(state_dir) / "live").glob("*.json")):
        try:
            data = json.loads(record.read_text())
        except (OSError, ValueError):
            continue
        if alive(str(data.get("owner", ""))):
            continue
        try:
            release(record)
        except OSError:
            continue
        removed += data.get("mounts", [])
    return removed
