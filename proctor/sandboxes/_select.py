"""Choosing a provider from ``sandbox.provider``; never a silent fall back to the host."""

from __future__ import annotations

import logging
from pathlib import Path

from proctor.sandboxes._errors import SandboxUnavailable
from proctor.sandboxes._provider import SANDBOXES, SandboxProvider
from proctor.settings import SandboxSettings

log = logging.getLogger(__name__)
AUTO_ORDER = ("docker", "bubblewrap")


def provider_class(name: str) -> type[SandboxProvider]:
    """The provider registered as ``name``.

    Raises:
        UnknownComponent: for an unregistered name (the message lists the registered ones).
    """
    import proctor.sandboxes  # noqa: F401 - registers the built-in providers

    return SANDBOXES.get(name)


def select_provider(settings: SandboxSettings) -> type[SandboxProvider]:
    """Resolve ``sandbox.provider`` to a provider that can run here.

    ``auto`` takes docker when an engine with the image answers, else bubblewrap. The host is
    used only when named explicitly (and then only with ``sandbox.allow_host``).

    Raises:
        SandboxUnavailable: when the named provider, or every ``auto`` candidate, cannot run; the
            message carries each reason and its fix.
    """
    names = AUTO_ORDER if settings.provider == "auto" else (settings.provider,)
    reasons: list[str] = []
    for name in names:
        cls = provider_class(name)
        reason = cls.available(settings)
        if reason is None:
            if reasons:
                log.info("sandbox provider %s chosen; skipped: %s", name, "; ".join(reasons))
            return cls
        reasons.append(f"{name}: {reason}")
    hint = "" if settings.provider == "host" else (
        " (Proctor never falls back to running on the host; install bubblewrap with "
        "`apt-get install bubblewrap` or start dockerd)"
    )
    raise SandboxUnavailable("no sandbox provider can run here: " + "; ".join(reasons) + hint)


async def open_sandbox(
    settings: SandboxSettings, *, workdir: Path | None = None, harness_dir: Path | None = None
) -> SandboxProvider:
    """Create a sandbox with the provider :func:`select_provider` picks.

    Args:
        settings: the ``sandbox`` settings.
        workdir: the persistent work directory (default: a fresh one, deleted at cleanup); during the
            run the sandbox writes a live copy (``sandbox.work``), mirrored back after every exec.
        harness_dir: trusted files shown read-only at ``/harness`` (``PROCTOR_HARNESS_DIR``).

    Raises:
        SandboxUnavailable: when no provider can run here.
    """
    return await select_provider(settings).create(settings, workdir=workdir, harness_dir=harness_dir)
