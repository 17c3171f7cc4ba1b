"""The CLI entry point and packaging: --help/--version, and every package is listed in pyproject.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from typer.testing import CliRunner

import causalex
from causalex_cli.main import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def test_version_and_help():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"causalex {causalex.__version__}"
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0 and "Spot facial macro" in res.stdout


def test_unknown_command_is_usage_error():
    res = runner.invoke(app, ["no-such-command"])
    assert res.exit_code == 2


def test_every_package_is_listed_in_pyproject():
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(conf["tool"]["setuptools"]["packages"])
    found = set()
    for top, name in (("causalex", "causalex"), ("cli", "causalex_cli")):
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top).parts
            found.add(".".join((name, *rel)))
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_every_command_has_an_example_in_help():
    for name, cmd in _commands(app):
        res = runner.invoke(app, [*name.split(), "--help"])
        assert res.exit_code == 0, name
        assert "Example" in res.stdout or "example" in res.stdout, f"`causalex {name} --help` has no example"


def _commands(typer_app, prefix=""):
    import typer.main

    group = typer.main.get_command(typer_app)
    stack = [(prefix, group)]
    while stack:
        pre, grp = stack.pop()
        for sub_name, sub in getattr(grp, "commands", {}).items():
            full = f"{pre} {sub_name}".strip()
            if hasattr(sub, "commands"):
                stack.append((full, sub))
            else:
                yield full, sub


def test_error_messages_keep_square_brackets(tmp_path):
    res = runner.invoke(app, ["evaluate", str(tmp_path / "[pyfeat].csv"), "--labels", str(tmp_path / "l.csv")])
    assert res.exit_code == 2
    assert "[pyfeat].csv" in res.output


def test_console_entry_point_gives_usage_errors_on_one_line(monkeypatch, capsys):
    import pytest

    from causalex_cli.main import run

    for argv, code, expected in ((["spot"], 2, "error: Missing argument 'MODEL INPUT...'. (see causalex spot --help)"),
                                 (["train", "--bogus"], 2, "error: No such option: --bogus (see causalex train --help)"),
                                 ([], 0, "Usage: causalex"), (["--version"], 0, f"causalex {causalex.__version__}")):
        monkeypatch.setattr("sys.argv", ["causalex", *argv])
        with pytest.raises(SystemExit) as stop:
            run()
        out = capsys.readouterr()
        assert stop.value.code == code, (argv, out)
        text = out.err if code else out.out
        assert expected in " ".join(text.split()), (argv, text)
        if code:
            assert len(text.strip().splitlines()) == 1 and "Traceback" not in text


def test_info_logs_off_hides_library_info_unless_verbose():
    import logging

    from causalex.logs import info_logs_off
    from causalex_cli.common import STATE

    logger = logging.getLogger("causalex")
    saved = (logger.level, STATE["verbose"])
    try:
        logger.setLevel(logging.INFO)
        STATE["verbose"] = False
        with info_logs_off():
            assert not logger.isEnabledFor(logging.INFO) and logger.isEnabledFor(logging.WARNING)
        assert logger.level == logging.INFO
        STATE["verbose"] = True
        logger.setLevel(logging.DEBUG)
        with info_logs_off():
            assert logger.isEnabledFor(logging.DEBUG)
    finally:
        logger.setLevel(saved[0])
        STATE["verbose"] = saved[1]


def _help(args: list[str], columns: int, monkeypatch) -> str:
    monkeypatch.setenv("COLUMNS", str(columns))
    res = runner.invoke(app, [*args, "--help"])
    assert res.exit_code == 0, res.output
    return res.stdout


def test_no_arguments_prints_the_help_once(monkeypatch, capsys):
    import pytest

    from causalex_cli.main import run

    monkeypatch.setattr("sys.argv", ["causalex"])
    with pytest.raises(SystemExit) as stop:
        run()
    out = capsys.readouterr().out
    assert stop.value.code == 0 and out.count("Usage: causalex") == 1 and out.count("Commands") == 1


def test_a_global_option_after_the_command_gets_a_hint(monkeypatch, capsys):
    import pytest

    from causalex_cli.main import run

    monkeypatch.setattr("sys.argv", ["causalex", "evaluate", "-q", "predictions.csv"])
    with pytest.raises(SystemExit) as stop:
        run()
    err = " ".join(capsys.readouterr().err.split())
    assert stop.value.code == 2
    assert "No such option: -q; -q is a global option and goes before the command: causalex -q evaluate" in err
    monkeypatch.setattr("sys.argv", ["causalex", "evaluate", "--bogus"])
    with pytest.raises(SystemExit):
        run()
    assert "global option" not in capsys.readouterr().err  # only for the global ones


def test_help_paragraphs_have_no_hard_line_breaks(monkeypatch):
    text = _help(["demo"], 300, monkeypatch)
    lines = [line.strip() for line in text.splitlines()]
    first = next(line for line in lines if line.startswith("Two corpora"))
    assert "and different biases are simulated" in first  # the docstring breaks its line after "different"
    narrow = _help(["demo"], 80, monkeypatch)
    assert all(len(line) <= 80 for line in narrow.splitlines())


def test_one_placeholder_style_and_no_cut_option_text_at_80_columns(monkeypatch):
    for name, _ in [("", None), *_commands(app)]:
        text = _help(name.split(), 200, monkeypatch)
        for old in ("<str>", "<bool>", " range>"):
            assert old not in text, f"`causalex {name} --help` shows {old}: give the option a metavar (see cli/main.py)"
    for name in ("demo", "discover", "evaluate", "extract", "train", "simulate"):
        assert "…" not in _help([name], 80, monkeypatch), f"`causalex {name} --help` cuts a word at 80 columns"
    assert "<auto|cpu|cuda>" in _help(["train"], 200, monkeypatch)
    assert "needs causalex[ray]" in _help(["extract"], 200, monkeypatch)  # not eaten as rich markup


def test_quiet_simulate_still_shows_its_result_table(tmp_path):
    from causalex_cli.common import STATE

    saved = dict(STATE)
    try:
        res = runner.invoke(app, ["-q", "simulate", "-o", str(tmp_path / "corpus"), "--preset", "tiny"])
    finally:
        STATE.update(saved)
    assert res.exit_code == 0, res.output
    assert "simulated corpus: preset tiny" in res.stdout and "micro-expressions" in res.stdout
    assert "wrote 4 videos" not in res.stdout  # the status line is what -q hides
