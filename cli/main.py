"""Entry point of the `causalex` command: global options and command discovery.

Every module in ``causalex_cli.commands`` that defines ``register(app)`` adds its commands.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import typer
from rich.markup import escape

import causalex
from causalex_cli import commands
from causalex_cli.common import EXIT_BAD_INPUT, err_console, setup_logging

app = typer.Typer(
    name="causalex",
    help="Spot facial macro- and micro-expressions in long videos with a causal action-unit graph.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"causalex {causalex.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show debug logging and tracebacks."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars, status lines or info logs: only "
                                                            "results (tables), warnings and errors."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """causalex: extract AU series, discover a debiased AU causal graph, train, spot and evaluate."""
    setup_logging(verbose, quiet)


for _info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
    _module = importlib.import_module(f"{commands.__name__}.{_info.name}")
    if hasattr(_module, "register"):
        _module.register(app)


def _short_help(doc: str) -> str:
    """First paragraph of a docstring on one line (what command lists show; hard line breaks dropped)."""
    return " ".join(doc.strip().split("\n\n", 1)[0].split())


def _set_short_helps(typer_app: typer.Typer) -> None:
    """Give every command (and group command) without one a one-line short help from its docstring."""
    for info in typer_app.registered_commands:
        if info.short_help is None and info.callback is not None and info.callback.__doc__:
            info.short_help = _short_help(info.callback.__doc__)
    for group in typer_app.registered_groups:
        _set_short_helps(group.typer_instance)


_set_short_helps(app)


def run() -> None:
    """Console-script entry point: usage errors (a missing argument, an unknown option) are one line on
    stderr with exit code 2, like every other bad input."""
    try:
        code = app(standalone_mode=False, prog_name="causalex")
    except Exception as exc:  # click's classes, matched by name: typer >= 0.2x vendors its own click
        kinds = {cls.__name__ for cls in type(exc).__mro__}
        ctx = getattr(exc, "ctx", None)
        if "NoArgsIsHelpError" in kinds:
            text = ctx.get_help() if ctx is not None else ""  # rich has printed the help already: then ""
            if text:
                print(text)
            code = 0
        elif "ClickException" in kinds:  # usage errors (exit 2) and click's other one-line failures
            where = f" (see {ctx.command_path} --help)" if ctx is not None and "UsageError" in kinds else ""
            err_console.print(f"[bold red]error:[/] {escape(exc.format_message())}{escape(where)}", highlight=False,
                              soft_wrap=True)
            code = getattr(exc, "exit_code", EXIT_BAD_INPUT)
        elif "Abort" in kinds:
            err_console.print("interrupted")
            code = 130
        else:
            raise
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
