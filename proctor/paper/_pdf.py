"""The PDF build: pdflatex (and bibtex) confined as far as the host allows.

The ``.tex`` source is escaped, but the TeX engine is confined anyway, in case something slips
through or a figure's bytes hit a parser bug:

- ``-no-shell-escape``, and kpathsea's ``openin_any=p`` / ``openout_any=p`` ("paranoid": no absolute
  paths, no ``..``, no dot files), so ``\\input{/etc/passwd}`` or ``\\openin`` of a host file fails;
- a clean environment (no host variable reaches TeX) and a private build directory holding only
  copies of the paper's own plain-named files;
- when the host runs as root, the engine runs as ``nobody`` (no supplementary groups), so it cannot
  read root-only files or touch the paper folder; the PDF and log come back as capped byte copies of
  regular files owned by that user, never through a link.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from proctor.log import atomic_write

_INPUT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.(?:tex|bib|png|jpg|jpeg|pdf)")
_READ_LIMIT = 64 * 2**20
_STEP_TIMEOUT_S = 120


def _read_regular(path: Path, owner: int | None = None) -> bytes | None:
    """The bytes of a regular file opened without following a link; ``None`` when it is anything else."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if (not stat.S_ISREG(st.st_mode) or st.st_size > _READ_LIMIT or st.st_nlink != 1
                or (owner is not None and st.st_uid != owner)):
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(_READ_LIMIT + 1)
        return data if len(data) <= _READ_LIMIT else None
    finally:
        os.close(fd)


def _world_traversable(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents])


def _unprivileged() -> tuple[int, int] | None:
    """``nobody``'s uid and gid when the host runs as root and the temp dir is reachable for it."""
    if os.geteuid() != 0:
        return None
    try:
        user = pwd.getpwnam("nobody")
        reachable = _world_traversable(Path(tempfile.gettempdir()).resolve())
    except (KeyError, OSError):
        return None
    return (user.pw_uid, user.pw_gid) if user.pw_uid != 0 and reachable else None


def _run(argv: list[str], build: Path, drop: tuple[int, int] | None) -> None:
    env = {"PATH": f"{Path(argv[0]).parent}:/usr/bin:/bin", "HOME": str(build), "LC_ALL": "C",
           "openin_any": "p", "openout_any": "p", "shell_escape": "f"}
    extra: dict[str, Any] = {"user": drop[0], "group": drop[1], "extra_groups": []} if drop else {}
    proc = subprocess.Popen(argv, cwd=build, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True, umask=0o077, **extra)
    try:
        proc.wait(timeout=_STEP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise


def build_pdf(out_dir: Path) -> Path | None:
    """``paper.pdf`` via pdflatex (+bibtex) when installed; ``None`` otherwise or on failure.

    The paper's plain-named ``.tex``, ``.bib`` and figure files are copied into a private build
    directory, the engine runs there confined (see the module docstring), and ``paper.pdf`` and
    ``paper.log`` are copied back into ``out_dir``.
    """
    engine = shutil.which("pdflatex")
    if engine is None:
        return None
    (out_dir / "paper.pdf").unlink(missing_ok=True)
    drop = _unprivileged()
    latex = [engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"]
    bib = shutil.which("bibtex")
    with tempfile.TemporaryDirectory(prefix="proctor-tex-") as tmp:
        build = Path(tmp)
        for entry in out_dir.iterdir():
            data = _read_regular(entry) if _INPUT.fullmatch(entry.name) and entry.name != "paper.pdf" else None
            if data is not None:
                (build / entry.name).write_bytes(data)
                os.chmod(build / entry.name, 0o444)
        cites = bib is not None and (build / "references.bib").is_file() and bool(
            (build / "references.bib").read_bytes().strip())
        steps = [latex, [bib, "paper"], latex, latex] if bib and cites else [latex, latex]
        if drop:
            os.chown(build, *drop)
        try:
            for step in steps:
                _run(step, build, drop)
        except (OSError, subprocess.TimeoutExpired):
            return None
        for name in ("paper.log", "paper.pdf"):
            data = _read_regular(build / name, drop[0] if drop else None)
            if data is not None:
                atomic_write(out_dir / name, data)
                os.chmod(out_dir / name, 0o644)
    pdf = out_dir / "paper.pdf"
    return pdf if pdf.exists() else None
