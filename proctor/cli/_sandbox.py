"""``proctor sandbox``: conformance checks, the image build, and the red team (:mod:`._redteam`)."""

from __future__ import annotations

import asyncio
import sys
import time

import click
from rich.table import Table

from proctor.cli._common import EXIT_FAILED, console, fail, settings_options
from proctor.cli._redteam import redteam


@click.group("sandbox")
def sandbox_group() -> None:
    """Sandboxes that run experiment code: check them, build their image."""


@sandbox_group.command("check")
@click.option("--provider", "provider", default=None,
              help="Check only this provider (docker, bubblewrap, host); default: every one available.")
@click.option("--only", "only", multiple=True, help="Run only the named check (repeatable).")
@settings_options
def check(provider: str | None, only: tuple[str, ...], config: str | None, overrides: tuple[str, ...]) -> None:
    """Run the conformance checks against the providers this machine offers."""
    from proctor.sandboxes import AUTO_ORDER, CHECKS, provider_class, run_conformance
    from proctor.settings import SettingsError, load_settings

    try:
        settings = load_settings(config, overrides).sandbox
    except SettingsError as exc:
        fail(str(exc), 2)
        return
    unknown = set(only) - {c.name for c in CHECKS}
    if unknown:
        fail(f"unknown check(s) {sorted(unknown)}; known: {[c.name for c in CHECKS]}", 2)
    names = [provider] if provider else [*AUTO_ORDER, *(["host"] if settings.allow_host else [])]
    table = Table(title="sandbox conformance")
    for col in ("check", "provider", "result", "detail"):
        table.add_column(col, overflow="fold")
    failed = ran = 0
    for name in names:
        try:
            cls = provider_class(name)
        except KeyError as exc:
            fail(str(exc), 2)
            return
        reason = cls.available(settings)
        if reason:
            if provider:
                failed += 1
            table.add_row("-", name, "[yellow]unavailable[/]" if not provider else "[red]FAIL[/]", reason)
            continue
        started = time.monotonic()
        results = asyncio.run(run_conformance(cls, settings, list(only) or None))
        for r in results:
            ran += 1
            mark = "[green]pass[/]" if r.passed else "[dim]skip[/]" if r.passed is None else "[red]FAIL[/]"
            failed += r.passed is False
            table.add_row(r.check, r.provider, mark, r.detail)
        console.print(f"{name}: {len(results)} checks in {time.monotonic() - started:.1f}s")
    console.print(table)
    if not ran and not failed:
        fail("no sandbox provider is available here; fix: apt-get install bubblewrap, or start dockerd")
    if failed:
        console.print(f"[red]{failed} check(s) failed[/]")
        sys.exit(EXIT_FAILED)


@sandbox_group.command("build-image")
@click.option("--force", is_flag=True, help="Rebuild even when the image (and rootfs) exist.")
@click.option("--rootfs-only", is_flag=True, help="Build only the bubblewrap rootfs (no Docker engine needed).")
@settings_options
def build_image_cmd(force: bool, rootfs_only: bool, config: str | None, overrides: tuple[str, ...]) -> None:
    """Build the sandbox image locally (debootstrap + wheels + docker import; never pulls)."""
    from proctor.sandboxes import SandboxError, build_image, build_rootfs
    from proctor.settings import SettingsError, load_settings

    try:
        settings = load_settings(config, overrides).sandbox
    except SettingsError as exc:
        fail(str(exc), 2)
        return
    started = time.monotonic()
    try:
        if rootfs_only:
            built = str(build_rootfs(settings, force=force, say=console.print))
        else:
            built = build_image(settings, force=force, say=console.print)
    except SandboxError as exc:
        fail(str(exc))
        return
    console.print(f"[green]ready:[/] {built} ({time.monotonic() - started:.0f}s)")


sandbox_group.add_command(redteam)
