"""Shared CLI plumbing: console, logging set-up, error-to-exit-code mapping, progress bars.

Exit codes: 0 success, 2 bad input (`InputError`, usage errors), 1 any other failure, 130 interrupted.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from typing import Any, Callable

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from causalex.errors import InputError
from causalex.rates import FPS_MAX, FPS_MIN

LOG_WIDTH = 160  # columns of tables written to a file or pipe (rich would cut them to 80)


def _console(stderr: bool = False) -> Console:
    """A rich console; when the stream is not a terminal (a log file) and COLUMNS is unset, LOG_WIDTH wide."""
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty() or os.environ.get("COLUMNS", "").isdigit():
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=LOG_WIDTH)


console = _console()
err_console = _console(stderr=True)
STATE: dict[str, Any] = {"verbose": False, "quiet": False}

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


def setup_logging(verbose: bool, quiet: bool) -> None:
    """Route library logging to stderr through rich: DEBUG with --verbose, WARNING with --quiet."""
    STATE["verbose"], STATE["quiet"] = verbose, quiet
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    root = logging.getLogger("causalex")
    root.handlers.clear()
    handler = RichHandler(console=err_console, show_time=False, show_path=verbose, markup=False)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    """Print ``error: message`` on one line to stderr and exit with ``code``."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def handle_errors(func: Callable) -> Callable:
    """Decorator for command functions: map exceptions to one-line messages and exit codes."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except InputError as exc:
            fail(str(exc), EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            err_console.print("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED)
        except Exception as exc:  # a failure, not bad input
            if STATE["verbose"]:
                err_console.print_exception()
            hint = "" if STATE["verbose"] else " (run with --verbose for the traceback)"
            fail(f"{type(exc).__name__}: {exc}{hint}", EXIT_FAILURE)

    return wrapper


def progress() -> Progress:
    """A rich progress bar on stderr (hidden with --quiet)."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, disable=STATE["quiet"] or not sys.stderr.isatty(),
                    transient=False)


def info(message: str) -> None:
    """Print a status line to stdout unless --quiet."""
    if not STATE["quiet"]:
        console.print(message, highlight=False, soft_wrap=True)  # one line: never broken inside a path


CSV_FPS_HELP = ("Frame rate of CSV inputs: needed for py-feat CSVs, which carry none; for an OpenFace CSV it "
                "overrides the timestamps (a warning says when they disagree).")
FPS_RANGE = {"min": FPS_MIN, "max": FPS_MAX}  # every frame-rate option: rates a face video can have


def csv_fps_option() -> Any:
    """The ``--fps`` option of commands that read AU series CSVs (range-checked, `CSV_FPS_HELP`)."""
    return typer.Option(None, "--fps", **FPS_RANGE, help=CSV_FPS_HELP)
THREADS_HELP = ("Torch CPU threads (default 1: fastest for these small models on a busy or small CPU; "
                "0: torch's default).")


def comma_list(text: str | None) -> tuple[str, ...]:
    """``"AU14, AU23,"`` -> ``("AU14", "AU23")``; None or empty -> ``()``."""
    return tuple(item.strip() for item in (text or "").split(",") if item.strip())
