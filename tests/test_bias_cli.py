"""`causalex bias` end to end with the real spotter (tiny corpora, tiny model, 1 epoch)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import causalex.bias.corpus as corpus_mod
from causalex.bias.backend import ModelBackend
from causalex.labels import write_labels_csv
from causalex.readers.openface import write_openface_csv
from causalex.simulate import generate_corpus, write_corpus
from causalex_cli.main import app

runner = CliRunner()
TINY_MODEL = {"model": {"node_hidden": 4, "graph_layers": 1, "temporal_channels": 8, "dilations": [1, 2]},
              "optim": {"epochs": 1, "batch_size": 8, "threads": 1}}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("bias_cli")
    for name, bias, seed in (("A", 2.0, 1), ("B", 0.0, 2)):
        write_corpus(generate_corpus("tiny", bias=bias, seed=seed), root / name)
    (root / "tiny_model.json").write_text(json.dumps(TINY_MODEL))
    return root


def _args(root: Path, out: Path, *extra: str) -> list[str]:
    return ["bias", "--train", str(root / "A"), "--train-labels", str(root / "A" / "labels.csv"),
            "--test", str(root / "B"), "--test-labels", str(root / "B" / "labels.csv"), "-o", str(out),
            "--config", str(root / "tiny_model.json"), "--device", "cpu", *extra]


def test_bias_report_numbers_equal_causalex_evaluate(corpora, tmp_path, monkeypatch):
    events: list[str] = []
    load = corpus_mod.load_series_inputs
    fit = ModelBackend.fit
    monkeypatch.setattr(corpus_mod, "load_series_inputs",
                        lambda paths, fps=None: events.append(f"read {Path(list(paths)[0]).name}") or load(paths, fps))
    monkeypatch.setattr(ModelBackend, "fit", lambda self, *a: events.append("fit") or fit(self, *a))
    out = tmp_path / "report"
    result = runner.invoke(app, _args(corpora, out, "--graphs", "full", "--reliance-aus", "AU14,AU12"))
    assert result.exit_code == 0, result.output
    assert "in-domain" in result.output and (out / "report.md").is_file() and (out / "bias_bars.png").is_file()
    # leakage: B is read after the last fit (2 LOSO folds + the full model)
    assert events.count("fit") == 3 and events.index("read B") > max(i for i, e in enumerate(events) if e == "fit")
    doc = json.loads((out / "report.json").read_text())
    assert doc["settings"]["reliance_aus"] == ["AU14", "AU12"]
    assert len(doc["timelines"]) == 2 and all((out / name).is_file() for name in doc["timelines"])
    for run in doc["runs"]:
        assert set(run["reliance"]["in_domain"]["removed"]) == {"AU14", "AU12"}
        for domain, corpus in (("in_domain", "A"), ("cross_domain", "B")):
            scores = tmp_path / f"{run['variant']}_{domain}.json"
            evaluated = runner.invoke(app, ["evaluate", str(out / run["files"][domain]), "--labels",
                                            str(corpora / corpus / "labels.csv"), "--json", str(scores)])
            assert evaluated.exit_code == 0, evaluated.output
            cli = json.loads(scores.read_text())
            for row in ("micro", "macro", "overall"):
                assert cli[row] == run[domain][row]
    summary = doc["summary"]["full"]["overall"]
    full_run = next(r for r in doc["runs"] if r["variant"] == "full")
    assert summary["drop"]["mean"] == pytest.approx(full_run["in_domain"]["overall"]["f1"]
                                                    - full_run["cross_domain"]["overall"]["f1"])
    assert doc["command"].startswith("causalex bias --train")


def test_policy_and_background_set_the_causal_variant_and_the_report_says_so(corpora, tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(app, _args(corpora, out, "--graphs", "causal", "--reliance", "none", "--policy",
                                      "conservative", "--background", "none"))
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "report.json").read_text())
    assert doc["settings"]["causal_graph"] == {**doc["settings"]["causal_graph"], "policy": "conservative",
                                               "background": "none"}
    graph = json.loads((out / "graphs" / "train_causal.json").read_text())
    assert graph["provenance"]["policy"] == "conservative" and graph["provenance"]["background"] == "none"
    # the model's graph saw B's AU series as a context; the diff compares A alone with B alone
    assert set(graph["provenance"]["contexts"]) == {"main", "B"}
    diff_a = json.loads((out / "graphs" / "train_causal_diff.json").read_text())
    assert set(diff_a["provenance"]["contexts"]) == {"main"}
    assert "conservative policy, background none" in (out / "report.md").read_text()


def test_no_target_context_discovers_the_causal_variant_on_a_alone(corpora, tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(app, _args(corpora, out, "--graphs", "causal", "--reliance", "none", "--no-target-context"))
    assert result.exit_code == 0, result.output
    graph = json.loads((out / "graphs" / "train_causal.json").read_text())
    assert set(graph["provenance"]["contexts"]) == {"main"}
    assert "A only (one corpus" in (out / "report.md").read_text()


def test_labels_that_do_not_match_the_series_exit_2_with_one_line(corpora, tmp_path):
    bad = tmp_path / "bad"
    write_corpus(generate_corpus("tiny", bias=0.0, seed=3), bad)
    (bad / "labels.csv").write_text((bad / "labels.csv").read_text() + "s09,ghost_video,1,2,3,micro,\n")
    args = _args(corpora, tmp_path / "out", "--graphs", "none")
    args[args.index("--train") + 1], args[args.index("--train-labels") + 1] = str(bad), str(bad / "labels.csv")
    result = runner.invoke(app, ["--quiet", *args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "ghost_video" in lines[0] and "labels.csv, row 13" in lines[0]
    assert not (tmp_path / "out").exists()


def test_empty_test_corpus_exits_2_before_training(corpora, tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "labels.csv").write_text("subject,video,onset,apex,offset,type,emotion\n")
    monkeypatch.setattr(ModelBackend, "fit", lambda *a: pytest.fail("trained although the test corpus is empty"))
    args = _args(corpora, tmp_path / "out")
    args[args.index("--test") + 1], args[args.index("--test-labels") + 1] = str(empty), str(empty / "labels.csv")
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "holds no AU series" in result.output


def test_corpora_without_enough_shared_aus_exit_2_before_training(corpora, tmp_path, monkeypatch):
    full = generate_corpus("tiny", bias=0.0, seed=4)
    folder = tmp_path / "one_au"
    for s in full.series:
        write_openface_csv(s.select(["AU45"]), folder / f"{s.video}.csv")
    write_labels_csv(folder / "labels.csv", full.labels)
    monkeypatch.setattr(ModelBackend, "fit", lambda *a: pytest.fail("trained although the AU sets do not fit"))
    args = _args(corpora, tmp_path / "out", "--graphs", "none")
    args[args.index("--test") + 1], args[args.index("--test-labels") + 1] = str(folder), str(folder / "labels.csv")
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "shares 1 AU(s) with A" in result.output


@pytest.mark.parametrize("option, value, message", [("--graphs", "causal,bogus", "unknown graph variant"),
                                                    ("--reliance", "sometimes", "unknown choice"),
                                                    ("--reliance-aus", "AU99", "not in the study's AUs"),
                                                    ("--policy", "greedy", "--policy: unknown choice"),
                                                    ("--background", "ekman", "--background: unknown choice")])
def test_bad_options_exit_2(corpora, tmp_path, option, value, message):
    result = runner.invoke(app, _args(corpora, tmp_path / "out", option, value))
    assert result.exit_code == 2 and message in result.output


def test_output_and_test_paths_are_checked_before_training(corpora, tmp_path, monkeypatch):
    monkeypatch.setattr(ModelBackend, "fit", lambda *a: pytest.fail("trained although the run cannot finish"))
    args = _args(corpora, tmp_path / "out")
    args[args.index("--test-labels") + 1] = str(tmp_path / "missing.csv")
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and "missing.csv: test labels CSV does not exist" in result.output
    a_file = tmp_path / "afile"
    a_file.write_text("x")
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.pt").write_bytes(b"")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    for out, message in ((a_file, "is not a folder"), (model, "holds a trained model"),
                         (other, "holds no bias report")):
        result = runner.invoke(app, _args(corpora, out))
        assert result.exit_code == 2 and message in result.output, result.output
    assert (other / "notes.txt").read_text() == "mine"


def test_a_new_report_removes_what_an_earlier_one_left(tmp_path):
    from causalex.bias.report import _remove_stale, check_report_folder

    out = tmp_path / "report"
    (out / "predictions").mkdir(parents=True)
    (out / "report.json").write_text("{}")
    old, new = out / "predictions" / "causal_seed0_in_domain.csv", out / "predictions" / "none_seed0_in_domain.csv"
    old.write_text("x")
    new.write_text("y")
    (out / "reliance_in_domain.png").write_bytes(b"png")
    (out / "my_figure.png").write_bytes(b"png")  # the user's own file: kept
    check_report_folder(out)  # an earlier report may be replaced
    _remove_stale(out, {"new": new, "report.json": out / "report.json"})
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == ["my_figure.png", "none_seed0_in_domain.csv",
                                                                     "report.json"]


def test_test_corpus_on_another_scale_exits_2_before_training(corpora, tmp_path):
    from dataclasses import replace as dc_replace

    flow = tmp_path / "flowB"
    flow.mkdir()
    for s in generate_corpus("tiny", bias=0.0, seed=2).series:
        dc_replace(s, scale="percent_iod").save(flow / f"{s.video}.parquet")
    (flow / "labels.csv").write_text((corpora / "B" / "labels.csv").read_text())
    args = _args(corpora, tmp_path / "out", "--graphs", "none")
    args[args.index("--test") + 1], args[args.index("--test-labels") + 1] = str(flow), str(flow / "labels.csv")
    result = runner.invoke(app, ["--quiet", *args])
    assert result.exit_code == 2, result.output
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and str(flow) in message and "percent_iod" in message
    assert not (tmp_path / "out").exists()


def test_the_report_command_line_parses_back_to_the_same_options():
    import shlex

    from typer.main import get_command

    from causalex_cli.commands.bias import _command_line

    command = get_command(app).commands["bias"]
    args = ["--train", "a/", "--train-labels", "a.csv", "--test", "b dir/", "--test-labels", "b.csv", "-o", "out",
            "--no-target-context", "--exclude-aus", "AU14,AU23", "--seeds", "2"]
    ctx = command.make_context("bias", list(args))
    line = _command_line(ctx)
    assert "True" not in line and "False" not in line and "--no-target-context" in line
    again = command.make_context("bias", shlex.split(line)[2:])
    assert again.params == ctx.params
