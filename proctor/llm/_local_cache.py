"""On-disk cache of the embedded models (:mod:`proctor.llm._local_models` names them).

Layout under the cache root (default ``~/.cache/proctor/models``, overridden by an
argument or the ``PROCTOR_MODEL_CACHE`` environment variable), per model::

    <root>/<name>/<gguf file>                 # only for an assembled GGUF (Gemma's chunks)
    <root>/<name>/hf-<dtype>/                  # dequantized safetensors + tokenizer
    <root>/<name>/hf-<dtype>/proctor-cache.json  # marker, written last

A GGUF that ships whole inside its package (SmolLM2's) is read there, in place. Every write goes
to a temporary sibling and is renamed into place, so a process killed mid-build never leaves a
half cache behind. The marker records the source GGUF sha256 (declared by the package), the cache
format version and the size of every file; a cache whose marker is missing, stale or disagrees
with the files on disk is treated as corrupt and rebuilt.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from proctor import paths
from proctor.llm._local_models import GEMMA, LocalModelSpec
from proctor.log import atomic_write

MARKER_NAME = "proctor-cache.json"
CACHE_FORMAT = 1


class LocalModelUnavailable(RuntimeError):
    """The embedded model cannot be provided (package missing or weights corrupt)."""


def cache_root(cache_dir: str | os.PathLike[str] | None = None, spec: LocalModelSpec = GEMMA) -> Path:
    """Return the model's directory inside the cache root.

    Args:
        cache_dir: Explicit cache root; falls back to ``$PROCTOR_MODEL_CACHE`` and then
            ``~/.cache/proctor/models`` (see :func:`proctor.paths.cache_dir`).
        spec: The model.

    Returns:
        ``<root>/<spec.name>`` (not created).
    """
    root = Path(cache_dir).expanduser() if cache_dir else paths.cache_dir("models")
    return root / spec.name


def _missing(spec: LocalModelSpec) -> LocalModelUnavailable:
    return LocalModelUnavailable(
        f"The package {spec.dist!r} of the embedded model {spec.provider} ({spec.label}) is not "
        f"installed; fix: `{spec.install_fix}`.")


def _package(spec: LocalModelSpec = GEMMA) -> Any:
    """The imported package of an assembled GGUF (its ``assemble`` and ``EXPECTED_SHA256``)."""
    try:
        return importlib.import_module(spec.package)
    except ImportError as exc:
        raise _missing(spec) from exc


def package_dir(spec: LocalModelSpec) -> Path:
    """The installed package's directory, found without importing it.

    Raises:
        LocalModelUnavailable: If the package is not installed.
    """
    try:
        found = importlib.util.find_spec(spec.package)
    except (ImportError, ValueError):
        found = None
    if found is None or not found.submodule_search_locations:
        raise _missing(spec)
    return Path(next(iter(found.submodule_search_locations)))


def _recorded_sha256(spec: LocalModelSpec) -> str | None:
    """The GGUF's sha256 as the installed wheel's RECORD declares it (``None`` when unrecorded)."""
    try:
        files = importlib.metadata.distribution(spec.dist).files or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in files:
        if entry.name == spec.gguf_file and entry.hash is not None and entry.hash.mode == "sha256":
            return base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4)).hex()
    return None


def expected_sha256(spec: LocalModelSpec = GEMMA) -> str:
    """Return the sha256 the model's package declares for its GGUF file.

    Raises:
        LocalModelUnavailable: If the package is not installed.
    """
    if spec.assembled:
        return str(_package(spec).EXPECTED_SHA256)
    path = package_dir(spec) / spec.gguf_file
    return _recorded_sha256(spec) or (sha256_file(path) if path.is_file() else "")


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def gguf_path(root: Path, spec: LocalModelSpec = GEMMA) -> Path:
    """Return where the model's GGUF is read: under ``root`` when assembled, else in its package.

    Raises:
        LocalModelUnavailable: If the GGUF ships in a package that is not installed.
    """
    return root / spec.gguf_file if spec.assembled else package_dir(spec) / spec.gguf_file


def ensure_gguf(root: Path, spec: LocalModelSpec = GEMMA) -> Path:
    """Return the model's verified GGUF, assembling it under ``root`` first when it comes in chunks.

    An existing assembled file with the expected sha256 is reused; a mismatching one is replaced.
    The file is assembled into a temporary name and renamed into place. A GGUF shipped whole is
    checked in place against the sha256 its wheel recorded.

    Raises:
        LocalModelUnavailable: If the package is missing, its chunks are missing, or the
            file does not match the declared sha256.
    """
    if not spec.assembled:
        path = gguf_path(root, spec)
        verify_gguf(path, expected_sha256(spec), spec)
        return path
    pkg = _package(spec)
    want = str(pkg.EXPECTED_SHA256)
    target = gguf_path(root, spec)
    if target.exists() and sha256_file(target) == want:
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{uuid.uuid4().hex}.gguf"
    try:
        pkg.assemble(tmp, overwrite=True)
        os.replace(tmp, target)
    except FileNotFoundError as exc:
        raise LocalModelUnavailable(
            f"The local model package is incomplete ({exc}); fix: `{spec.reinstall_fix}`."
        ) from exc
    except ValueError as exc:
        raise LocalModelUnavailable(
            f"The local model GGUF is corrupt (sha256 mismatch, expected {want}); "
            f"fix: `{spec.reinstall_fix}`."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def verify_gguf(path: Path, want: str, spec: LocalModelSpec = GEMMA) -> None:
    """Check a GGUF file against its expected sha256.

    Raises:
        LocalModelUnavailable: If the file is missing or its sha256 differs.
    """
    if not path.is_file():
        raise LocalModelUnavailable(f"GGUF file {path} is missing; fix: `{spec.reinstall_fix}`.")
    got = sha256_file(path)
    if got != want:
        removal = " (or delete the file to reassemble it)" if spec.assembled else ""
        raise LocalModelUnavailable(
            f"GGUF file {path} is corrupt (sha256 {got[:12]}..., expected {want[:12]}...); "
            f"fix: `{spec.reinstall_fix}`{removal}."
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
