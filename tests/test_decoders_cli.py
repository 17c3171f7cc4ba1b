"""Decoder, loss and whole-video settings from `causalex train --config`, recorded in the checkpoint;
`causalex spot --decoder` overrides the decoder and refuses unknown names."""

import json

import pytest
from typer.testing import CliRunner

from causalex.checkpoint import load_checkpoint, save_checkpoint
from causalex.labels import read_predictions_csv
from causalex.simulate import generate_corpus
from causalex.simulate.generate import write_corpus
from causalex_cli.main import app

SETTINGS = {"model": {"node_hidden": 4, "temporal_channels": 8, "dilations": [1, 2]},
            "data": {"window_s": 4.0, "context_s": 0.5, "sampling": "videos", "video_cap_s": 10.0},
            "optim": {"epochs": 2, "threads": 1, "loss": "boundary", "boundary_weight": 1.5},
            "decode": {"decoder": "me-tst", "synergy": "emotion-argmax", "relative_p": 0.5},
            "protocol": {"min_val_subjects": 1}}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("decoders")
    corpus = generate_corpus("tiny", seed=2, n_subjects=3, n_videos=4, video_mean_s=15.0, video_min_s=12.0)
    write_corpus(corpus, root / "corpus")
    (root / "cfg.json").write_text(json.dumps(SETTINGS))
    result = CliRunner().invoke(app, ["train", str(root / "corpus"), "--labels", str(root / "corpus" / "labels.csv"),
                                      "-o", str(root / "run"), "--graph", "none", "--protocol", "kfold", "--folds",
                                      "3", "--device", "cpu", "--config", str(root / "cfg.json")])
    assert result.exit_code == 0, result.output
    return root


def test_train_config_sets_decoder_loss_and_sampling_and_the_checkpoint_records_them(trained):
    bundle = load_checkpoint(trained / "run" / "model.pt")
    assert (bundle.decode.decoder, bundle.decode.synergy, bundle.decode.relative_p) == ("me-tst", "emotion-argmax", 0.5)
    assert bundle.decode.micro.mean_duration_s > 0 and bundle.decode.macro.median_duration_s > 0  # k_p recorded
    assert (bundle.config.data.sampling, bundle.config.optim.loss) == ("videos", "boundary")
    assert bundle.config.optim.boundary_weight == 1.5
    save_checkpoint(trained / "copy.pt", bundle)  # round trip of the decoder settings
    assert load_checkpoint(trained / "copy.pt").decode == bundle.decode


def test_spot_decoder_override_and_unknown_name(trained, tmp_path):
    series = sorted((trained / "corpus").glob("s0*_v01.csv"))[:2]
    assert series
    bad = CliRunner().invoke(app, ["spot", str(trained / "run"), *map(str, series), "-o", str(tmp_path / "p.csv"),
                                   "--decoder", "peaks", "--device", "cpu"])
    assert bad.exit_code == 2 and "unknown decoder 'peaks'; valid: boostingvrme, me-tst, search" in bad.output
    assert not (tmp_path / "p.csv").exists()
    ok = CliRunner().invoke(app, ["spot", str(trained / "run"), *map(str, series), "-o", str(tmp_path / "p.csv"),
                                  "--decoder", "boostingvrme", "--device", "cpu"])
    assert ok.exit_code == 0, ok.output
    assert "decoding with boostingvrme" in ok.output
    read_predictions_csv(tmp_path / "p.csv")  # a valid predictions file (possibly empty for a 2-epoch model)


def test_spot_peak_decoder_on_a_checkpoint_without_durations_says_where_k_p_comes_from(trained, tmp_path):
    bundle = load_checkpoint(trained / "run" / "model.pt")
    for kind in (bundle.decode.micro, bundle.decode.macro):
        kind.mean_duration_s = kind.median_duration_s = 0.0  # as in checkpoints written before they were recorded
    (tmp_path / "old").mkdir()
    save_checkpoint(tmp_path / "old" / "model.pt", bundle)
    series = sorted((trained / "corpus").glob("s0*_v01.csv"))[:1]
    result = CliRunner().invoke(app, ["spot", str(tmp_path / "old"), str(series[0]), "-o", str(tmp_path / "p.csv"),
                                      "--decoder", "me-tst", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert "records no training durations of micro and macro" in " ".join(result.output.split())
