"""The ``proctor`` command: a thin click group; commands parse arguments and call the library."""

from __future__ import annotations

import logging

import click

from proctor import __version__
from proctor.cli._config import config_group
from proctor.cli._doctor import doctor_cmd
from proctor.cli._run import resume_cmd, run_cmd
from proctor.cli._runs import runs_group


@click.group()
@click.version_option(__version__, prog_name="proctor")
@click.option("-v", "--verbose", is_flag=True, help="Log debug messages.")
def cli(verbose: bool) -> None:
    """Proctor: autonomous AI research under AI-control protocols."""
    from rich.logging import RichHandler

    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        handlers=[RichHandler(show_path=False)], format="%(message)s")
    for noisy in ("LiteLLM", "litellm", "httpx", "chromadb"):
        logging.getLogger(noisy).setLevel(logging.ERROR if not verbose else logging.DEBUG)


for command in (run_cmd, resume_cmd, runs_group, config_group, doctor_cmd):
    cli.add_command(command)


def main() -> None:
    """Entry point of the ``proctor`` script."""
    cli(prog_name="proctor")
