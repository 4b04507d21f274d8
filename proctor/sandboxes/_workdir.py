"""The run's work directory on the host: the only place a sandbox can write, and hostile territory.

Everything in a work directory may have been written by untrusted code: links, FIFOs, devices,
set-uid bits, odd names, huge files, deep trees. :class:`WorkDir` is the one type through which host
code lists, reads, copies or parses those files. Its rules:

- only regular files are read: every path component is opened with ``O_NOFOLLOW`` relative to the
  directory above it, and the final file with ``O_NONBLOCK``, then checked with ``fstat``; a link,
  FIFO, socket or device is refused, never followed or waited on;
- every read has a size cap, checked on the open file, and reads stop at the cap;
- copies out are byte copies under a name the harness chooses, with mode ``0o644`` (no set-uid,
  no executable bits kept);
- walks are iterative and bounded in depth and entry count, so a deep or huge tree cannot exhaust
  the harness;
- error messages name the file with :func:`safe_name`, never its content.
"""

from __future__ import annotations

import errno
import fnmatch
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from proctor.log import atomic_write
from proctor.sandboxes._errors import PathOutsideWorkdir, SandboxError
from proctor.settings import SandboxSettings

DEFAULT_READ_LIMIT = 16 * 2**20  # a results file or a figure; larger is refused
MAX_DEPTH = 64
MAX_ENTRIES = 100_000
_PRINTABLE = re.compile(r"[^A-Za-z0-9._/+-]")


class UntrustedFileError(SandboxError):
    """A file of the work directory is not a regular file within limits; the message is safe to show."""


def safe_name(name: str, limit: int = 80) -> str:
    """``name`` reduced to a harmless printable form for messages and logs."""
    cleaned = _PRINTABLE.sub("?", name)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 3] + "..."


