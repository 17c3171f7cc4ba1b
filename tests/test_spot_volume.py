"""`spot` with a deployment model: says how it was trained, and warns when a run predicts no interval of a
type the training labels hold (or floods) against the training label rate."""

import torch
from typer.testing import CliRunner

from causalex import checkpoint as ckpt
from causalex.graph import full_graph
from causalex.model.network import build_model
from causalex.spot.decoding import DecodeConfig
from causalex.spot.spotter import ModelSpotter
from causalex.train.config import ExperimentConfig
from causalex_cli.main import app
from test_model_overfit import AUS, planted_series


def _model(folder, micro_threshold, rates):
    cfg = ExperimentConfig().merged({"model": {"node_hidden": 4, "temporal_channels": 8, "dilations": [1, 2]},
                                     "data": {"window_s": 4.0, "context_s": 0.5}})
    graph = full_graph(AUS)
    torch.manual_seed(0)
    model = build_model(cfg.model, graph.adjacency_for(AUS))
    decode = DecodeConfig()
    decode.macro.threshold = decode.macro.candidate_floor = 0.0  # a random model: every macro candidate kept
    decode.micro.threshold = micro_threshold  # above every score: no micro-expression
    meta = {"trained_on": ["s1", "s2", "s3", "s4"], "validated_on": [], "best_epoch": 7,
            "deployment": {"fold_epochs": [6, 7, 9, 7]}, "label_rates_per_s": rates}
    folder.mkdir()
    ckpt.save_checkpoint(folder / "model.pt", ckpt.ModelBundle(cfg, list(AUS), graph, 30.0, decode,
                                                               model.state_dict(), meta=meta))
    return folder


def test_spot_warns_about_a_silent_type_and_a_flood_and_describes_the_deployment_model(tmp_path):
    model = _model(tmp_path / "model", micro_threshold=2.0, rates={"micro": 0.1, "macro": 0.01})
    planted_series("va", n_frames=1800, events=[(100, 150, {"AU12": 2.0})]).save(tmp_path / "va.parquet")
    res = CliRunner().invoke(app, ["spot", str(model), str(tmp_path / "va.parquet"), "-o", str(tmp_path / "p.csv"),
                                   "--device", "cpu"])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert ("trained on all 4 subjects, epoch 7 and thresholds chosen from the 4 cross-validation folds' inner "
            "validation") in text
    assert "no micro prediction where 6 micro-expression(s) were expected (at the training labels' rate)" in text
    assert "macro predictions where 0.6 were expected" in text


def test_plausible_volume_and_older_checkpoints_give_no_warning(tmp_path):
    bundle = ckpt.load_checkpoint(_model(tmp_path / "m", 2.0, {"micro": 0.0, "macro": 0.0}) / "model.pt")
    series = [planted_series("va", n_frames=600, events=[])]
    assert ModelSpotter(bundle).volume_warnings([], series) == []
    bundle.meta.pop("label_rates_per_s")
    assert ModelSpotter(bundle).volume_warnings([], series) == []
    bundle.meta = {"trained_on": ["s1", "s2"], "validated_on": ["s3"]}
    assert "trained on 2 subjects (1 more held out for validation)" in ModelSpotter(bundle).describe()
