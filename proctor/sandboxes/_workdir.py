"""The run's work directory on the host: the only place a sandbox can write."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from proctor.sandboxes._errors import PathOutsideWorkdir
from proctor.settings import SandboxSettings


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

    Symlinks are resolved first, so a link the sandboxed code planted cannot point the harness
    at a host file.

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
                raise PathOutsideWorkdir(f"{path} is outside the work directory") from exc
    resolved = Path(os.path.realpath(workdir / raw))
    if resolved != workdir and workdir not in resolved.parents:
        raise PathOutsideWorkdir(f"{path} resolves outside the work directory ({resolved})")
    return resolved


def tree_size(path: Path) -> int:
    """Bytes used by regular files under ``path`` (symlinks not followed)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except OSError:
                continue
            total += st.st_blocks * 512 if st.st_blocks else st.st_size
    return total


def copy_tree(src: Path, dst: Path) -> list[str]:
    """Copy regular files and directories from ``src`` into ``dst``; symlinks are skipped.

    Returns:
        The relative paths of skipped entries.
    """
    skipped: list[str] = []
    for root, dirs, files in os.walk(src):
        rel = Path(root).relative_to(src)
        (dst / rel).mkdir(parents=True, exist_ok=True)
        for name in list(dirs) + files:
            entry = Path(root) / name
            if entry.is_symlink() or not (entry.is_dir() or entry.is_file()):
                skipped.append(str(rel / name))
                if name in dirs:
                    dirs.remove(name)
                continue
            if entry.is_file():
                shutil.copyfile(entry, dst / rel / name)
    return skipped


def chown_tree(path: Path, uid: int, gid: int) -> None:
    """Give the tree to the sandbox user (only possible, and only needed, when running as root)."""
    if os.getuid() != 0:
        return
    os.chown(path, uid, gid, follow_symlinks=False)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)
