"""``proctor tui``: the terminal review console."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

import click

from proctor.cli._common import EXIT_USAGE, fail, settings_options


def _default_reviewer() -> str:
    try:
        return os.environ.get("PROCTOR_REVIEWER") or getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


@click.command("tui")
@click.option("--runs-dir", type=click.Path(file_okay=False), default=None,
              help="Runs directory (default: settings.runs_dir).")
@click.option("--reviewer", default=None, help="Name recorded with decisions (default: $PROCTOR_REVIEWER or $USER).")
@click.option("--refresh", "refresh_s", type=click.FloatRange(min=0.2), default=2.0, show_default=True,
              help="Seconds between re-reads of the disk.")
@click.option("--resume-cmd", default=None, metavar="CMD",
              help="Command that resumes a run, with {run} for its directory (default: proctor resume {run}).")
@click.option("--theme", default=None, help="Textual theme, e.g. textual-light (ctrl+p switches it live).")
@settings_options
def tui_cmd(runs_dir: str | None, reviewer: str | None, refresh_s: float, resume_cmd: str | None,
            theme: str | None, config: str | None, overrides: tuple[str, ...]) -> None:
    """Review held actions, watch runs and review papers in a terminal UI."""
    # Not ``clean_errors``: it imports the model gateway (litellm), seconds of start-up the console never uses.
    from proctor.settings import SettingsError, load_settings
    from proctor.tui import ProctorApp, Store, detached_launcher

    try:
        settings = load_settings(config, overrides)
    except SettingsError as exc:
        fail(str(exc), EXIT_USAGE)
    store = Store(Path(runs_dir) if runs_dir else Path(settings.runs_dir),
                  audit_budget=settings.control.audit_budget, busy_timeout_ms=settings.control.busy_timeout_ms)
    app = ProctorApp(store, reviewer=reviewer or _default_reviewer(), refresh_s=refresh_s,
                     launcher=detached_launcher(resume_cmd, config))
    if theme:
        if theme not in app.available_themes:
            fail(f"unknown theme {theme!r}; one of: {', '.join(sorted(app.available_themes))}", EXIT_USAGE)
        app.theme = theme
    app.run()
