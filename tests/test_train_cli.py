"""`causalex train` end to end on a tiny simulated corpus: outputs, bad input, selection flag, resume."""

import json
from dataclasses import replace

import numpy as np
import pytest
from typer.testing import CliRunner

from causalex.checkpoint import load_checkpoint
from causalex.errors import InputError
from causalex.graph import AUGraph
from causalex.labels import read_labels_csv, read_predictions_csv, write_labels_csv
from causalex.readers import load_series_inputs
from causalex.simulate import generate_corpus
from causalex.simulate.generate import write_corpus
from causalex.train.config import ExperimentConfig
from causalex.train.deployment import median_epoch
from causalex.train.experiment import run_experiment
from causalex_cli.main import app

TINY = {"model": {"node_hidden": 4, "temporal_channels": 8, "dilations": [1, 2]},
        "data": {"window_s": 4.0, "context_s": 0.5},
        "optim": {"epochs": 2, "batch_size": 8, "threads": 1},
        "protocol": {"min_val_subjects": 1}}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    corpus = generate_corpus("tiny", seed=1, n_subjects=3, n_videos=5, video_mean_s=15.0, video_min_s=12.0)
    write_corpus(corpus, out)
    (out / "tiny.json").write_text(json.dumps(TINY))
    return out


def _train(corpus_dir, out, *extra):
    return CliRunner().invoke(app, ["train", str(corpus_dir), "--labels", str(corpus_dir / "labels.csv"), "-o",
                                    str(out), "--graph", "full", "--protocol", "kfold", "--folds", "3",
                                    "--device", "cpu", "--config", str(corpus_dir / "tiny.json"), *extra])


def test_train_writes_model_folder(corpus_dir, tmp_path):
    out = tmp_path / "run"
    result = _train(corpus_dir, out, "--seed", "3")
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"model.pt", "graph.json", "predictions.csv", "metrics.json",
                                               "config.json"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) >= {"micro", "macro", "overall", "folds", "selection", "protocol", "errors"}
    assert sum(metrics["errors"]["ground_truth"]["micro"].values()) == metrics["micro"]["n_gt"]
    assert metrics["selection"] == "inner-validation" and not metrics["optimistic_selection"]
    assert len(metrics["folds"]) == 3 and metrics["protocol"] == "kfold"
    assert [f["graph_links"] for f in metrics["folds"]] == [17 * 16 // 2] * 3  # the full graph links every pair
    config = json.loads((out / "config.json").read_text())
    assert config["config"]["seed"] == 3 and config["graph_spec"] == "full"
    preds = read_predictions_csv(out / "predictions.csv")
    videos = {iv.video for iv in read_labels_csv(corpus_dir / "labels.csv")}
    assert {p.video for p in preds} <= videos
    assert "per-fold results" in result.output and "overall" in result.output
    again = _train(corpus_dir, out)
    assert again.exit_code == 2 and "already holds a trained model" in again.output


def test_excluded_aus_are_not_model_inputs(corpus_dir, tmp_path):
    out = tmp_path / "run"
    result = _train(corpus_dir, out, "--exclude-aus", "AU14,AU23", "--no-final")
    assert result.exit_code == 0, result.output
    assert "AU14" not in json.loads((out / "config.json").read_text())["au_names"]
    assert "left out by --exclude-aus: AU14, AU23" in " ".join(result.output.split())
    bad = _train(corpus_dir, tmp_path / "bad", "--exclude-aus", "AU99")
    assert bad.exit_code == 2 and "cannot exclude AU99" in bad.output and not (tmp_path / "bad").exists()


def test_context_corpus_sets_the_causal_graphs_selection_and_the_model_masks_it(corpus_dir, tmp_path):
    import torch

    from causalex.checkpoint import load_checkpoint

    other = tmp_path / "other"
    write_corpus(generate_corpus("tiny", seed=7, bias=0.0, n_subjects=2, n_videos=4), other)
    out = tmp_path / "run"
    result = _train(corpus_dir, out, "--graph", "causal", "--context", str(other))
    assert result.exit_code == 0, result.output
    graph = AUGraph.load(out / "graph.json")
    assert set(graph.provenance["contexts"]) == {"main", "other"} and graph.selection
    assert "other" in json.loads((out / "config.json").read_text())["contexts"]
    bundle = load_checkpoint(out / "model.pt")
    net = bundle.build_model("cpu")
    torch.testing.assert_close(net.node_mask, torch.from_numpy(graph.node_mask(bundle.au_names)))
    alone = _train(corpus_dir, tmp_path / "alone", "--graph", "causal", "--no-final")
    assert alone.exit_code == 0 and "AU selection sees one corpus" in alone.output
    bad = _train(corpus_dir, tmp_path / "bad", "--context", str(other))  # --graph full
    assert bad.exit_code == 2 and "--context is for the causal graph" in bad.output


def test_train_refuses_labels_of_missing_videos_and_writes_nothing(corpus_dir, tmp_path):
    labels = read_labels_csv(corpus_dir / "labels.csv")
    bad = tmp_path / "labels.csv"
    write_labels_csv(bad, labels + [labels[0].shifted(1, 2, 3).__class__("ghost", 1, 2, 3, "macro", subject="s01")])
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["train", str(corpus_dir), "--labels", str(bad), "-o", str(out),
                                      "--graph", "none", "--device", "cpu"])
    assert result.exit_code == 2
    assert "video 'ghost' has no AU series" in result.output
    assert not out.exists()


