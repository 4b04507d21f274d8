"""``proctor config show``: the effective settings and where each value came from."""

from __future__ import annotations

import json

import click
from rich.table import Table

from proctor.cli._common import clean_errors, console, settings_options


@click.group("config")
def config_group() -> None:
    """Inspect settings."""


@config_group.command("show")
@settings_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows.")
@clean_errors
def show_cmd(config: str | None, overrides: tuple[str, ...], as_json: bool) -> None:
    """Print every setting with its value and source (default, file, env, cli)."""
    from proctor.settings import find_config, load_settings_with_sources, provenance

    settings, layers = load_settings_with_sources(config, overrides)
    rows = provenance(settings, layers)
    if as_json:
        console.print_json(json.dumps([{"key": k, "value": v, "source": s} for k, v, s in rows]))
        return
    path = find_config(config)
    table = Table("setting", "value", "source",
                  title=f"effective settings (file: {path or 'none'}, digest {settings.digest()})")
    colours = {"default": "dim", "file": "cyan", "env": "magenta", "cli": "green"}
    for key, value, source in rows:
        table.add_row(key, json.dumps(value), f"[{colours[source]}]{source}[/]")
    console.print(table)
    console.print("precedence: default < file < env (PROCTOR_*) < cli (--set)")
