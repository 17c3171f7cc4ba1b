"""Scale mix-ups: a model records the scale of its training series, and `spot` refuses series on another one."""

import logging

import pytest
import torch
from typer.testing import CliRunner

from causalex import checkpoint as ckpt
from causalex.errors import InputError
from causalex.graph import full_graph
from causalex.model.network import build_model
from causalex.readers.openface import write_openface_csv
from causalex.series import (UNKNOWN_SCALE, AUSeries, describe_scale, files_scale, header_scale, scale_mismatch,
                             scale_problem)
from causalex.spot.decoding import DecodeConfig
from causalex.spot.spotter import ModelSpotter
from causalex.train.config import ExperimentConfig
from causalex_cli.main import app
from test_model_overfit import AUS, planted_series

TINY_MODEL = {"model": {"node_hidden": 4, "temporal_channels": 8, "dilations": [1, 2]},
              "data": {"window_s": 4.0, "context_s": 0.5}}


def _with_scale(series: AUSeries, scale: str) -> AUSeries:
    series.scale = scale
    return series


def _save_model(path, scale):
    cfg = ExperimentConfig().merged(TINY_MODEL)
    graph = full_graph(AUS)
    torch.manual_seed(0)
    net = build_model(cfg.model, graph.adjacency_for(AUS))
    meta = {} if scale is None else {"scale": scale}
    return ckpt.save_checkpoint(path, ckpt.ModelBundle(cfg, list(AUS), graph, 30.0, DecodeConfig(), net.state_dict(),
                                                       meta=meta))


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {name: _save_model(root / f"{name}.pt", scale)
            for name, scale in (("openface", "intensity_0_5"), ("old", None), ("unknown", UNKNOWN_SCALE))}


def test_common_scale_of_a_training_set():
    a, b = planted_series("a"), _with_scale(planted_series("b"), "percent_iod")
    assert AUSeries.common_scale([a, planted_series("c")]) == "intensity_0_5"
    assert AUSeries.common_scale([b, a]) == "intensity_0_5+percent_iod"  # a mix: sorted, joined by +
    assert AUSeries.common_scale([_with_scale(planted_series("d"), UNKNOWN_SCALE)]) == UNKNOWN_SCALE
    assert AUSeries.common_scale([]) == UNKNOWN_SCALE


def test_scale_mismatch_and_problem():
    assert scale_mismatch("intensity_0_5", "percent_iod")
    assert not scale_mismatch("intensity_0_5", "intensity_0_5")
    assert not scale_mismatch("intensity_0_5+percent_iod", "percent_iod")  # trained on a mix that includes it
    assert not scale_mismatch(None, "percent_iod") and not scale_mismatch(UNKNOWN_SCALE, "percent_iod")
    assert not scale_mismatch("intensity_0_5", UNKNOWN_SCALE)
    problem = scale_problem(_with_scale(planted_series(), "percent_iod"), "intensity_0_5")
    assert "percent_iod (flow-backend facial motion in percent of the inter-ocular distance" in problem
    assert "trained on intensity_0_5 (OpenFace AU intensity, 0..5)" in problem and "\n" not in problem
    assert scale_problem(planted_series(), "intensity_0_5") is None
    assert describe_scale("made_up") == "made_up"


def test_scale_from_file_headers(tmp_path):
    _with_scale(planted_series("a"), "percent_iod").save(tmp_path / "a.parquet")
    _with_scale(planted_series("u"), UNKNOWN_SCALE).save(tmp_path / "u.parquet")
    write_openface_csv(planted_series("b"), tmp_path / "b.csv")
    assert header_scale(tmp_path / "a.parquet") == "percent_iod"
    assert header_scale(tmp_path / "b.csv") == "intensity_0_5"
    assert files_scale([tmp_path / "a.parquet", tmp_path / "u.parquet"]) == "percent_iod"
    assert files_scale([tmp_path / "b.csv", tmp_path / "a.parquet"]) == "intensity_0_5+percent_iod"
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="bad.parquet: not a causalex series file"):
        header_scale(tmp_path / "bad.parquet")