def test_select_on_test_is_flagged_and_dynamic_graph_runs(corpus_dir, tmp_path):
    out = tmp_path / "run"
    result = _train(corpus_dir, out, "--select-on-test", "--no-final", "--dynamic")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["config"]["model"]["dynamic"] is True
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["optimistic_selection"] and "TEST subjects" in metrics["warning"]
    assert "optimistic" in result.output
    assert not (out / "model.pt").exists()


def test_graph_file_discovered_on_test_subjects_is_flagged(corpus_dir, tmp_path):
    from pathlib import Path

    from causalex.discover.pipeline import discover_graph

    series = load_series_inputs([corpus_dir])
    labels = read_labels_csv(corpus_dir / "labels.csv")
    subject_of = {iv.video: iv.subject for iv in labels}  # OpenFace CSVs carry no subject: the labels do
    subjects = sorted(set(subject_of.values()))
    whole = discover_graph(series, labels)
    whole.save(tmp_path / "all.json")
    one = discover_graph([s for s in series if subject_of.get(s.video) == subjects[0]])
    one.save(tmp_path / "one.json")
    result = _train(corpus_dir, tmp_path / "all", "--graph", str(tmp_path / "all.json"), "--no-final")
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "all" / "metrics.json").read_text())
    assert metrics["graph_saw_test_subjects"] == subjects  # every subject is a test subject once
    assert f"discovered on data of {len(subjects)} test subject(s)" in metrics["graph_warning"]
    assert "optimistic" in result.output
    result = _train(corpus_dir, tmp_path / "one", "--graph", str(tmp_path / "one.json"), "--no-final")
    assert json.loads((tmp_path / "one" / "metrics.json").read_text())["graph_saw_test_subjects"] == subjects[:1]
    prior = Path(__file__).resolve().parents[1] / "graphs" / "facs_prior.json"  # no data behind it: nothing to flag
    result = _train(corpus_dir, tmp_path / "prior", "--graph", str(prior), "--no-final")
    assert result.exit_code == 0, result.output
    assert "graph_saw_test_subjects" not in json.loads((tmp_path / "prior" / "metrics.json").read_text())


def _interrupted_run(series, labels, config, out, at: str) -> None:
    """Run the experiment with graph none and interrupt it (KeyboardInterrupt) at the first event of kind ``at``."""
    import torch

    def stop(event):
        if event["kind"] == at:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_experiment(series, labels, config, "none", out, torch.device("cpu"), on_event=stop)


def test_interrupted_run_resumes(corpus_dir, tmp_path):
    import torch

    series = load_series_inputs([corpus_dir])
    labels = read_labels_csv(corpus_dir / "labels.csv")
    config = ExperimentConfig().merged({**TINY, "protocol": {**TINY["protocol"], "protocol": "kfold", "folds": 3,
                                                             "final_model": False}})
    out = tmp_path / "run"

    _interrupted_run(series, labels, config, out, at="fold_done")
    assert (out / ".resume").is_dir() and not (out / "metrics.json").exists()
    with pytest.raises(InputError, match="pass --resume"):
        run_experiment(series, labels, config, "none", out, torch.device("cpu"))
    other = config.merged({"seed": 9})
    with pytest.raises(InputError, match="cannot resume: the config changed since"):
        run_experiment(series, labels, other, "none", out, torch.device("cpu"), resume=True)
    with pytest.raises(InputError, match="cannot resume: the AU list and AU series values changed"):  # e.g. another --exclude-aus
        run_experiment(series, labels, config, "none", out, torch.device("cpu"), resume=True, exclude_aus=["AU12"])
    with pytest.raises(InputError, match="cannot resume: the labels changed"):
        run_experiment(series, labels[1:], config, "none", out, torch.device("cpu"), resume=True)
    changed = [replace(s, values=s.values + np.float32(0.01 * (i == 0))) for i, s in enumerate(series)]
    with pytest.raises(InputError, match="cannot resume: the AU series values changed"):
        run_experiment(changed, labels, config, "none", out, torch.device("cpu"), resume=True)
    events = []
    result = run_experiment(series, labels, config, "none", out, torch.device("cpu"), resume=True,
                            on_event=events.append)
    resumed = [e["resumed"] for e in events if e["kind"] == "fold_done"]
    assert resumed == [True, False, False]
    assert len(result.folds) == 3 and (out / "metrics.json").exists() and not (out / ".resume").exists()


