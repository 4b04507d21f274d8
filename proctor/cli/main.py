"""The ``proctor`` command: a thin click group; commands parse arguments and call the library.

Subcommands load lazily: :data:`COMMANDS` maps each name to its ``module:attribute`` and its one-line
help, so ``proctor --help`` lists every command without importing one, and ``proctor runs list``
imports only :mod:`proctor.cli._runs` (no litellm, torch, chromadb or textual).
"""

from __future__ import annotations

import importlib
import logging
from typing import NamedTuple

import click

from proctor import __version__


class Entry(NamedTuple):
    """Where a subcommand lives and the one line ``proctor --help`` shows for it."""

    target: str
    help: str


# The help lines are the commands' own first docstring lines (a test keeps them equal).
COMMANDS: dict[str, Entry] = {
    "run": Entry("proctor.cli._run:run_cmd",
                 "Start a research run on DIRECTION and write it to runs/<utc>_<slug>_<id>/."),
    "resume": Entry("proctor.cli._run:resume_cmd", "Continue RUN (directory, name or id) from its last "
                    "checkpoint; --set changes e.g. its budget."),
    "setup": Entry("proctor.cli._setup:setup_cmd", "Prepare what a first run needs, concurrently: sandbox "
                   "rootfs, embedded model, default index."),
    "runs": Entry("proctor.cli._runs:runs_group", "List and inspect run directories."),
    "config": Entry("proctor.cli._config:config_group", "Inspect settings."),
    "doctor": Entry("proctor.cli._doctor:doctor_cmd", "Report docker, bubblewrap, GPU, embedded models, "
                    "provider keys, and how to fix what's missing."),
    "sandbox": Entry("proctor.cli._sandbox:sandbox_group",
                     "Sandboxes that run experiment code: check them, build their image."),
    "corpus": Entry("proctor.cli._corpus:corpus_group", "Build, inspect, search and serve the literature index."),
    "control": Entry("proctor.cli._control:control_group", "Monitors, protocols, calibration and evaluation."),
    "audit": Entry("proctor.cli._control:audit_group", "The human audit queue and the tamper-evident audit log."),
    "review": Entry("proctor.cli._review:review_group",
                    "Review a paper (`proctor review PAPER`), or evaluate reviews against ICLR 2022."),
    "batch": Entry("proctor.cli._batch:batch_group", "Batches of runs from a YAML spec: directions x "
                   "templates, with budgets and concurrency."),
    "schedule": Entry("proctor.cli._batch:schedule_group", "Scheduled batches (served by `proctor "
                      "scheduler`, or by cron/systemd with --print-*)."),
    "scheduler": Entry("proctor.cli._batch:scheduler_cmd",
                       "Serve scheduled batches until interrupted (schedules persist across restarts)."),
    "tui": Entry("proctor.cli._tui:tui_cmd", "Review held actions, watch runs and review papers in a terminal UI."),
}


def load_command(name: str) -> click.Command | None:
    """Import and return the subcommand ``name`` (``None`` when there is no such command)."""
    entry = COMMANDS.get(name)
    if entry is None:
        return None
    module, attr = entry.target.split(":")
    command = getattr(importlib.import_module(module), attr)
    assert isinstance(command, click.Command), entry.target
    return command


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use; its help lists them from :data:`COMMANDS`."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Like click's, from the help lines in :data:`COMMANDS` (imports no subcommand)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = [(name, click.Command(name, help=COMMANDS[name].help).get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="proctor")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """Proctor: autonomous AI research under AI-control protocols."""
    from rich.console import Console
    from rich.logging import RichHandler

    # Log records go to stderr: stdout is for what a command prints (JSON for --json and `control score`).
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        handlers=[RichHandler(console=Console(stderr=True), show_path=False)], format="%(message)s")
    for noisy in ("LiteLLM", "litellm", "httpx", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.ERROR if not verbose else logging.DEBUG)


def main() -> None:
    """Entry point of the ``proctor`` script."""
    cli(prog_name="proctor")