def test_checkpoint_keeps_the_scale_and_an_older_one_loads_with_a_warning(models, caplog):
    assert ckpt.load_checkpoint(models["openface"]).scale == "intensity_0_5"
    with caplog.at_level(logging.WARNING, logger="causalex.checkpoint"):
        old = ckpt.load_checkpoint(models["old"])
    assert old.scale is None
    assert "does not record the scale" in caplog.text and str(models["old"]) in caplog.text


def test_spotter_refuses_another_scale_unless_allowed(models, caplog):
    flow = _with_scale(planted_series("vf"), "percent_iod")
    flow.meta["file"] = "series/vf.parquet"
    spotter = ModelSpotter.from_path(models["openface"])
    with pytest.raises(InputError, match=r"^series/vf\.parquet: AU series on scale percent_iod .*trained on "
                                         r"intensity_0_5 .*--allow-scale-mismatch"):
        spotter.spot([flow])
    lenient = ModelSpotter.from_path(models["openface"], allow_scale_mismatch=True)
    with caplog.at_level(logging.WARNING, logger="causalex.spot.spotter"):
        lenient.spot([flow])
    assert "spotted anyway" in caplog.text
    for name in ("old", "unknown"):  # no recorded scale: nothing to compare with, no refusal
        ModelSpotter.from_path(models[name]).spot([flow])
    assert "expects AU series on scale intensity_0_5" in spotter.describe()
    assert "training scale not recorded" in ModelSpotter.from_path(models["old"]).describe()


def test_spot_cli_refuses_a_series_on_another_scale_in_one_line(models, tmp_path):
    good, flow = planted_series("va"), _with_scale(planted_series("vb"), "percent_iod")
    good.save(tmp_path / "va.parquet")
    flow.save(tmp_path / "vb.parquet")
    out = tmp_path / "pred.csv"
    args = ["spot", str(models["openface"]), str(tmp_path / "va.parquet"), str(tmp_path / "vb.parquet"), "-o",
            str(out), "--device", "cpu"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and not out.exists()
    error = [line for line in result.output.splitlines() if "error" in line]
    assert len(error) == 1, result.output
    assert "vb.parquet: AU series on scale percent_iod" in error[0] and "intensity_0_5" in error[0]
    allowed = CliRunner().invoke(app, [*args, "--allow-scale-mismatch"])
    assert allowed.exit_code == 0 and out.exists(), allowed.output
    assert "spotted anyway" in allowed.output


def test_spot_cli_warns_about_a_series_of_unknown_scale(models, tmp_path):
    _with_scale(planted_series("vu"), UNKNOWN_SCALE).save(tmp_path / "vu.parquet")
    result = CliRunner().invoke(app, ["spot", str(models["openface"]), str(tmp_path / "vu.parquet"), "-o",
                                      str(tmp_path / "pred.csv"), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "does not record its scale" in result.output


def test_extract_help_says_what_the_numbers_are():
    result = CliRunner().invoke(app, ["extract", "--help"], terminal_width=200)
    text = " ".join(result.output.split())
    for words in ("percent of the inter-ocular distance", "percent_iod", "probabilities 0..1", "intensity_0_5"):
        assert words in text, words


def test_training_records_the_scale_of_its_series(tmp_path):
    from causalex.bias.backend import ModelBackend
    from causalex.labels import Interval
    from causalex.train.experiment import run_experiment

    series = [planted_series(f"v{i}", subject=f"s{i % 3}", seed=i, events=[(100, 130, {"AU12": 2.0})])
              for i in range(6)]
    labels = [Interval(video=s.video, onset=100, apex=115, offset=130, type="macro") for s in series]
    cfg = ExperimentConfig().merged({**TINY_MODEL, "optim": {"epochs": 1, "batch_size": 8, "threads": 1},
                                     "protocol": {"protocol": "kfold", "folds": 2, "min_val_subjects": 1}})
    run_experiment(series, labels, cfg, "full", tmp_path / "run", torch.device("cpu"))
    assert ckpt.load_checkpoint(tmp_path / "run" / "model.pt").scale == "intensity_0_5"
    bundle = ModelBackend(ExperimentConfig().merged({**TINY_MODEL, "optim": {"epochs": 1, "threads": 1}}),
                          device="cpu").fit(series, labels, full_graph(AUS), seed=0)
    assert bundle.scale == "intensity_0_5"