def test_fold_table_marks_thresholds_the_rate_guard_moved():
    from rich.console import Console

    from causalex_cli.commands.train import _fold_table

    row = {"fold": "s01", "test_subjects": ["s01"], "val_subjects": ["s02", "s03"], "selection": "inner-validation",
           "best_epoch": 7, "val_f1": 0.8, "thresholds": {"micro": 0.42, "macro": 0.6}, "micro_f1": 0.5,
           "macro_f1": 0.9, "overall_f1": 0.85, "tp": 9, "n_pred": 10, "n_gt": 11}
    console = Console(width=200, record=True)
    console.print(_fold_table([row], optimistic=False))
    assert "0.42/0.60" in console.export_text() and "rate guard" not in console.export_text()
    console = Console(width=200, record=True)
    console.print(_fold_table([{**row, "val_guarded": ["micro"]}], optimistic=False))
    text = console.export_text()
    assert "0.42*/0.60" in text and "rate guard" in text


def test_bad_config_fails_before_the_output_folder_exists(corpus_dir, tmp_path):
    for doc, message in (({"optim": {"epochs": "three"}}, "OptimConfig.epochs must be a whole number"),
                         ({"decode": {"min_valid": 2}}, "min_valid is a share"),
                         ({"model": {"graph_layer": "sparse"}}, "model config (--config):"),
                         ({"decode": 3}, "config section 'decode' must be an object"),
                         ({"seed": 1.5}, "seed must be a whole number"),
                         ({"optim": {"lr": -1}}, "OptimConfig.lr must be in (0, inf), got -1"),
                         ({"optim": {"batch_size": -4}}, "OptimConfig.batch_size must be in [0, inf)"),
                         ({"data": {"working_fps": 0}}, "DataConfig.working_fps must be in [1, 1000], got 0"),
                         ({"data": {"window_s": 0}}, "DataConfig.window_s must be in (0, inf)"),
                         ({"data": {"context_s": 3}}, "must be under half of window_s"),
                         ({"model": {"dilations": []}}, "dilations must be one or more whole numbers >= 1"),
                         ({"model": {"emotion_classes": []}}, "emotion_classes must be one or more distinct names")):
        cfg = tmp_path / "bad.json"
        cfg.write_text(json.dumps(doc))
        out = tmp_path / "run"
        result = CliRunner().invoke(app, ["train", str(corpus_dir), "--labels", str(corpus_dir / "labels.csv"),
                                          "-o", str(out), "--graph", "none", "--device", "cpu", "--config", str(cfg)])
        assert result.exit_code == 2 and message in result.output, result.output
        assert not out.exists()
    cfg.write_text(json.dumps({"graph": {"method": "ges"}}))  # checked before the folder even with --graph causal
    result = CliRunner().invoke(app, ["train", str(corpus_dir), "--labels", str(corpus_dir / "labels.csv"),
                                      "-o", str(out), "--device", "cpu", "--config", str(cfg)])
    assert result.exit_code == 2 and "unknown method 'ges'" in result.output and not out.exists()


def test_per_fold_discovery_logs_only_at_debug(caplog):
    import logging

    from causalex.logs import info_logs_off

    discover_log = logging.getLogger("causalex.discover.pipeline")
    with caplog.at_level(logging.INFO, logger="causalex"):
        with info_logs_off("causalex.discover"):
            discover_log.info("graph causal: 10 PAG edges")
            discover_log.warning("a warning still shows")
        discover_log.info("after training: shown again")
    assert [r.getMessage() for r in caplog.records] == ["a warning still shows", "after training: shown again"]
    with caplog.at_level(logging.DEBUG, logger="causalex"):
        with info_logs_off("causalex.discover"):
            discover_log.info("with --verbose: shown")
    assert caplog.records[-1].getMessage() == "with --verbose: shown"


