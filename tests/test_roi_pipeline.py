"""Region features through the whole CLI: extract -> discover -> train -> spot, and the feature-kind refusals."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from causalex import checkpoint as ckpt
from causalex.graph import AUGraph, full_graph
from causalex.labels import Interval, read_predictions_csv, write_labels_csv
from causalex.model.network import build_model
from causalex.series import ROI_SCALE, AUSeries
from causalex.spot.decoding import DecodeConfig
from causalex.train.config import ExperimentConfig
from causalex_cli.main import app

CLIP = Path(__file__).parent / "data" / "extract" / "wolfgang_48f_320x180.mp4"
TINY = {"model": {"node_hidden": 4, "temporal_channels": 8, "dilations": [1, 2]},
        "data": {"window_s": 4.0, "context_s": 0.5},
        "optim": {"epochs": 2, "batch_size": 8, "threads": 1},
        "protocol": {"min_val_subjects": 1}}


def _invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error")]


def _corpus(series: AUSeries, out: Path, n_subjects: int = 2, n_videos: int = 2) -> Path:
    """10-s videos made of the extracted clip played forth and back, with a planted movement of the first four
    nodes at labelled frames; written with a labels CSV."""
    out.mkdir()
    rng = np.random.default_rng(0)
    clip = np.concatenate([series.values, series.values[::-1]])
    labels = []
    for s in range(n_subjects):
        for v in range(n_videos):
            video, values = f"s{s}_v{v}", np.tile(clip, (3, 1))[:240].copy()
            values += rng.normal(0, 0.2, values.shape).astype(np.float32)
            for onset in (60 + 10 * v, 170):
                values[onset:onset + 10, :4] += 8 * np.hanning(10)[:, None].astype(np.float32)
                labels.append(Interval(video, onset, onset + 5, onset + 9, "micro", subject=f"s{s}"))
            replace(series, values=values, mask=np.ones(len(values), bool), video=video,
                    subject=f"s{s}").save(out / f"{video}.parquet")
    write_labels_csv(out / "labels.csv", labels)
    return out


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    root = tmp_path_factory.mktemp("roi")
    for features, folder in (("roi", "roi"), ("au", "au")):
        result = _invoke("extract", CLIP, "--features", features, "-o", root / folder)
        assert result.exit_code == 0, result.output
    return root


def test_extract_discover_train_spot_on_region_series(extracted, tmp_path):
    series = AUSeries.load(extracted / "roi" / f"{CLIP.stem}.parquet")
    assert series.node_kind == "roi:auwgcn12" and series.scale == ROI_SCALE and series.n_aus == 12
    corpus = _corpus(series, tmp_path / "corpus")
    labels = corpus / "labels.csv"

    result = _invoke("discover", corpus, "--labels", labels, "-o", tmp_path / "graph.json")
    assert result.exit_code == 0, result.output
    graph = AUGraph.load(tmp_path / "graph.json")
    assert graph.nodes == series.au_names  # the regions are the graph's nodes

    (tmp_path / "tiny.json").write_text(json.dumps(TINY))
    run = tmp_path / "run"
    result = _invoke("train", corpus, "--labels", labels, "-o", run, "--graph", tmp_path / "graph.json",
                     "--protocol", "kfold", "--folds", "2", "--device", "cpu", "--config", tmp_path / "tiny.json")
    assert result.exit_code == 0, result.output
    bundle = ckpt.load_checkpoint(run / "model.pt")
    assert bundle.au_names == series.au_names and bundle.scale == ROI_SCALE

    result = _invoke("spot", run, corpus / "s0_v0.parquet", "-o", tmp_path / "pred.csv", "--device", "cpu")
    assert result.exit_code == 0, result.output
    assert all(p.video == "s0_v0" for p in read_predictions_csv(tmp_path / "pred.csv"))

    refused = _invoke("train", corpus, "--labels", labels, "-o", tmp_path / "facs", "--graph", "facs", "--protocol",
                      "kfold", "--folds", "2", "--device", "cpu", "--config", tmp_path / "tiny.json")
    assert refused.exit_code == 2 and not (tmp_path / "facs").exists()
    assert _error_lines(refused.output) == [
        "error: the FACS prior links action units, but these nodes are facial regions (brow_l_18, brow_l_19, "
        "brow_l_20, brow_r_23 ...): use the graph causal, cooccurrence, full or none, and background none"]

    # a model trained on region features refuses AU series, even with --allow-scale-mismatch
    au = extracted / "au" / f"{CLIP.stem}.parquet"
    for extra in ((), ("--allow-scale-mismatch",)):
        result = _invoke("spot", run, au, "-o", tmp_path / "au_pred.csv", "--device", "cpu", *extra)
        assert result.exit_code == 2 and not (tmp_path / "au_pred.csv").exists()
        assert _error_lines(result.output) == [
            f"error: {au}: AU features given to a model trained on region features (roi:auwgcn12): extract the "
            "videos with --features roi, or use a model trained on AU features"]


def test_a_model_trained_on_au_features_refuses_region_series(extracted, tmp_path):
    au = AUSeries.load(extracted / "au" / f"{CLIP.stem}.parquet")
    cfg = ExperimentConfig().merged(TINY)
    graph = full_graph(au.au_names)
    net = build_model(cfg.model, graph.adjacency_for(au.au_names))
    model = ckpt.save_checkpoint(tmp_path / "model" / "au_model.pt", ckpt.ModelBundle(
        cfg, list(au.au_names), graph, 30.0, DecodeConfig(), net.state_dict(), meta={"scale": au.scale}))
    roi = extracted / "roi" / f"{CLIP.stem}.parquet"
    result = _invoke("spot", model, roi, "-o", tmp_path / "pred.csv", "--device", "cpu")
    assert result.exit_code == 2 and not (tmp_path / "pred.csv").exists()
    assert _error_lines(result.output) == [
        f"error: {roi}: region features (roi:auwgcn12) given to a model trained on AU features: extract the "
        "videos with --features au, or use a model trained on region features (roi:auwgcn12)"]


def test_bias_refuses_an_au_corpus_against_a_region_corpus(extracted, tmp_path):
    roi = _corpus(AUSeries.load(extracted / "roi" / f"{CLIP.stem}.parquet"), tmp_path / "roi_corpus")
    au = _corpus(AUSeries.load(extracted / "au" / f"{CLIP.stem}.parquet"), tmp_path / "au_corpus")
    result = _invoke("bias", "--train", roi, "--train-labels", roi / "labels.csv", "--test", au, "--test-labels",
                     au / "labels.csv", "--graphs", "none", "-o", tmp_path / "report")
    assert result.exit_code == 2 and not (tmp_path / "report").exists()
    assert _error_lines(result.output) == [
        "error: au_corpus: holds AU features but roi_corpus holds region features (roi:auwgcn12): a model trained "
        "on one reads nothing in the other; extract both corpora with the same --features (and --roi-layout)"]
    facs = _invoke("bias", "--train", roi, "--train-labels", roi / "labels.csv", "--test", roi, "--test-labels",
                   roi / "labels.csv", "--graphs", "facs,none", "-o", tmp_path / "report")
    assert facs.exit_code == 2 and "the FACS prior links action units" in _error_lines(facs.output)[0]


def test_extract_refuses_region_options_that_do_not_fit(tmp_path):
    for args, message in ((("--features", "roi", "--backend", "pyfeat"),
                           "error: --features roi measures optical flow with the flow backend; --backend pyfeat gives "
                           "AU values only"),
                          (("--roi-value", "xy"), "error: --roi-layout and --roi-value need --features roi")):
        result = _invoke("extract", CLIP, "-o", tmp_path / "out", *args)
        assert result.exit_code == 2 and _error_lines(result.output) == [message]
        assert not (tmp_path / "out").exists()
