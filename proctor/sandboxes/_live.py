"""The live work directory: a size-limited tmpfs the sandbox writes to, mirrored to the persistent one.

``sandbox.disk_quota_mb`` and ``sandbox.max_files`` are enforced by the kernel while the code runs: a
write past them fails with ``ENOSPC`` inside the sandbox. At create, :meth:`LiveDir.open` mounts the
tmpfs at ``<live_root>/<sandbox id>`` and fills it from the persistent work directory (regular files
and directories only, no modes kept). After every exec, and at close, :meth:`LiveDir.sync` mirrors it
back: regular files (mode 0644) and directories (0755) into a sibling of the persistent directory,
which then swaps places with it in one ``renameat2(RENAME_EXCHANGE)``, so a crash mid-sync leaves the
previous good copy. Links, FIFOs, devices and set-uid bits never leave the tmpfs; deletions are
mirrored. Files unchanged since the last sync (same inode, size, mtime and ctime, which the sandbox
cannot set back) are hard-linked from the previous copy instead of copied again.

The harness directory (read-only at ``/harness``) is staged the same way: copied into its own small
tmpfs at ``<live_root>/<sandbox id>.harness``, then remounted read-only, so the sandbox sees a pristine
snapshot and no host path.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path

from proctor.sandboxes._cgroup import reap_stale as reap_stale_cgroups
from proctor.sandboxes._errors import SandboxError
from proctor.sandboxes._mounts import ensure_root, mount_tmpfs, register, release, remount_readonly, unmount
from proctor.sandboxes._mounts import reap_stale as reap_stale_mounts
from proctor.sandboxes._owners import alive, owner_tag
from proctor.sandboxes._workdir import WorkDir, copy_into
from proctor.settings import SandboxSettings

Key = tuple[int, int, int, int]
RENAME_EXCHANGE = 0x2
_AT_FDCWD = -100
_libc = ctypes.CDLL(None, use_errno=True)
_SYNC = ".proctor-sync-"
_SANDBOX_MADE = {errno.ENAMETOOLONG, errno.ENOENT, errno.ELOOP, errno.ENOTDIR, errno.EMLINK}
"""Errors an entry's name or shape causes (skip it); any other error is the host's (fail the sync)."""


def _key(st: os.stat_result) -> Key:
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _exchange(a: Path, b: Path) -> None:
    """Swap two directories atomically (fallback: two renames, recovered by :func:`_recover`)."""
    fn = getattr(_libc, "renameat2", None)
    if fn is not None and fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return
    if fn is not None and ctypes.get_errno() not in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        err = ctypes.get_errno()
        raise OSError(err, f"swap {b}: {os.strerror(err)}")
    old = b.with_name(b.name + ".proctor-old")
    os.rename(b, old)
    os.rename(a, b)
    os.rename(old, a)


def _recover(persistent: Path) -> None:
    """Undo what a crash left around ``persistent``: a half-done fallback swap, dead owners' syncs."""
    old = persistent.with_name(persistent.name + ".proctor-old")
    if not persistent.exists() and old.is_dir():
        os.rename(old, persistent)
    elif old.is_dir():  # the swap completed; only the superseded copy was left
        shutil.rmtree(old, ignore_errors=True)
    for sibling in persistent.parent.glob(f".{persistent.name}{_SYNC}*"):
        owner = sibling.name.rsplit(_SYNC, 1)[-1].rsplit("-", 1)[0]
        if not alive(owner):
            shutil.rmtree(sibling, ignore_errors=True)


def _tree_bytes(src: Path) -> int:
    total = 0
    for root, dirs, files in os.walk(src):
        for name in files + dirs:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(root, name))
                total += (st.st_size if stat.S_ISREG(st.st_mode) else 0) + 4096
    return total


