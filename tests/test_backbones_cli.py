"""`causalex train` picks the backbone from --config, records it in model.pt, and `spot` runs it."""

import json

from typer.testing import CliRunner

from causalex.checkpoint import load_checkpoint
from causalex.labels import read_predictions_csv
from causalex.simulate import generate_corpus
from causalex.simulate.generate import write_corpus
from causalex_cli.main import app

TINY = {"model": {"node_hidden": 4, "temporal_channels": 8, "backbone": "ssm-slowfast", "ssm_layers": 1,
                  "ssm_memory": 30},
        "data": {"window_s": 4.0, "context_s": 0.5},
        "optim": {"epochs": 1, "batch_size": 8, "threads": 1}}


def _train(corpus, out, config):
    return CliRunner().invoke(app, ["train", str(corpus), "--labels", str(corpus / "labels.csv"), "-o", str(out),
                                    "--graph", "full", "--protocol", "split", "--test-subjects", "s02",
                                    "--device", "cpu", "--config", str(config)])


def test_train_with_a_backbone_from_the_config_and_spot_with_it(tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(generate_corpus("tiny", seed=1, n_subjects=2, n_videos=2, video_mean_s=20.0, video_min_s=15.0),
                 corpus)
    config = tmp_path / "ssm.json"
    config.write_text(json.dumps(TINY))
    result = _train(corpus, tmp_path / "run", config)
    assert result.exit_code == 0, result.output
    model = tmp_path / "run" / "model.pt"
    assert load_checkpoint(model).config.model.backbone == "ssm-slowfast"
    series = sorted(p for p in corpus.glob("*.csv") if p.name != "labels.csv")[0]  # an OpenFace CSV
    spotted = CliRunner().invoke(app, ["spot", str(model), str(series), "-o", str(tmp_path / "p.csv"),
                                       "--device", "cpu"])
    assert spotted.exit_code == 0, spotted.output
    assert all(p.video == series.stem for p in read_predictions_csv(tmp_path / "p.csv"))


def test_unknown_backbone_in_the_config_lists_the_valid_ones(tmp_path):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"model": {"backbone": "lstm"}}))
    result = _train(tmp_path, tmp_path / "run", config)
    assert result.exit_code == 2
    assert "unknown backbone 'lstm'; valid: ssm, ssm-slowfast, tcn, transformer" in result.output
    assert not (tmp_path / "run").exists()
