"""Entry point of the `causalex` command: global options and command discovery.

Every module in ``causalex_cli.commands`` that defines ``register(app)`` adds its commands.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys

import typer
from rich.markup import escape

import causalex
from causalex_cli import commands
from causalex_cli.common import EXIT_BAD_INPUT, err_console, setup_logging

def _plain_metavars(params: list) -> list:
    """One placeholder style for every option: flags (``--help`` and ``--quiet`` included) show none, where
    typer writes ``<bool>`` after a flag that takes no value, and ranged numbers ``<int>`` / ``<float>`` (typer
    writes ``<int range>``; the range itself follows, e.g. ``<int> [x>=1]``). A metavar set by hand is kept:
    options with a fixed set of values write it as ``<a|b|c>`` (a name such as ``<preset>`` when the set is too
    long for the column; the help lists it), free text names what it is (``<AU,...>``), never ``<str>``."""
    for param in params:
        if isinstance(param, typer.core.TyperArgument):
            _plain_argument_type(param)
        if getattr(param, "metavar", "") is not None:
            continue
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif getattr(getattr(param, "type_descriptor", None), "is_ranged", False):
            param.metavar = f"<{param.type_descriptor.ranged_type_name}>"
    return params


def _plain_argument_type(argument) -> None:
    """The type column of a positional argument (whose metavar is its name): ``<path>`` for typer's
    ``<list[Path]>`` (the name already ends in ``...``), nothing for ``<str>`` (the name and help say what it is)."""
    shown = argument.display_type_rich

    def display_type_rich(ctx):
        text = shown(ctx)
        if text == "<str>":
            return ""
        if text and text.startswith("<list[") and text.endswith("]>"):
            return f"<{text[6:-2].lower()}>"
        return text

    if getattr(shown, "__name__", "") != "display_type_rich" or not hasattr(shown, "__self__"):
        return  # already replaced (get_params runs on every help)
    argument.display_type_rich = display_type_rich


class PlainMetavarCommand(typer.core.TyperCommand):
    """A command whose help shows the placeholders of `_plain_metavars`."""

    def get_params(self, ctx):
        """The command's parameters, placeholders set."""
        return _plain_metavars(super().get_params(ctx))


class PlainMetavarGroup(typer.core.TyperGroup):
    """A command group whose help shows the placeholders of `_plain_metavars`."""

    def get_params(self, ctx):
        """The group's parameters, placeholders set."""
        return _plain_metavars(super().get_params(ctx))


app = typer.Typer(
    cls=PlainMetavarGroup,
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


def _reflowed(doc: str) -> str:
    """A command's docstring for --help with the line breaks inside each paragraph joined: rich keeps them, which
    breaks lines in mid-sentence on any terminal wider or narrower than the source. Paragraphs starting with
    click's ``\\b`` keep theirs."""
    text, cut, rest = inspect.cleandoc(doc).partition("\f")
    paragraphs = [p if p.startswith("\b") else " ".join(p.split()) for p in text.split("\n\n")]
    return "\n\n".join(paragraphs) + cut + rest


def _polish_help(typer_app: typer.Typer) -> None:
    """For every command (and group command): a one-line short help from its docstring where it has none,
    the docstring reflowed (`_reflowed`), and the placeholders of `PlainMetavarCommand`."""
    for info in typer_app.registered_commands:
        if info.callback is None:
            continue
        doc = info.help if info.help is not None else info.callback.__doc__
        if doc:
            if info.short_help is None:
                info.short_help = _short_help(doc)
            info.help = _reflowed(doc)
        if not isinstance(info.cls, type) or info.cls is typer.core.TyperCommand:  # typer's default
            info.cls = PlainMetavarCommand
    for group in typer_app.registered_groups:
        sub = group.typer_instance.info
        if not isinstance(sub.cls, type) or sub.cls is typer.core.TyperGroup:
            sub.cls = PlainMetavarGroup
        _polish_help(group.typer_instance)


_polish_help(app)


def _global_option_hint(exc: Exception, ctx) -> str:
    """``"; global options go before the command: ..."`` when an unknown option of a command is one of the
    global options (``causalex evaluate -q ...``); "" otherwise."""
    name = getattr(exc, "option_name", None)
    if not name or ctx is None or ctx.parent is None:
        return ""
    root = ctx.find_root()
    if not any(name in (*param.opts, *param.secondary_opts) for param in root.command.params):
        return ""
    command = ctx.command_path.split(" ", 1)[1] if " " in ctx.command_path else ""
    return f"; {name} is a global option and goes before the command: {root.info_name} {name} {command} ..."


def run() -> None:
    """Console-script entry point: usage errors (a missing argument, an unknown option) are one line on
    stderr with exit code 2, like every other bad input."""
    try:
        code = app(standalone_mode=False, prog_name="causalex")
    except Exception as exc:  # click's classes, matched by name: typer >= 0.2x vendors its own click
        kinds = {cls.__name__ for cls in type(exc).__mro__}
        ctx = getattr(exc, "ctx", None)
        if "NoArgsIsHelpError" in kinds:
            text = exc.format_message()  # the help, built when the error was made; "" when rich printed it then
            if text:
                print(text)
            code = 0
        elif "ClickException" in kinds:  # usage errors (exit 2) and click's other one-line failures
            where = f" (see {ctx.command_path} --help)" if ctx is not None and "UsageError" in kinds else ""
            message = exc.format_message() + _global_option_hint(exc, ctx)
            err_console.print(f"[bold red]error:[/] {escape(message)}{escape(where)}", highlight=False,
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
