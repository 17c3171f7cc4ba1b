"""`causalex compare`: two recipes, two folds and a cross corpus on tiny simulated corpora; bad input."""

import csv
import json

import pytest
from typer.testing import CliRunner

from causalex.compare import COLUMNS, table_csv, table_markdown
from causalex.simulate import generate_corpus
from causalex.simulate.generate import write_corpus
from causalex_cli.main import app

MODEL = {"node_hidden": 4, "temporal_channels": 8, "dilations": [1, 2], "ssm_layers": 1}
TINY = {"model": MODEL, "data": {"window_s": 4.0, "context_s": 0.5}, "protocol": {"min_val_subjects": 1},
        "optim": {"epochs": 2, "batch_size": 8, "threads": 1}}  # a few seconds per recipe


@pytest.fixture(scope="module")
def corpora(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpora")
    for name, seed in (("A", 1), ("B", 2)):
        write_corpus(generate_corpus("tiny", seed=seed, n_subjects=4, n_videos=5, video_mean_s=15.0,
                                     video_min_s=12.0), root / name)
    (root / "tiny.json").write_text(json.dumps(TINY))
    return root


def _compare(root, out, *extra):
    return CliRunner().invoke(app, ["compare", str(root / "A"), "--labels", str(root / "A" / "labels.csv"),
                                    "-o", str(out), "--config", str(root / "tiny.json"), *extra])


def test_compare_writes_one_table_with_every_column(corpora, tmp_path):
    out = tmp_path / "cmp"
    result = _compare(corpora, out, "--recipes", "causalex,me-tst", "--folds", "2", "--test-corpus",
                      str(corpora / "B"), "--test-labels", str(corpora / "B" / "labels.csv"))
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "comparison.json").read_text())
    assert doc["columns"] == list(COLUMNS) and [r["recipe"] for r in doc["rows"]] == ["causalex", "me-tst"]
    assert doc["protocol"] == "kfold" and doc["test_corpus"] == "B" and "reimplementation" in doc["note"]
    for row in doc["rows"]:
        assert set(row) == set(COLUMNS)
        for col in ("f1_micro", "f1_macro", "f1_overall", "cross_f1_micro", "cross_f1_macro", "cross_f1_overall"):
            assert 0.0 <= row[col] <= 1.0, (row["recipe"], col)
        assert row["folds"] == 2 and row["train_s_per_fold"] > 0 and row["spot_frames_per_s"] > 0
        assert row["parameters"] > 0
        metrics = json.loads((out / "runs" / row["recipe"] / "metrics.json").read_text())
        assert row["f1_overall"] == metrics["overall"]["f1"] and metrics["n_folds"] == 2
        run = json.loads((out / "runs" / row["recipe"] / "config.json").read_text())
        assert run["config"]["recipe"] == row["recipe"] and run["config"]["model"]["node_hidden"] == 4
    assert doc["rows"][1]["backbone"] == "ssm" and "recipe expects roi:metst5" in doc["rows"][1]["features"]
    assert doc["rows"][0]["features"] == "AU"
    with open(out / "comparison.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(COLUMNS) and [r["recipe"] for r in rows] == ["causalex", "me-tst"]
    assert float(rows[0]["cross_f1_overall"]) == pytest.approx(doc["rows"][0]["cross_f1_overall"], abs=1e-6)
    md = (out / "comparison.md").read_text()
    assert "| recipe | features |" in md and md.count("\n| causalex |") == 1 and "our reimplementations" in md
    assert (out / "comparison.csv").read_text() == table_csv(doc) and md == table_markdown(doc)


def test_compare_refuses_bad_input_before_training(corpora, tmp_path):
    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, ["compare", str(corpora / "A"), "--labels", str(corpora / "B" / "labels.csv"),
                                      "-o", str(out), "--recipes", "causalex"])  # labels of another corpus
    assert result.exit_code == 2 and "labels.csv" in result.output and not out.exists()
    result = _compare(corpora, out, "--recipes", "causalex,mamba")
    assert result.exit_code == 2 and "unknown recipe 'mamba'" in result.output and "pesformer-like" in result.output
    assert not (out / "runs").exists()
    result = _compare(corpora, out, "--recipes", "causalex", "--test-corpus", str(corpora / "B"))
    assert result.exit_code == 2 and "go together" in result.output
    result = _compare(corpora, out, "--recipes", "causalex", "--engine", "spark")
    assert result.exit_code == 2 and "valid: serial, ray" in result.output
    (out / "old.txt").parent.mkdir(parents=True, exist_ok=True)
    (out / "old.txt").write_text("x")
    result = _compare(corpora, out, "--recipes", "causalex")
    assert result.exit_code == 2 and "not empty" in result.output


