"""The CLI as a whole: docs/CLI.md in sync with the live ``--help``, and option names consistent across commands.

Rules checked on every command (the parsed click parameters, not the help text):

* a command that writes one output path or folder takes it as ``-o/--output`` (an option, both spellings);
* ``--labels``, ``--seed``, ``--fps``, ``--device`` and ``--workers`` are spelled (and declared) the same
  wherever they appear, and no synonym (``--label``, ``--random-seed``, ``--frame-rate``, ``--gpu``,
  ``--jobs``...) stands in for them;
* the frame rate of inputs that carry none is ``--fps`` (not ``--input-fps`` or the like);
* ``--help`` shows an example, and unknown options are a usage error (exit code 2).
"""

from __future__ import annotations

import difflib
import importlib.util
import re
from pathlib import Path
from typing import Optional

import typing

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from causalex_cli.main import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_cli_reference", ROOT / "scripts" / "gen_cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _load_generator()
CANONICAL = ("--labels", "--seed", "--fps", "--device", "--workers")
SYNONYMS = {  # canonical spelling -> spellings that must not stand in for it
    "--labels": ("--label", "--labels-csv", "--labels-file", "--label-file", "--annotations", "--annotation",
                 "--ground-truth", "--gt"),
    "--seed": ("--random-seed", "--rng-seed", "--rng", "--random-state"),
    "--fps": ("--frame-rate", "--framerate", "--rate", "--fps-in"),
    "--device": ("--gpu", "--cuda", "--dev", "--accelerator"),
    "--workers": ("--jobs", "-j", "--n-jobs", "--num-workers", "--n-workers", "--processes", "--procs", "--nproc"),
}
OUTPUT_NAMES = {"output", "out", "out_dir", "output_dir", "outdir", "out_path", "output_path", "out_file",
                "output_file", "dest", "destination"}
OUTPUT_SPELLINGS = {"--out", "--out-dir", "--output-dir", "--outdir", "--out-file", "--output-file", "--dest"}
NO_FRAME_RATE = re.compile(r"(carr(y|ies) (none|no frame rate|no fps)|do(es)? not carry (one|a frame rate))", re.I)
KNOWN_VIOLATIONS: dict[str, str] = {}  # command -> the fix still owed (strict: fails once fixed)


def _leaf_commands() -> dict:
    out = {}
    root = typer.main.get_command(app)
    for path in GEN.command_paths(app):
        cmd = root
        for name in path:
            cmd = cmd.commands[name]
        if path and not getattr(cmd, "commands", None):
            out[" ".join(path)] = cmd
    return out


LEAVES = _leaf_commands()


def _params(cmd) -> list:
    """The parsed parameters of a command (click's, or typer's own copy of click in typer >= 0.2x)."""
    return [p for p in cmd.params if p.name not in ("help",)]


def _is_option(p) -> bool:
    return p.param_type_name == "option"


def option_problems(name: str, cmd) -> list[str]:
    """Every rule of the module doc that ``cmd`` breaks, one line each."""
    problems = []
    for p in _params(cmd):
        opts = set(p.opts) | set(p.secondary_opts)
        is_output = p.name in OUTPUT_NAMES or bool(opts & OUTPUT_SPELLINGS)
        if is_output and not (_is_option(p) and {"-o", "--output"} <= opts):
            kind = "argument" if not _is_option(p) else f"option {'/'.join(sorted(opts))}"
            problems.append(f"{name}: output {kind} ({p.name}) must be the option -o/--output")
        if _is_option(p) and ("-o" in opts) != ("--output" in opts):
            problems.append(f"{name}: -o and --output must go together, got {'/'.join(sorted(opts))}")
        for canonical, bad in SYNONYMS.items():
            for spelling in sorted(opts & set(bad)):
                problems.append(f"{name}: {spelling} stands in for {canonical}; spell it {canonical}")
        if _is_option(p) and "fps" in p.name and NO_FRAME_RATE.search(p.help or ""):
            if "--fps" not in opts:
                problems.append(f"{name}: {'/'.join(sorted(opts))} gives the frame rate of inputs that carry none: "
                                f"spell it --fps")
    return problems


