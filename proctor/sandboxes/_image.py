"""``proctor sandbox build-image``: build the docker image locally, never pulling.

CPU hosts (``sandbox.base_image = "debootstrap"``): the rootfs from :mod:`._rootfs` is streamed
into ``docker import``. GPU hosts name a CUDA image already in the local store
(``sandbox.base_image = "nvidia/cuda:12.4.1-runtime-ubuntu22.04"``, loaded with ``docker load``);
the Python packages are then installed on top of it with ``docker build`` (that image must
have python3 and pip). Both are skipped when the tag exists, unless ``force``.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import tarfile
import time
from collections.abc import Callable

from proctor.sandboxes._engine import docker_client, image_present
from proctor.sandboxes._env import BASE_ENV
from proctor.sandboxes._errors import SandboxError, SandboxUnavailable
from proctor.sandboxes._rootfs import build_rootfs, rootfs_digest
from proctor.settings import SandboxSettings

log = logging.getLogger(__name__)


def build_image(settings: SandboxSettings, *, force: bool = False, say: Callable[[str], None] = log.info) -> str:
    """Build ``settings.image`` unless it already exists.

    Returns:
        The image tag.

    Raises:
        SandboxUnavailable: when the engine, debootstrap or the CUDA base image is missing.
        SandboxError: when a build step fails.
    """
    client = docker_client(settings, timeout=1800)
    tag = settings.image
    old_id = client.images.get(tag).id if image_present(client, tag) else None
    if old_id and not force:
        say(f"image {tag} exists; skipping (use --force to rebuild)")
        return tag
    started = time.monotonic()
    if settings.base_image == "debootstrap":
        _import_rootfs(client, settings, force, say)
    else:
        _build_on_base(client, settings, say)
    if old_id and client.images.get(tag).id != old_id:
        try:  # the replaced image would linger untagged
            client.images.remove(old_id)
        except Exception as exc:  # noqa: BLE001 - in use by a container, say; harmless
            say(f"old image {old_id[:19]} kept: {exc}")
    say(f"image {tag} ready in {time.monotonic() - started:.0f}s")
    return tag


def _import_rootfs(client: object, settings: SandboxSettings, force: bool, say: Callable[[str], None]) -> None:
    rootfs = build_rootfs(settings, force=force, say=say)
    repo, _, tag = settings.image.rpartition(":") if ":" in settings.image else (settings.image, "", "latest")
    env = " ".join(f"{k}={v}" for k, v in BASE_ENV.items() if k in ("PATH", "LANG", "LC_ALL"))
    changes = [f"ENV {env}", "WORKDIR /work", 'CMD ["python3"]',
               f"LABEL proctor.rootfs={rootfs_digest(settings)}"]
    say(f"docker import {rootfs} -> {settings.image}")
    tar = subprocess.Popen(  # noqa: S603
        ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", "-", "."], stdout=subprocess.PIPE,
    )
    assert tar.stdout is not None
    try:
        client.api.import_image_from_stream(  # type: ignore[attr-defined]
            tar.stdout, repository=repo, tag=tag, changes=changes,
        )
    finally:
        tar.stdout.close()
        if tar.wait() != 0:
            raise SandboxError(f"tar of {rootfs} failed (exit {tar.returncode})")
    if not image_present(client, settings.image):
        raise SandboxError(f"docker import finished but {settings.image} is not in the image store")


def _build_on_base(client: object, settings: SandboxSettings, say: Callable[[str], None]) -> None:
    if not image_present(client, settings.base_image):
        raise SandboxUnavailable(
            f"base image {settings.base_image} is not in the local image store and is never pulled; "
            "fix: `docker load` it (or set sandbox.base_image='debootstrap' on CPU hosts)"
        )
    pkgs = " ".join(json.dumps(p) for p in settings.python_packages)
    dockerfile = (
        f"FROM {settings.base_image}\n"
        f"RUN python3 -m pip install --no-cache-dir {pkgs} && mkdir -p /work\n"
        "WORKDIR /work\n"
    )
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tf:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tf.addfile(info, io.BytesIO(dockerfile.encode()))
    context.seek(0)
    say(f"docker build {settings.image} FROM {settings.base_image}")
    for chunk in client.api.build(  # type: ignore[attr-defined]
        fileobj=context, custom_context=True, tag=settings.image, pull=False, rm=True, decode=True,
    ):
        if "error" in chunk:
            raise SandboxError(f"docker build failed: {chunk['error']}")
        if chunk.get("stream", "").strip():
            say(chunk["stream"].rstrip())
