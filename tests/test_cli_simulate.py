"""Tests of the `causalex simulate` command."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from causalex.labels import read_labels_csv
from causalex_cli.main import app

runner = CliRunner()


def test_simulate_tiny_writes_corpus(tmp_path):
    out = tmp_path / "corpus"
    result = runner.invoke(app, ["simulate", "-o", str(out), "--preset", "tiny", "--seed", "4"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "corpus.json").read_text())
    assert summary["preset"] == "tiny" and summary["seed"] == 4 and summary["videos"] == 4
    assert len(list(out.glob("s*_v*.csv"))) == 4
    assert len(read_labels_csv(out / "labels.csv")) == summary["macro"] + summary["micro"]
    assert (out / "true_graph.json").is_file()
    for word in ("macro-expressions", "micro-expressions", "fps", "target", "bias latent"):
        assert word in result.output


def test_simulate_bias_option(tmp_path):
    result = runner.invoke(app, ["simulate", "-o", str(tmp_path / "c"), "--preset", "tiny", "--bias", "0"])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "c" / "corpus.json").read_text())
    assert summary["bias"]["strength"] == 0.0


def test_bad_preset_exits_2_with_one_line(tmp_path):
    result = runner.invoke(app, ["simulate", "-o", str(tmp_path / "c"), "--preset", "casme3"])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "casme3" in lines[0] and "casme2" in lines[0]
    assert not (tmp_path / "c").exists()


def test_negative_bias_and_foreign_folder_exit_2(tmp_path):
    result = runner.invoke(app, ["simulate", "-o", str(tmp_path / "c"), "--preset", "tiny", "--bias", "-1"])
    assert result.exit_code == 2 and "bias" in result.output
    (tmp_path / "mine.txt").write_text("keep me")
    result = runner.invoke(app, ["simulate", "-o", str(tmp_path), "--preset", "tiny"])
    assert result.exit_code == 2 and "not empty" in result.output
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def _listed_presets() -> str:
    from causalex.simulate import PRESETS

    names = list(PRESETS)
    return ", ".join(names[:-1]) + f" or {names[-1]}"


def _help(command: str) -> str:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "400"})
    return " ".join(result.output.split())


def test_preset_help_of_simulate_lists_every_preset():
    assert _listed_presets() in _help("simulate")


def test_preset_help_of_demo_lists_every_preset():
    assert _listed_presets().replace("demo", "demo (default)") in _help("demo")


def test_simulate_random_mechanism_is_shared_by_a_family(tmp_path):
    docs = []
    for preset, seed in (("family-a", 0), ("family-b", 1)):
        out = tmp_path / preset
        result = runner.invoke(app, ["simulate", "-o", str(out), "--preset", preset, "--seed", str(seed),
                                     "--mechanism", "random", "--mechanism-seed", "3"])
        assert result.exit_code == 0, result.output
        assert "mechanism" in result.output and "random seed 3" in result.output
        docs.append(json.loads((out / "corpus.json").read_text()))
    assert docs[0]["mechanism"] == docs[1]["mechanism"] and docs[0]["mechanism"]["seed"] == 3
    assert docs[0]["bias"]["aus"] != docs[1]["bias"]["aus"]
    truth = json.loads((tmp_path / "family-a" / "true_graph.json").read_text())
    assert truth["provenance"]["mechanism_name"] == "random"


def test_bad_mechanism_options_exit_2_with_one_line(tmp_path):
    for args, words in ((["--mechanism", "causal"], ("--mechanism", "default, random", "causal")),
                        (["--mechanism", "random", "--mechanism-seed", "-1"], ("--mechanism-seed", ">= 0"))):
        result = runner.invoke(app, ["simulate", "-o", str(tmp_path / "c"), "--preset", "tiny", *args])
        assert result.exit_code == 2
        lines = [ln for ln in result.output.splitlines() if ln.strip()]
        assert len(lines) == 1 and all(w in lines[0] for w in words), result.output
        assert not (tmp_path / "c").exists()


def test_a_refused_output_costs_no_simulation(tmp_path, monkeypatch):
    import causalex.simulate

    def never(*args, **kwargs):
        raise AssertionError("simulated before checking the output")

    monkeypatch.setattr(causalex.simulate, "generate_corpus", never)
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["simulate", "-o", str(taken), "--preset", "tiny"])
    assert result.exit_code == 2 and "holds no simulated corpus" in result.output
