"""`causalex train --engine ray`: the folds as parallel Ray tasks write the files a serial run writes."""

import json

import pytest
from typer.testing import CliRunner

from causalex.simulate import generate_corpus
from causalex.simulate.generate import write_corpus
from causalex_cli.main import app

TINY = {"model": {"node_hidden": 4, "temporal_channels": 8, "dilations": [1, 2]},
        "data": {"window_s": 4.0, "context_s": 0.5},
        "optim": {"epochs": 2, "batch_size": 8, "threads": 1},
        "protocol": {"min_val_subjects": 1}}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    write_corpus(generate_corpus("tiny", seed=1, n_subjects=3, n_videos=5, video_mean_s=15.0, video_min_s=12.0), out)
    (out / "tiny.json").write_text(json.dumps(TINY))
    return out


def _train(corpus_dir, out, *extra):
    return CliRunner().invoke(app, ["train", str(corpus_dir), "--labels", str(corpus_dir / "labels.csv"), "-o",
                                    str(out), "--graph", "cooccurrence", "--protocol", "kfold", "--folds", "3",
                                    "--device", "cpu", "--config", str(corpus_dir / "tiny.json"), *extra])


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
    for name in ("predictions.csv", "graph.json"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes(), name
    metrics = [json.loads((tmp_path / d / "metrics.json").read_text()) for d in ("serial", "ray")]
    assert [f["fold"] for f in metrics[1]["folds"]] == ["fold1", "fold2", "fold3"]  # fold order, not finish order
    for a, b in zip(metrics[0]["folds"], metrics[1]["folds"]):
        assert a == b
    assert metrics[0]["final_model"] == metrics[1]["final_model"]
    assert not (tmp_path / "ray" / ".resume").exists()
