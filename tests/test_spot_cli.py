"""`causalex spot` and the spotting API: model and threshold methods, bad input, plot."""

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from causalex import checkpoint as ckpt
from causalex.errors import InputError
from causalex.graph import full_graph
from causalex.labels import Interval, read_predictions_csv
from causalex.metrics import evaluate_spotting
from causalex.model.network import build_model
from causalex.readers.openface import write_openface_csv
from causalex.spot.decoding import DecodeConfig
from causalex.spot.spotter import ModelSpotter, make_spotter, spotter_names
from causalex.spot.threshold import ThresholdSpotter, activity_curve, runs_above
from causalex.train.config import ExperimentConfig
from causalex_cli.main import app
from test_model_overfit import AUS, planted_series


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """A model folder holding an (untrained) checkpoint: enough to test the plumbing."""
    out = tmp_path_factory.mktemp("model")
    cfg = ExperimentConfig().merged({"model": {"node_hidden": 4, "temporal_channels": 8, "dilations": [1, 2]},
                                     "data": {"window_s": 4.0, "context_s": 0.5}})
    graph = full_graph(AUS)
    torch.manual_seed(0)
    model = build_model(cfg.model, graph.adjacency_for(AUS))
    decode = DecodeConfig()
    for kind in (decode.micro, decode.macro):  # keep every candidate of the random model
        kind.threshold = kind.candidate_floor = 0.0
    ckpt.save_checkpoint(out / "model.pt", ckpt.ModelBundle(cfg, list(AUS), graph, 30.0, decode, model.state_dict()))
    return out


@pytest.fixture()
def inputs(tmp_path):
    a = planted_series("va", n_frames=600, events=[(100, 150, {"AU12": 2.0})])
    b = planted_series("vb", n_frames=1200, fps=60.0, events=[(400, 420, {"AU04": 1.5})])
    a.save(tmp_path / "va.parquet")
    write_openface_csv(b, tmp_path / "vb.csv")
    return tmp_path


