"""``proctor runs export RUN --format inspect``: a run as an Inspect eval log (``inspect view``).

Registered on the ``runs`` group (:mod:`proctor.cli._runs`); Inspect itself is imported only when
the command runs, so ``proctor runs list`` stays light.
"""

from __future__ import annotations

from pathlib import Path

import click

from proctor.cli._common import EXIT_USAGE, clean_errors, console, fail


@click.command("export")
@click.argument("run_name")
@click.option("--format", "fmt", type=click.Choice(["inspect"]), default="inspect", show_default=True,
              help="Log format: inspect (an Inspect eval log, for `inspect view`).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="A .eval or .json file, or a directory for it (default: RUN/inspect/).")
@click.option("--config", default=None, help="Settings file.")
@clean_errors
def export_cmd(run_name: str, fmt: str, out: Path | None, config: str | None) -> None:
    """Write RUN's events (model calls, gated actions and their monitor scores, sandbox execs,
    stages) as an Inspect eval log."""
    from proctor.log import RunDir
    from proctor.settings import load_settings

    try:
        from proctor.inspect_ext import export_run
    except ImportError as exc:
        fail(f"the Inspect export needs inspect-ai ({exc}); install it with: pip install 'proctor[inspect]'",
             EXIT_USAGE)
        return
    run = RunDir.open(load_settings(config).runs_dir, run_name)
    path = export_run(run.path, out)
    console.print(f"wrote {path}\nview it with: inspect view --log-dir {path.parent}", highlight=False)
