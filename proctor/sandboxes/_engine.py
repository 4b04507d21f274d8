"""Connecting to the Docker engine named by the settings (or ``$DOCKER_HOST``)."""

from __future__ import annotations

import os
from typing import Any

from proctor.sandboxes._errors import SandboxUnavailable
from proctor.settings import SandboxSettings

FIX = (
    "fix: start a Docker engine (e.g. `.ci/docker.sh start`) and point DOCKER_HOST or "
    "sandbox.docker_base_url at its socket"
)


def docker_client(settings: SandboxSettings, timeout: int = 120) -> Any:
    """A connected docker-py client.

    Raises:
        SandboxUnavailable: when docker-py is missing or the engine does not answer.
    """
    try:
        import docker
        from docker.errors import DockerException
    except ImportError as exc:  # pragma: no cover - docker is a dependency
        raise SandboxUnavailable("docker-py is not installed; fix: pip install docker") from exc
    url = settings.docker_base_url or os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    try:
        client = docker.DockerClient(base_url=url, timeout=timeout)
        client.ping()
    except (DockerException, OSError) as exc:
        raise SandboxUnavailable(f"no Docker engine reachable at {url} ({exc}); {FIX}") from exc
    return client


def image_present(client: Any, tag: str) -> bool:
    """Whether ``tag`` exists in the engine's local image store."""
    from docker.errors import ImageNotFound

    try:
        client.images.get(tag)
    except ImageNotFound:
        return False
    return True