def _parts(rel: str | os.PathLike[str], inner: str) -> list[str]:
    raw = PurePosixPath(os.fspath(rel))
    if raw.is_absolute():
        try:
            raw = raw.relative_to(inner)
        except ValueError as exc:
            raise PathOutsideWorkdir(f"{safe_name(str(rel))} is outside the work directory") from exc
    parts = [p for p in raw.parts if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise PathOutsideWorkdir(f"{safe_name(str(rel))}: '..' is not allowed")
    return parts


class WorkDir:
    """A sandbox's work directory as host code must see it.

    Args:
        root: the host directory.
        inner: the same directory's path inside the sandbox (absolute paths under it are accepted).
    """

    def __init__(self, root: str | os.PathLike[str], inner: str = "/work") -> None:
        self.root = Path(root).resolve()
        self.inner = inner

    def __repr__(self) -> str:
        return f"WorkDir({str(self.root)!r})"

    def __fspath__(self) -> str:
        return str(self.root)

    # -- opening ---------------------------------------------------------------------------
    def _open(self, rel: str | os.PathLike[str]) -> tuple[int, os.stat_result]:
        """An fd on the regular file ``rel``, opened without following any link."""
        parts = _parts(rel, self.inner)
        if not parts:
            raise UntrustedFileError("the work directory itself is not a file")
        fd = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in parts[:-1]:
                try:
                    nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                except OSError as exc:
                    raise self._refusal(rel, exc) from exc
                os.close(fd)
                fd = nxt
            try:
                leaf = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=fd)
            except OSError as exc:
                raise self._refusal(rel, exc) from exc
        finally:
            os.close(fd)
        st = os.fstat(leaf)
        if not stat.S_ISREG(st.st_mode):
            os.close(leaf)
            raise UntrustedFileError(f"{safe_name(str(rel))} is not a regular file")
        return leaf, st

    @staticmethod
    def _refusal(rel: str | os.PathLike[str], exc: OSError) -> Exception:
        name = safe_name(str(rel))
        if exc.errno == errno.ENOENT:
            return FileNotFoundError(f"{name}: no such file")
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            return UntrustedFileError(f"{name} is, or lies under, a link or a non-directory")
        return UntrustedFileError(f"{name} cannot be opened ({errno.errorcode.get(exc.errno or 0, 'error')})")

    # -- reading ---------------------------------------------------------------------------
    def is_file(self, rel: str | os.PathLike[str]) -> bool:
        """Whether ``rel`` is a regular file reached without links (never blocks)."""
        try:
            fd, _ = self._open(rel)
        except (OSError, SandboxError):
            return False
        os.close(fd)
        return True

    def read_bytes(self, rel: str | os.PathLike[str], limit: int = DEFAULT_READ_LIMIT) -> bytes:
        """The bytes of the regular file ``rel``, at most ``limit`` of them.

        Raises:
            FileNotFoundError: when there is no such file.
            UntrustedFileError: for a link, FIFO, device or directory, or a file over ``limit``.
            PathOutsideWorkdir: for an absolute path outside the work directory or a ``..``.
        """
        fd, st = self._open(rel)
        try:
            if st.st_size > limit:
                raise UntrustedFileError(f"{safe_name(str(rel))} holds {st.st_size} bytes, over the {limit}-byte cap")
            chunks, total = [], 0
            while total <= limit:
                chunk = os.read(fd, min(1 << 20, limit + 1 - total))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
            if total > limit:  # it grew while we read
                raise UntrustedFileError(f"{safe_name(str(rel))} is over the {limit}-byte cap")
            return b"".join(chunks)
        finally:
            os.close(fd)

    def read_text(self, rel: str | os.PathLike[str], limit: int = DEFAULT_READ_LIMIT) -> str:
        """The file decoded as UTF-8 (undecodable bytes replaced)."""
        return self.read_bytes(rel, limit).decode("utf-8", errors="replace")

    def read_json(self, rel: str | os.PathLike[str], limit: int = DEFAULT_READ_LIMIT) -> Any:
        """The file parsed as JSON.

        Raises:
            UntrustedFileError: also when it is not valid JSON (the message does not quote it).
        """
        data = self.read_bytes(rel, limit)
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:
            raise UntrustedFileError(f"{safe_name(str(rel))} is not valid JSON") from exc

    # -- listing ---------------------------------------------------------------------------
    def walk(self, *, max_depth: int = MAX_DEPTH, max_entries: int = MAX_ENTRIES) -> Iterator[tuple[str, os.stat_result]]:
        """``(relative path, lstat)`` of every entry, iteratively, links never followed.

        Directories deeper than ``max_depth`` are not entered; the walk stops after ``max_entries``.
        """
        stack: list[tuple[Path, int]] = [(self.root, 0)]
        seen = 0
        while stack:
            here, depth = stack.pop()
            try:
                entries = list(os.scandir(here))
            except OSError:
                continue
            for entry in entries:
                seen += 1
                if seen > max_entries:
                    return
                try:
                    st = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                rel = str(Path(entry.path).relative_to(self.root))
                yield rel, st
                if stat.S_ISDIR(st.st_mode) and depth + 1 < max_depth:
                    stack.append((Path(entry.path), depth + 1))

    def files(self, pattern: str = "*", *, recursive: bool = False) -> list[str]:
        """Sorted relative paths of the regular files whose name matches ``pattern``.

        Links, FIFOs, sockets, devices and directories are never listed, whatever their name.
        """
        found = []
        if recursive:
            candidates: Iterator[tuple[str, os.stat_result]] = self.walk()
        else:
            candidates = self._top()
        for rel, st in candidates:
            if stat.S_ISREG(st.st_mode) and fnmatch.fnmatchcase(Path(rel).name, pattern):
                found.append(rel)
        return sorted(found)

    def _top(self) -> Iterator[tuple[str, os.stat_result]]:
        try:
            entries = list(os.scandir(self.root))
        except OSError:
            return
        for entry in entries[:MAX_ENTRIES]:
            try:
                yield entry.name, entry.stat(follow_symlinks=False)
            except OSError:
                continue

    def size(self) -> int:
        """Bytes used by regular files (links not followed; bounded walk)."""
        return sum(st.st_blocks * 512 if st.st_blocks else st.st_size
                   for _rel, st in self.walk() if stat.S_ISREG(st.st_mode))

    # -- copying out -----------------------------------------------------------------------
    def copy_file(self, rel: str | os.PathLike[str], dest_dir: Path, name: str,
                  limit: int = DEFAULT_READ_LIMIT) -> Path:
        """Copy the regular file ``rel`` to ``dest_dir/name`` (a name the harness chose), mode 0o644.

        Raises:
            UntrustedFileError: as :meth:`read_bytes`; also for a ``name`` that is not a plain file name.
        """
        if not name or name != Path(name).name or name.startswith(".") or _PRINTABLE.search(name):
            raise UntrustedFileError(f"{safe_name(name)} is not a plain file name")
        target = dest_dir / name
        atomic_write(target, self.read_bytes(rel, limit))
        os.chmod(target, 0o644)
        return target

    def stream_to(self, rel: str | os.PathLike[str], target: Path, limit: int) -> int:
        """Copy the regular file ``rel`` to the new file ``target`` (mode 0o644) without reading it whole.

        ``target`` must not exist (it is created with ``O_EXCL | O_NOFOLLOW``). Returns the bytes copied.

        Raises:
            UntrustedFileError: as :meth:`read_bytes` (also when the file grows past ``limit``).
        """
        fd, st = self._open(rel)
        try:
            if st.st_size > limit:
                raise UntrustedFileError(f"{safe_name(str(rel))} holds {st.st_size} bytes, over the {limit}-byte cap")
            out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
            try:
                total = 0
                while True:
                    sent = os.sendfile(out, fd, None, 1 << 24)
                    if not sent:
                        break
                    total += sent
                    if total > limit:
                        raise UntrustedFileError(f"{safe_name(str(rel))} is over the {limit}-byte cap")
                os.fchmod(out, 0o644)
            finally:
                os.close(out)
            return total
        finally:
            os.close(fd)

    def copy_tree(self, dest: Path, *, limit: int = DEFAULT_READ_LIMIT) -> list[str]:
        """Copy regular files and directories into ``dest`` (mode 0o644 / 0o755).

        Returns:
            Relative paths skipped: links, special files, files over ``limit``, unreadable ones.
        """
        skipped: list[str] = []
        dest.mkdir(parents=True, exist_ok=True)
        for rel, st in sorted(self.walk(), key=lambda item: item[0]):
            target = dest / rel
            if stat.S_ISDIR(st.st_mode):
                target.mkdir(mode=0o755, parents=True, exist_ok=True)
            elif stat.S_ISREG(st.st_mode):
                try:
                    self.copy_file(rel, target.parent, target.name, limit)
                except (OSError, SandboxError):
                    skipped.append(rel)
            else:
                skipped.append(rel)
        return skipped

    # -- harness writes --------------------------------------------------------------------
    def resolve(self, rel: str | os.PathLike[str]) -> Path:
        """The host path of ``rel`` for a harness write, confined to the work directory.

        Links are resolved first, so one the sandboxed code planted cannot point the harness at a
        host file.

        Raises:
            PathOutsideWorkdir: when the resolved path is not inside the work directory.
        """
        return resolve_inside(self.root, rel, self.inner)

    def chown(self, uid: int, gid: int) -> None:
        """Give the tree to the sandbox user (only possible, and only needed, as root); links untouched."""
        if os.getuid() != 0:
            return
        os.chown(self.root, uid, gid, follow_symlinks=False)
        for rel, _st in self.walk():
            try:
                os.chown(self.root / rel, uid, gid, follow_symlinks=False)
            except OSError:
                continue