def test_spot_cli_with_model_writes_predictions_and_plot(model_dir, inputs, tmp_path):
    out, png = tmp_path / "out" / "pred.csv", tmp_path / "out" / "scores.png"
    result = CliRunner().invoke(app, ["spot", str(model_dir), str(inputs / "va.parquet"), str(inputs / "vb.csv"),
                                      "-o", str(out), "--plot", str(png), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    preds = read_predictions_csv(out)
    assert {p.video for p in preds} == {"va", "vb"}
    assert max(p.offset for p in preds if p.video == "vb") < 1200  # frames of the 60 fps input
    assert png.stat().st_size > 1000
    header = out.read_text().splitlines()[0]
    assert header.endswith("onset_s,offset_s")
    assert f"graph full ({len(AUS) * (len(AUS) - 1) // 2} AU pairs linked); {len(AUS)} AUs at 30 fps" in result.output


def test_model_spotter_describes_a_dynamic_trained_model(model_dir):
    bundle = ckpt.load_checkpoint(model_dir / "model.pt")
    bundle.config.model.dynamic = True
    bundle.meta = {"trained_on": ["s1", "s2", "s3"], "validated_on": ["s4"],
                   "cross_validation": {"overall": {"f1": 0.8123}, "micro": {"f1": 0.5}, "macro": {"f1": 0.9}}}
    line = ModelSpotter(bundle).describe()
    assert line.startswith("graph re-discovered per video (dynamic, facs background, lenient policy)")
    assert "trained on 3 subjects (1 more held out for validation)" in line
    assert line.endswith("cross-validated F1 0.812 overall, 0.500 micro")


def test_spot_refuses_au_mismatch_and_short_video_writing_nothing(model_dir, tmp_path):
    lacking = planted_series("vc", n_frames=600).select(AUS[:-1])
    lacking.save(tmp_path / "vc.parquet")
    out = tmp_path / "pred.csv"
    result = CliRunner().invoke(app, ["spot", str(model_dir), str(tmp_path / "vc.parquet"), "-o", str(out),
                                      "--device", "cpu"])
    assert result.exit_code == 2 and "lacks AU45" in result.output and not out.exists()
    planted_series("vd", n_frames=60).save(tmp_path / "vd.parquet")
    result = CliRunner().invoke(app, ["spot", str(model_dir), str(tmp_path / "vd.parquet"), "-o", str(out)])
    assert result.exit_code == 2 and "shorter than one window" in result.output and not out.exists()
    planted_series("ve", n_frames=600).save(tmp_path / "ve.parquet")
    both = [str(tmp_path / "vd.parquet"), str(tmp_path / "ve.parquet")]
    result = CliRunner().invoke(app, ["spot", str(model_dir), *both, "-o", str(out), "--device", "cpu"])
    assert result.exit_code == 2 and "shorter than one window" in result.output and not out.exists()
    result = CliRunner().invoke(app, ["spot", str(model_dir), *both, "-o", str(out), "--device", "cpu",
                                      "--skip-short"])
    assert result.exit_code == 0, result.output
    assert "left out 1 input(s)" in result.output and "vd (2.00 s)" in result.output
    assert {p.video for p in read_predictions_csv(out)} <= {"ve"}
    result = CliRunner().invoke(app, ["spot", str(model_dir), both[0], "-o", str(tmp_path / "p2.csv"),
                                      "--skip-short"])
    assert result.exit_code == 2 and "every input is shorter" in result.output


def test_spot_cli_threshold_method_needs_no_model(inputs, tmp_path):
    out = tmp_path / "pred.csv"
    result = CliRunner().invoke(app, ["spot", "--method", "threshold", str(inputs / "va.parquet"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "UNTRAINED" in result.output
    preds = read_predictions_csv(out)
    assert any(p.type == "macro" and 90 <= p.apex <= 160 for p in preds)


def test_spot_refuses_to_write_into_the_model_folder(model_dir, inputs):
    out = model_dir / "predictions.csv"
    result = CliRunner().invoke(app, ["spot", str(model_dir), str(inputs / "va.parquet"), "-o", str(out)])
    assert result.exit_code == 2 and "is inside the model folder" in result.output and not out.exists()


def test_spot_cli_missing_model_and_arguments(inputs, tmp_path):
    out = tmp_path / "pred.csv"
    result = CliRunner().invoke(app, ["spot", str(tmp_path / "nomodel"), str(inputs / "va.parquet"), "-o", str(out)])
    assert result.exit_code == 2 and "model does not exist" in result.output
    result = CliRunner().invoke(app, ["spot", str(inputs / "va.parquet"), "-o", str(out)])
    assert result.exit_code == 2 and "needs a MODEL and at least one INPUT" in result.output


def test_model_spotter_api_maps_frames_back(model_dir):
    spotter = ModelSpotter.from_path(model_dir)
    series = planted_series("ve", n_frames=1200, fps=60.0)
    found, track = spotter.spot_one(series)
    assert track.fps == 30.0 and len(track.curves["macro_apex"]) == 600
    assert all(0 <= iv.onset <= iv.apex <= iv.offset < 1200 for iv in found)
    with pytest.raises(InputError, match="lacks AU45"):
        spotter.spot([series.select(AUS[:-1])])
    assert spotter_names() == ["model", "threshold"]
    with pytest.raises(ValueError, match="valid: model, threshold"):
        make_spotter("oracle")


def test_threshold_spotter_finds_planted_bumps():
    series = planted_series("vf", n_frames=900, events=[(200, 260, {"AU12": 2.0}), (600, 608, {"AU04": 1.2})])
    found = ThresholdSpotter().spot([series])
    truth = [Interval("vf", 200, 230, 260, "macro"), Interval("vf", 600, 604, 608, "micro")]
    assert evaluate_spotting(found, truth).overall.tp == 2
    curve = activity_curve(series, ThresholdSpotter().config)
    assert curve.shape == (900,) and curve[230] > 4 * np.median(curve)
    assert runs_above(np.array([0, 5, 5, 0, 5, 0, 0, 0, 5]), 1.0, 1) == [(1, 4), (8, 8)]


def test_spot_never_replaces_an_input_or_a_labels_file(model_dir, inputs, tmp_path):
    labels = inputs / "labels.csv"
    labels.write_text("subject,video,onset,apex,offset,type,emotion\ns1,va,100,120,150,macro,positive\n")
    before = labels.read_text()
    result = CliRunner().invoke(app, ["spot", "--method", "threshold", str(inputs), "-o", str(labels)])
    assert result.exit_code == 2 and "is not a predictions CSV" in result.output
    assert labels.read_text() == before
    series_file = inputs / "vb.csv"
    result = CliRunner().invoke(app, ["spot", "--method", "threshold", str(series_file), "-o", str(series_file)])
    assert result.exit_code == 2 and "is also an input" in result.output
    both = tmp_path / "both.png"
    result = CliRunner().invoke(app, ["spot", "--method", "threshold", str(inputs / "va.parquet"), "-o", str(both),
                                      "--plot", str(tmp_path / "." / "both.png")])
    assert result.exit_code == 2 and "same file" in result.output and not both.exists()
    gt = inputs / "megc_truth.csv"  # a labels CSV without a subject column still is not a predictions file
    gt.write_text("video,onset,apex,offset,type,emotion\nva,100,120,150,macro,positive\n")
    result = CliRunner().invoke(app, ["spot", "--method", "threshold", str(inputs / "va.parquet"), "-o", str(gt)])
    assert result.exit_code == 2 and "is not a predictions CSV" in result.output
    out = tmp_path / "pred.csv"
    for _ in range(2):  # a predictions CSV may be replaced by the next run
        result = CliRunner().invoke(app, ["spot", "--method", "threshold", str(inputs / "va.parquet"), "-o", str(out)])
        assert result.exit_code == 0, result.output


def test_score_plot_format_follows_the_suffix(inputs, tmp_path):
    for name, magic in (("scores.pdf", b"%PDF"), ("scores.svg", b"<?xml")):
        out = tmp_path / name
        result = CliRunner().invoke(app, ["spot", "--method", "threshold", str(inputs / "va.parquet"), "-o",
                                          str(tmp_path / "p.csv"), "--plot", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(magic)
    result = CliRunner().invoke(app, ["spot", "--method", "threshold", str(inputs / "va.parquet"), "-o",
                                      str(tmp_path / "q.csv"), "--plot", str(tmp_path / "scores.jpg")])
    assert result.exit_code == 2 and "plot must be a .png, .pdf, .svg file" in result.output
    assert not (tmp_path / "q.csv").exists()


def _deployment_model(model_dir, folder, micro_threshold, rates):
    """The fixture's model as a deployment model (trained on all subjects) with recorded label rates."""
    bundle = ckpt.load_checkpoint(model_dir / "model.pt")
    bundle.decode.micro.threshold = micro_threshold  # above every score: no micro-expression
    bundle.meta = {"trained_on": ["s1", "s2", "s3", "s4"], "validated_on": [], "best_epoch": 7,
                   "deployment": {"fold_epochs": [6, 7, 9, 7]}, "label_rates_per_s": rates}
    folder.mkdir()
    ckpt.save_checkpoint(folder / "model.pt", bundle)
    return folder


def test_spot_warns_about_a_silent_type_and_a_flood_and_describes_the_deployment_model(model_dir, tmp_path):
    model = _deployment_model(model_dir, tmp_path / "model", 2.0, {"micro": 0.1, "macro": 0.01})
    planted_series("va", n_frames=1800, events=[(100, 150, {"AU12": 2.0})]).save(tmp_path / "va.parquet")
    res = CliRunner().invoke(app, ["spot", str(model), str(tmp_path / "va.parquet"), "-o", str(tmp_path / "p.csv"),
                                   "--device", "cpu"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("trained on all 4 subjects, epoch 7 and thresholds chosen from the 4 cross-validation folds' inner "
            "validation") in text
    assert "no micro prediction where 6 micro-expression(s) were expected (at the training labels' rate)" in text
    assert "macro predictions where 0.6 were expected" in text


def test_plausible_volume_and_older_checkpoints_give_no_warning(model_dir, tmp_path):
    bundle = ckpt.load_checkpoint(_deployment_model(model_dir, tmp_path / "m", 2.0, {"micro": 0.0, "macro": 0.0})
                                  / "model.pt")
    series = [planted_series("va", n_frames=600, events=[])]
    assert ModelSpotter(bundle).volume_warnings([], series) == []
    bundle.meta.pop("label_rates_per_s")
    assert ModelSpotter(bundle).volume_warnings([], series) == []
    bundle.meta = {"trained_on": ["s1", "s2"], "validated_on": ["s3"]}
    assert "trained on 2 subjects (1 more held out for validation)" in ModelSpotter(bundle).describe()
    bundle.meta = {"trained_on": ["s1", "s2"], "validated_on": [], "selection": "no validation evidence: the last epoch"}
    assert "trained on 2 subjects (no validation evidence: the last epoch)" in ModelSpotter(bundle).describe()
    bundle.meta = {"trained_on": ["s1"], "validated_on": [], "best_epoch": 3, "optimistic_selection": True,
                   "deployment": {"fold_epochs": [3]}}
    assert "OPTIMISTIC: epoch 3 and thresholds were chosen on the test subjects" in ModelSpotter(bundle).describe()
    bundle.meta["optimistic_selection"] = False
    assert "chosen from the one cross-validation fold's inner validation" in ModelSpotter(bundle).describe()