class LiveDir:
    """A mounted live work directory (and staged harness directory) of one sandbox."""

    def __init__(self, path: Path, persistent: Path, record: Path, max_entries: int) -> None:
        self.path = path
        self.persistent = persistent
        self.record = record
        self.harness: Path | None = None
        self.max_entries = max_entries
        self.work = WorkDir(path)
        self.manifest: dict[str, Key] = {}
        self.dirs: set[str] = set()
        self.closed = False

    @classmethod
    def open(cls, settings: SandboxSettings, sandbox_id: str, persistent: Path, *, uid: int, gid: int,
             harness_src: Path | None = None) -> LiveDir:
        """Mount, fill and register a live work directory (and stage ``harness_src``).

        Raises:
            SandboxError: when the persistent directory does not fit the quota.
            OSError: when mounting fails.
        """
        root = ensure_root(Path(settings.live_root))
        path = root / sandbox_id
        mounts = [path] + ([root / f"{sandbox_id}.harness"] if harness_src else [])
        _recover(persistent)
        record = register(settings.state_dir, sandbox_id, mounts, persistent)
        live = cls(path, persistent, record, settings.max_files + 1)
        try:
            path.mkdir(mode=0o755)
            mount_tmpfs(path, size_bytes=settings.disk_quota_mb * 2**20, inodes=settings.max_files, uid=uid, gid=gid)
            try:
                copy_into(persistent, path)
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise SandboxError(f"the work directory does not fit sandbox.disk_quota_mb="
                                       f"{settings.disk_quota_mb} / max_files={settings.max_files}") from exc
                raise
            for rel, st in live.work.walk(max_entries=live.max_entries):
                if stat.S_ISREG(st.st_mode):
                    live.manifest[rel] = _key(st)
                elif stat.S_ISDIR(st.st_mode):
                    live.dirs.add(rel)
            if harness_src is not None:
                live.harness = mounts[1]
                live._stage(harness_src, mounts[1])
        except BaseException:
            live.close(sync=False)
            raise
        return live

    def _stage(self, src: Path, target: Path) -> None:
        target.mkdir(mode=0o755)
        mount_tmpfs(target, size_bytes=_tree_bytes(src) + 2**20, inodes=100_000, uid=0, gid=0)
        copy_into(src, target)
        for root, dirs, files in os.walk(target):
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
            for name in files:
                os.chmod(os.path.join(root, name), 0o644)
        remount_readonly(target)

    # -- state ---------------------------------------------------------------------------
    def full(self) -> str | None:
        """Why the tmpfs is full (no free block or inode left), else ``None``."""
        vfs = os.statvfs(self.path)
        if vfs.f_bavail == 0:
            return f"work directory full: {vfs.f_blocks * vfs.f_frsize} bytes, the disk quota (writes past it failed with ENOSPC)"
        if vfs.f_favail == 0:
            return f"work directory full: {vfs.f_files - 1} files and directories, sandbox.max_files (creating more failed with ENOSPC)"
        return None

    # -- mirroring -----------------------------------------------------------------------
    def sync(self) -> list[str]:
        """Mirror the live directory to the persistent one (atomically); returns entries not mirrored.

        Nothing is rebuilt when no file or directory changed since the last sync. An entry the
        sandbox made unmirrorable (a name too long for the host path, a link, a FIFO) is skipped; a
        host failure (a full or broken persistent disk) raises and leaves the previous copy in place.
        """
        if self.closed:
            raise SandboxError("live work directory already closed")
        entries = sorted(self.work.walk(max_entries=self.max_entries), key=lambda item: item[0])
        dirs = {rel for rel, st in entries if stat.S_ISDIR(st.st_mode)}
        files = {rel: _key(st) for rel, st in entries if stat.S_ISREG(st.st_mode)}
        skipped = [rel for rel, st in entries if rel not in dirs and rel not in files]
        if files == self.manifest and dirs == self.dirs and self.persistent.is_dir():
            return skipped
        staging = Path(tempfile.mkdtemp(prefix=f".{self.persistent.name}{_SYNC}{owner_tag()}-",
                                        dir=self.persistent.parent))
        manifest: dict[str, Key] = {}
        try:
            staging.chmod(0o755)
            for rel in sorted(dirs | files.keys()):
                target = staging / rel
                try:
                    if rel in dirs:
                        target.mkdir(mode=0o755)
                        target.chmod(0o755)
                    elif not self._reuse(rel, files[rel], target):
                        self.work.stream_to(rel, target, 2**62)  # the tmpfs bounds the size
                    if rel in files:
                        manifest[rel] = files[rel]
                except SandboxError:
                    skipped.append(rel)
                except OSError as exc:
                    if exc.errno not in _SANDBOX_MADE:
                        raise
                    skipped.append(rel)
            if self.persistent.exists():
                _exchange(staging, self.persistent)
            else:
                os.rename(staging, self.persistent)
            self.manifest, self.dirs = manifest, dirs - set(skipped)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return sorted(skipped)

    def _reuse(self, rel: str, key: Key, target: Path) -> bool:
        if self.manifest.get(rel) != key:
            return False
        old = self.persistent / rel
        try:
            st = os.lstat(old)
            if not stat.S_ISREG(st.st_mode) or st.st_size != key[1]:
                return False
            os.link(old, target, follow_symlinks=False)
        except OSError:
            return False
        return True

    def close(self, *, sync: bool = True) -> list[str]:
        """Mirror a last time (unless ``sync`` is false), then unmount and remove; always unmounts."""
        skipped: list[str] = []
        if self.closed:
            return skipped
        try:
            if sync:
                skipped = self.sync()
        finally:
            self.closed = True
            for target in (self.harness, self.path):
                if target is not None:
                    unmount(target)
                    with contextlib.suppress(FileNotFoundError):
                        target.rmdir()
            release(self.record)
        return skipped


def reap_stale_resources(settings: SandboxSettings) -> list[str]:
    """Remove what killed harnesses left on this machine: live mounts recorded in ``sandbox.state_dir``
    and ``proctor-*`` cgroups beside this process's, whose owners are dead; returns what went.

    Every sandbox create does this too; call it from a maintenance command or after a crash.
    """
    removed = reap_stale_mounts(settings.state_dir)
    try:
        removed += [str(d) for d in reap_stale_cgroups()]
    except OSError:
        pass
    return removed