def _type_name(p) -> str:
    """The value type of a parameter (``int`` for plain and range types alike), without ``Optional``."""
    descriptor = getattr(p, "type_descriptor", None)
    if descriptor is None:  # plain click
        return {"integer range": "int", "integer": "int", "float range": "float"}.get(p.type.name, p.type.name)
    kind = descriptor.annotation
    args = [a for a in typing.get_args(kind) if a is not type(None)]
    if typing.get_origin(kind) is typing.Union and len(args) == 1:
        kind = args[0]
    return getattr(kind, "__name__", str(kind))


def _declarations() -> dict[str, dict[str, tuple]]:
    """``{canonical option: {command: (sorted spellings, type name)}}``."""
    out: dict[str, dict[str, tuple]] = {c: {} for c in CANONICAL}
    for name, cmd in LEAVES.items():
        for p in _params(cmd):
            if _is_option(p):
                for canonical in CANONICAL:
                    if canonical in p.opts:
                        out[canonical][name] = (tuple(sorted(p.opts + p.secondary_opts)), _type_name(p))
    return out


def test_cli_md_is_in_sync_with_the_live_help():
    doc = ROOT / "docs" / "CLI.md"
    want = GEN.render_reference(app)
    have = doc.read_text(encoding="utf-8") if doc.exists() else ""
    if have != want:
        diff = "".join(list(difflib.unified_diff(have.splitlines(True), want.splitlines(True), "docs/CLI.md",
                                                 "live --help"))[:40])
        pytest.fail(f"docs/CLI.md is out of date with the live --help: run `{GEN.REGENERATE}`\n{diff}")


def test_reference_lists_every_command_and_is_plain_text():
    text = GEN.render_reference(app)
    for name in ["", *LEAVES]:
        assert f"## causalex {name}".rstrip() + "\n" in text, name
    assert "\x1b[" not in text
    assert max(len(line) for line in text.split("```text", 1)[1].splitlines()) <= GEN.WIDTH


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_option_names_follow_the_rules(name):
    if name in KNOWN_VIOLATIONS:
        pytest.xfail(f"reported to the lead: {KNOWN_VIOLATIONS[name]}")
    assert option_problems(name, LEAVES[name]) == []


@pytest.mark.parametrize("name", sorted(KNOWN_VIOLATIONS))
def test_known_violations_are_still_there(name):
    """Remove a command from KNOWN_VIOLATIONS once it is fixed (this test then fails to say so)."""
    assert name in LEAVES and option_problems(name, LEAVES[name]), f"{name} is fixed: drop it from KNOWN_VIOLATIONS"


def test_canonical_options_are_declared_the_same_everywhere():
    for canonical, by_command in _declarations().items():
        forms = {decl for decl in by_command.values()}
        assert len(forms) <= 1, f"{canonical} is declared differently: {by_command}"


def test_rules_catch_what_they_should():
    bad_app = typer.Typer()

    @bad_app.command()
    def bad(out_dir: Path = typer.Argument(...), label: str = typer.Option("", "--label"),
            input_fps: float = typer.Option(0.0, "--input-fps", help="Frame rate of CSVs that carry none."),
            out: Path = typer.Option(..., "-o", "--out"), seed: Optional[int] = typer.Option(None, "--seed")):
        """Never run."""

    cmd = typer.main.get_command(bad_app)
    problems = "\n".join(option_problems("bad", cmd))
    for text in ("output argument (out_dir)", "--label stands in for --labels", "spell it --fps",
                 "output option --out/-o", "-o and --output must go together"):
        assert text in problems
    assert {_type_name(p) for p in _params(cmd) if p.name == "seed"} == {"int"}
    assert option_problems("demo", LEAVES["demo"]) == []


@pytest.mark.parametrize("name", sorted(LEAVES))
def test_help_shows_an_example_and_unknown_options_exit_2(name):
    res = runner.invoke(app, [*name.split(), "--help"])
    assert res.exit_code == 0
    assert re.search(rf"Example: causalex {re.escape(name)}\b", res.stdout), f"`causalex {name} --help` has no example"
    res = runner.invoke(app, [*name.split(), "--no-such-option"])
    assert res.exit_code == 2, name


def test_global_version_quiet_and_verbose():
    import causalex

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"causalex {causalex.__version__}"
    root = typer.main.get_command(app)
    opts = {o for p in root.params for o in p.opts}
    assert {"-q", "--quiet", "-v", "--verbose", "--version"} <= opts