def make_workdir(settings: SandboxSettings) -> Path:
    """Create a fresh, private work directory."""
    root = settings.work_root
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="proctor-work-", dir=root))
    path.chmod(0o755)
    return path.resolve()


def sandbox_ids(settings: SandboxSettings) -> tuple[int, int]:
    """The uid and gid sandboxed code runs as: never root on the host."""
    if os.getuid() == 0:
        return settings.sandbox_uid, settings.sandbox_uid
    return os.getuid(), os.getgid()


def resolve_inside(workdir: Path, path: str | os.PathLike[str], inner: str = "/work") -> Path:
    """Resolve ``path`` (relative, or absolute under ``inner``) to a host path inside ``workdir``.

    Raises:
        PathOutsideWorkdir: when the resolved path is not inside the work directory.
    """
    raw = Path(path)
    if raw.is_absolute():
        try:
            raw = raw.relative_to(inner)
        except ValueError:
            try:
                raw = raw.relative_to(workdir)
            except ValueError as exc:
                raise PathOutsideWorkdir(f"{safe_name(str(path))} is outside the work directory") from exc
    resolved = Path(os.path.realpath(workdir / raw))
    if resolved != workdir and workdir not in resolved.parents:
        raise PathOutsideWorkdir(f"{safe_name(str(path))} resolves outside the work directory")
    return resolved


def copy_into(src: Path, workdir: Path) -> list[str]:
    """Harness only: copy a trusted local tree (a template) into the work directory; links skipped.

    Returns:
        The relative paths of skipped entries.
    """
    skipped: list[str] = []
    for root, dirs, files in os.walk(src):
        rel = Path(root).relative_to(src)
        (workdir / rel).mkdir(parents=True, exist_ok=True)
        for name in list(dirs) + files:
            entry = Path(root) / name
            if entry.is_symlink() or not (entry.is_dir() or entry.is_file()):
                skipped.append(str(rel / name))
                if name in dirs:
                    dirs.remove(name)
                continue
            if entry.is_file():
                shutil.copyfile(entry, workdir / rel / name)
    return skipped