def test_output_must_be_a_new_or_empty_folder(corpus_dir, tmp_path):
    for name, make in (("inputs", None), ("other", lambda p: (p.mkdir(), (p / "notes.txt").write_text("mine"))),
                       ("afile", lambda p: p.write_text("x"))):
        out = corpus_dir if make is None else tmp_path / name
        if make is not None:
            make(out)
        before = sorted(q.name for q in out.iterdir()) if out.is_dir() else None
        result = _train(corpus_dir, out, "--no-final")
        assert result.exit_code == 2, result.output
        assert ("is a file" if name == "afile" else "is not empty and holds no interrupted run") in result.output
        assert (sorted(q.name for q in out.iterdir()) if out.is_dir() else None) == before  # nothing written
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _train(corpus_dir, empty, "--no-final").exit_code == 0
    again = CliRunner().invoke(app, ["train", str(tmp_path / "no_such_series"), "--labels", "no_such.csv", "-o",
                                     str(empty)])  # the output is refused before any input is read
    assert again.exit_code == 2 and "already holds a trained model" in again.output


def test_config_file_sets_protocol_and_seed_unless_the_command_line_does(corpus_dir, tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({**TINY, "seed": 5, "protocol": {**TINY["protocol"], "protocol": "kfold", "folds": 2,
                                                               "final_model": False}}))
    base = ["train", str(corpus_dir), "--labels", str(corpus_dir / "labels.csv"), "--graph", "none", "--device",
            "cpu", "--config", str(cfg)]
    result = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "a" / "config.json").read_text())["config"]
    assert (saved["seed"], saved["protocol"]["protocol"], saved["protocol"]["folds"]) == (5, "kfold", 2)
    assert not (tmp_path / "a" / "model.pt").exists()
    result = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "b"), "--seed", "1", "--folds", "3"])
    assert result.exit_code == 0, result.output
    saved = json.loads((tmp_path / "b" / "config.json").read_text())["config"]
    assert (saved["seed"], saved["protocol"]["folds"]) == (1, 3)


def test_run_that_finished_no_fold_is_replaced_and_no_validation_is_reported(corpus_dir, tmp_path):
    import torch

    series = load_series_inputs([corpus_dir])
    labels = read_labels_csv(corpus_dir / "labels.csv")
    two = sorted({iv.subject for iv in labels})[:2]
    keep = {iv.video for iv in labels if iv.subject in two}
    series = [s for s in series if s.video in keep]
    labels = [iv for iv in labels if iv.video in keep]
    config = ExperimentConfig().merged({**TINY, "protocol": {"final_model": False}})
    out = tmp_path / "run"

    _interrupted_run(series, labels, config, out, at="fold_start")  # before any training
    assert [p.name for p in (out / ".resume").iterdir()] == ["run.json"]
    result = run_experiment(series, labels, config.merged({"seed": 4}), "none", out, torch.device("cpu"))
    assert result.metrics["selection"].startswith("none (no inner-validation subject")
    assert all(r["selection"] == result.metrics["selection"] for r in result.folds)


def test_video_without_expressions_is_listed_with_an_empty_row(corpus_dir, tmp_path):
    labels = read_labels_csv(corpus_dir / "labels.csv")
    quiet = labels[-1].video
    subject = labels[-1].subject
    rows = [iv for iv in labels if iv.video != quiet]
    plain = tmp_path / "plain.csv"
    write_labels_csv(plain, rows)
    # OpenFace CSVs carry no subject: without a row for it the video cannot be placed in a fold
    lacking = CliRunner().invoke(app, ["train", str(corpus_dir), "--labels", str(plain), "-o", str(tmp_path / "r1"),
                                       "--graph", "none", "--device", "cpu"])
    assert lacking.exit_code == 2 and f"a row 'SUBJECT,{quiet},,,,,' lists a video" in lacking.output
    listed = tmp_path / "listed.csv"
    listed.write_text(plain.read_text() + f"{subject},{quiet},,,,,\n")
    out = tmp_path / "r2"
    result = CliRunner().invoke(app, ["train", str(corpus_dir), "--labels", str(listed), "-o", str(out),
                                      "--graph", "none", "--protocol", "kfold", "--folds", "3", "--device", "cpu",
                                      "--config", str(corpus_dir / "tiny.json"), "--no-final"])
    assert result.exit_code == 0, result.output
    preds = tmp_path / "preds.csv"
    preds.write_text("video,onset,apex,offset,type,score\n" + f"{quiet},10,12,14,micro,0.9\n")
    scored = CliRunner().invoke(app, ["evaluate", str(preds), "--labels", str(listed)])
    assert scored.exit_code == 0, scored.output  # a false alarm on the quiet video counts
    unlisted = CliRunner().invoke(app, ["evaluate", str(preds), "--labels", str(plain)])
    assert unlisted.exit_code == 2 and "is not in the labels" in unlisted.output


