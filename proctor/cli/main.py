"""The ``proctor`` command: a thin click group; commands parse arguments and call the library.

Subcommands load lazily (``module:attribute`` below), so ``proctor runs list`` does not import
torch, chromadb or textual.
"""

from __future__ import annotations

import importlib
import logging

import click

from proctor import __version__

COMMANDS = {
    "run": "proctor.cli._run:run_cmd",
    "resume": "proctor.cli._run:resume_cmd",
    "runs": "proctor.cli._runs:runs_group",
    "config": "proctor.cli._config:config_group",
    "doctor": "proctor.cli._doctor:doctor_cmd",
    "sandbox": "proctor.cli._sandbox:sandbox_group",
    "corpus": "proctor.cli._corpus:corpus_group",
    "control": "proctor.cli._control:control_group",
    "audit": "proctor.cli._control:audit_group",
    "review": "proctor.cli._review:review_group",
    "batch": "proctor.cli._batch:batch_group",
    "schedule": "proctor.cli._batch:schedule_group",
    "scheduler": "proctor.cli._batch:scheduler_cmd",
    "tui": "proctor.cli._tui:tui_cmd",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        command = getattr(importlib.import_module(module), attr)
        assert isinstance(command, click.Command)
        return command


@click.group(cls=LazyGroup)
@click.version_option(__version__, prog_name="proctor")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """Proctor: autonomous AI research under AI-control protocols."""
    from rich.logging import RichHandler

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        handlers=[RichHandler(show_path=False)], format="%(message)s")
    for noisy in ("LiteLLM", "litellm", "httpx", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.ERROR if not verbose else logging.DEBUG)


def main() -> None:
    """Entry point of the ``proctor`` script."""
    cli(prog_name="proctor")