def test_ray_engine_without_ray_says_how_to_install(corpora, tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    result = _compare(corpora, tmp_path / "cmp", "--recipes", "causalex", "--engine", "ray")
    assert result.exit_code == 2 and "pip install 'ray>=2.9'" in result.output
    assert not (tmp_path / "cmp").exists()


@pytest.mark.slow
def test_ray_engine_writes_the_files_a_serial_run_writes(corpora, tmp_path):
    pytest.importorskip("ray")
    serial = _compare(corpora, tmp_path / "serial", "--recipes", "causalex", "--folds", "2")
    parallel = _compare(corpora, tmp_path / "ray", "--recipes", "causalex", "--folds", "2", "--engine", "ray")
    assert serial.exit_code == 0 and parallel.exit_code == 0, parallel.output

    def files(root):
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    assert files(tmp_path / "serial") == files(tmp_path / "ray")
    for rel in ("runs/causalex/predictions.csv", "runs/causalex/folds.csv"):
        if (tmp_path / "serial" / rel).exists():
            assert (tmp_path / "serial" / rel).read_bytes() == (tmp_path / "ray" / rel).read_bytes(), rel
    rows = [list(csv.DictReader((tmp_path / d / "comparison.csv").open())) for d in ("serial", "ray")]
    keep = ("recipe", "f1_micro", "f1_macro", "f1_overall", "strs", "parameters")
    assert [{k: r[k] for k in keep} for r in rows[0]] == [{k: r[k] for k in keep} for r in rows[1]]


def test_each_recipe_trains_on_its_own_features_when_given(corpora, tmp_path):
    from causalex.simulate.regions import render_corpus_regions

    for name, seed in (("A", 1), ("B", 2)):  # the same videos as metst5 region flow
        sim = generate_corpus("tiny", seed=seed, n_subjects=4, n_videos=5, video_mean_s=15.0, video_min_s=12.0)
        write_corpus(render_corpus_regions(sim, "metst5", seed=seed), tmp_path / f"{name}5")
    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, [
        "compare", str(corpora / "A"), str(tmp_path / "A5"), "--labels", str(corpora / "A" / "labels.csv"),
        "-o", str(out), "--config", str(corpora / "tiny.json"), "--recipes", "causalex,me-tst", "--folds", "2",
        "--epochs", "1", "--test-corpus", str(corpora / "B"), "--test-corpus", str(tmp_path / "B5"),
        "--test-labels", str(corpora / "B" / "labels.csv")])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "comparison.json").read_text())
    assert [r["features"] for r in doc["rows"]] == ["AU", "region (roi:metst5)"]
    assert doc["feature_corpora"] == {"au": "A", "roi:metst5": "A5"} and doc["corpus"] == "A + A5"
    assert doc["test_feature_corpora"] == {"au": "B", "roi:metst5": "B5"} and doc["test_corpus"] == "B + B5"
    assert "each recipe on its own features" in (out / "comparison.md").read_text()
    model = json.loads((out / "runs" / "me-tst" / "config.json").read_text())
    assert "brow_l" in json.dumps(model)  # trained on the region nodes
    # a cross corpus without the region features a recipe trains on is refused before any training
    bad = CliRunner().invoke(app, [
        "compare", str(corpora / "A"), str(tmp_path / "A5"), "--labels", str(corpora / "A" / "labels.csv"),
        "-o", str(tmp_path / "bad"), "--recipes", "me-tst", "--test-corpus", str(corpora / "B"),
        "--test-labels", str(corpora / "B" / "labels.csv")])
    assert bad.exit_code == 2 and "roi:metst5" in bad.output and not (tmp_path / "bad").exists()


def test_feature_kinds_given_as_a_mapping_are_checked():
    from causalex.compare import Corpus, by_kind
    from causalex.errors import InputError
    from causalex.simulate.regions import render_corpus_regions

    sim = generate_corpus("tiny", seed=3)
    au = Corpus(list(sim.series), list(sim.labels), "A")
    regions = render_corpus_regions(sim, "metst5", seed=3)
    roi = Corpus(list(regions.series), list(regions.labels), "A5")
    assert list(by_kind({"au": au, "roi:metst5": roi})) == ["au", "roi:metst5"]
    with pytest.raises(InputError, match="no corpus"):
        by_kind({})
    with pytest.raises(InputError, match="given as roi:auwgcn12"):
        by_kind({"au": au, "roi:auwgcn12": roi})
    fewer = Corpus(list(regions.series[:-1]), list(regions.labels), "A5-")
    with pytest.raises(InputError, match="cover different videos"):
        by_kind({"au": au, "roi:metst5": fewer})