def test_print_config_lists_every_field_and_round_trips():
    result = CliRunner().invoke(app, ["train", "--print-config"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["protocol"]["max_pred_ratio"] == 3.0 and doc["optim"]["epochs"] == ExperimentConfig().optim.epochs
    assert ExperimentConfig().merged(doc).to_dict() == doc


def test_deployment_model_sees_every_subject_with_the_folds_selection(corpus_dir, tmp_path):
    out = tmp_path / "run"
    result = _train(corpus_dir, out)
    assert result.exit_code == 0, result.output
    subjects = sorted({iv.subject for iv in read_labels_csv(corpus_dir / "labels.csv")})
    metrics = json.loads((out / "metrics.json").read_text())
    final = metrics["final_model"]
    assert final["trained_on"] == subjects and final["validated_on"] == []
    fold_epochs = [f["best_epoch"] for f in metrics["folds"]]
    assert final["best_epoch"] == median_epoch(fold_epochs)
    assert f"the median of the 3 fold(s)' selected epochs {sorted(fold_epochs)}" in final["selection"]
    assert "3 fold(s) pooled" in final["selection"]
    bundle = load_checkpoint(out / "model.pt")
    assert bundle.meta["trained_on"] == subjects and bundle.meta["deployment"]["fold_epochs"] == fold_epochs
    assert {"micro": bundle.decode.micro.threshold, "macro": bundle.decode.macro.threshold} == final["thresholds"]
    assert set(bundle.meta["label_rates_per_s"]) == {"micro", "macro"}
    assert all(f["threshold_sources"] for f in metrics["folds"])
    text = " ".join(result.output.split())
    assert f"trained on all {len(subjects)} subjects" in text
    assert "training plan: 3 folds x 2 epochs + the deployment model (up to 2) = up to 8 epochs" in text
    assert "first fold took" in text and "left for 3 more" in text


def test_unknown_engine_lists_the_valid_ones(corpus_dir, tmp_path):
    result = _train(corpus_dir, tmp_path / "m", "--engine", "spark")
    assert result.exit_code == 2 and "valid: serial, ray" in result.output and not (tmp_path / "m").exists()


def test_ray_engine_without_ray_says_how_to_install(corpus_dir, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    result = _train(corpus_dir, tmp_path / "m", "--engine", "ray")
    assert result.exit_code == 2 and "pip install 'ray>=2.9'" in result.output and not (tmp_path / "m").exists()


@pytest.mark.slow
def test_parallel_folds_write_what_serial_folds_write(corpus_dir, tmp_path):
    pytest.importorskip("ray")
    serial = _train(corpus_dir, tmp_path / "serial")
    parallel = _train(corpus_dir, tmp_path / "ray", "--engine", "ray", "--workers", "2")
    assert serial.exit_code == 0, serial.output
    assert parallel.exit_code == 0, parallel.output
    for name in ("predictions.csv", "graph.json"):  # folds as parallel Ray tasks: the files of a serial run
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name
    metrics = [json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("serial", "ray")]
    assert [f["fold"] for f in metrics[1]["folds"]] == ["fold1", "fold2", "fold3"]  # fold order, not finish order
    for a, b in zip(metrics[0]["folds"], metrics[1]["folds"]):
        assert a == b
    assert metrics[0]["final_model"] == metrics[1]["final_model"]
    assert not (tmp_path / "ray" / ".resume").exists()


def test_bad_engines_are_refused_before_anything_is_written(corpus_dir, tmp_path):
    import torch

    series, labels = load_series_inputs([corpus_dir]), read_labels_csv(corpus_dir / "labels.csv")
    cfg = ExperimentConfig().merged(TINY)
    with pytest.raises(InputError, match="valid: serial, ray"):
        run_experiment(series, labels, cfg, "none", tmp_path / "m", torch.device("cpu"), engine="spark")
    with pytest.raises(InputError, match="--engine serial"):  # Ray tasks ask for CPUs only: CUDA is hidden there
        run_experiment(series, labels, cfg, "none", tmp_path / "m", torch.device("cuda"), engine="ray")
    assert not (tmp_path / "m").exists()
