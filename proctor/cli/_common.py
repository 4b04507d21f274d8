"""Shared CLI plumbing: settings options, the console, and turning errors into clear exits."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes: documented in the README.
EXIT_FAILED, EXIT_USAGE, EXIT_BUDGET, EXIT_PAUSED = 1, 2, 3, 4


def settings_options(fn: F) -> F:
    """Add ``--config FILE`` and repeatable ``--set KEY=VALUE`` to a command."""
    fn = click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                      help="Override a setting, e.g. --set llm.untrusted=openai/gpt-4o (repeatable).")(fn)
    fn = click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
                      help="Settings file (default: $PROCTOR_CONFIG or ./proctor.toml).")(fn)
    return fn


def fail(message: str, code: int = EXIT_FAILED) -> None:
    """Print one clear error line and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(code)


def clean_errors(fn: F) -> F:
    """Turn Proctor's expected errors into one message and a non-zero exit (no traceback)."""
    from proctor.llm import BudgetExceeded, ModelError
    from proctor.log import CorruptRun, RunNotFound
    from proctor.settings import SettingsError

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SettingsError as exc:
            fail(str(exc), EXIT_USAGE)
        except RunNotFound as exc:
            fail(str(exc), EXIT_USAGE)
        except CorruptRun as exc:
            fail(str(exc), EXIT_FAILED)
        except BudgetExceeded as exc:
            fail(str(exc), EXIT_BUDGET)
        except ModelError as exc:
            fail(str(exc), EXIT_FAILED)

    return wrapper  # type: ignore[return-value]
