"""Build the sandbox root filesystem locally: debootstrap a minimal Debian, then pip wheels into it.

No registry is contacted: Debian packages come from the mirror apt uses, Python wheels from pip's
configured indexes and find-links (``/opt/wheels`` holds the CPU torch wheel on build hosts). The
host's pip installs into the rootfs with ``--target``, so the image carries neither pip nor a
compiler. The result is cached under ``sandbox.state_dir`` keyed by a digest of its inputs; the
bubblewrap provider runs on it directly and the docker image is imported from it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from proctor.sandboxes._errors import SandboxError, SandboxUnavailable
from proctor.settings import SandboxSettings

log = logging.getLogger(__name__)
_MARKER = ".proctor-rootfs.json"
_TRIM = [
    "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale", "var/cache/apt/archives",
    "var/lib/apt/lists", "var/cache/debconf/templates.dat-old",
]
_TRIM_SITE = ["torch/include", "torch/share/cmake", "torch/test"]  # torch/bin holds torch_shm_manager


def rootfs_dir(settings: SandboxSettings) -> Path:
    """Where the rootfs for ``settings.image`` lives."""
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in settings.image)
    return settings.state_dir / "rootfs" / slug


def rootfs_digest(settings: SandboxSettings) -> str:
    """Digest of everything that determines the rootfs's contents."""
    body = json.dumps([settings.debian_suite, settings.debian_mirror, sorted(settings.python_packages), 3])
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def rootfs_ready(settings: SandboxSettings) -> bool:
    """Whether a complete rootfs for the current inputs exists."""
    marker = rootfs_dir(settings) / _MARKER
    try:
        return bool(json.loads(marker.read_text())["digest"] == rootfs_digest(settings))
    except (OSError, ValueError, KeyError):
        return False


def _run(cmd: list[str], say: Callable[[str], None]) -> None:
    say("$ " + " ".join(cmd))
    started = time.monotonic()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    say(f"  ({cmd[0].rsplit('/', 1)[-1]} step took {time.monotonic() - started:.0f}s)")
    if done.returncode != 0:
        tail = (done.stdout + done.stderr)[-3000:]
        raise SandboxError(f"{cmd[0]} failed (exit {done.returncode}):\n{tail}")


def build_rootfs(settings: SandboxSettings, *, force: bool = False, say: Callable[[str], None] = log.info) -> Path:
    """Build (or reuse) the rootfs: Debian minbase + python3 + ``sandbox.python_packages``.

    Returns:
        The rootfs directory.

    Raises:
        SandboxUnavailable: when debootstrap is missing.
        SandboxError: when a build step fails (the message holds the tool's output).
    """
    final = rootfs_dir(settings)
    if rootfs_ready(settings) and not force:
        say(f"rootfs {final} is up to date")
        return final
    if shutil.which("debootstrap") is None:
        raise SandboxUnavailable("debootstrap is not installed; fix: apt-get install debootstrap")
    started = time.monotonic()
    tmp = final.with_name(final.name + ".building")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    _run(["debootstrap", "--variant=minbase", "--include=python3,ca-certificates", "--components=main",
          settings.debian_suite, str(tmp), settings.debian_mirror], say)
    py = Path((tmp / "usr/bin/python3").readlink()).name  # e.g. python3.11
    version = py.removeprefix("python")
    if version != f"{sys.version_info.major}.{sys.version_info.minor}":
        say(f"host Python {sys.version_info[:2]} differs from the rootfs's {version}; pip targets {version}")
    site = tmp / "usr/local/lib" / py / "dist-packages"
    _run([sys.executable, "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check",
          "--only-binary=:all:", "--python-version", version, "--target", str(site),
          *settings.python_packages], say)
    for rel in _TRIM:
        shutil.rmtree(tmp / rel, ignore_errors=True)
    for rel in _TRIM_SITE:
        shutil.rmtree(site / rel, ignore_errors=True)
    for mount_point in ("work", "harness", "tmp", "run", "proc", "dev"):
        (tmp / mount_point).mkdir(exist_ok=True)
    if not (tmp / "usr/bin/python").exists():
        (tmp / "usr/bin/python").symlink_to("python3")  # experiment code often says `python`
    (tmp / _MARKER).write_text(json.dumps({"digest": rootfs_digest(settings), "built": time.time()}))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    say(f"rootfs built at {final} in {time.monotonic() - started:.0f}s")
    return final
