"""Named recipes: what each sets, precedence (recipe < --config < explicit), unknown names, feature warnings,
and a tiny training run of every recipe through `causalex train --recipe`."""

import json

import pytest
from typer.testing import CliRunner

from causalex.checkpoint import load_checkpoint
from causalex.extract.roi_layouts import LAYOUTS
from causalex.simulate import generate_corpus
from causalex.simulate.generate import write_corpus
from causalex.train.config import ExperimentConfig
from causalex.train.recipes import feature_mismatch, make_recipe, recipe_config, recipe_names
from causalex_cli.main import app

TINY = {"model": {"node_hidden": 4, "temporal_channels": 8, "dilations": [1, 2], "ssm_layers": 1, "attn_layers": 1,
                  "attn_window": 8},
        "data": {"window_s": 4.0, "context_s": 0.5},
        "optim": {"epochs": 1, "batch_size": 8, "threads": 1},
        "protocol": {"min_val_subjects": 1}}
EXPECTED = {  # recipe -> (graph, backbone, decoder, sampling, dynamic, features)
    "causalex": ("causal", "tcn", "search", "windows", False, "au"),
    "auwgcn": ("cooccurrence", "tcn", "search", "windows", False, "roi:auwgcn12"),
    "causal-ex": ("none", "tcn", "search", "windows", True, "roi:auwgcn12"),
    "me-tst": ("none", "ssm", "me-tst", "videos", False, "roi:metst5"),
    "me-tst-sf": ("none", "ssm-slowfast", "me-tst", "videos", False, "roi:metst5"),
    "boostingvrme": ("none", "ssm-slowfast", "boostingvrme", "videos", False, "roi:boosting18"),
    "pesformer-like": ("none", "transformer", "search", "videos", False, "roi:auwgcn12"),
}


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus")
    write_corpus(generate_corpus("tiny", seed=1, n_subjects=3, n_videos=5, video_mean_s=15.0, video_min_s=12.0), out)
    (out / "tiny.json").write_text(json.dumps(TINY))
    return out


def _train(corpus_dir, out, *extra):
    return CliRunner().invoke(app, ["train", str(corpus_dir), "--labels", str(corpus_dir / "labels.csv"), "-o",
                                    str(out), "--protocol", "split", "--test-subjects", "s03", "--device", "cpu",
                                    *extra])


def test_each_recipe_sets_what_it_says():
    assert set(recipe_names()) == set(EXPECTED)
    for name, (graph, backbone, decoder, sampling, dynamic, features) in EXPECTED.items():
        recipe, config = make_recipe(name), recipe_config(name)
        assert (recipe.graph, recipe.features, config.recipe) == (graph, features, name)
        assert (config.model.backbone, config.decode.decoder, config.data.sampling, config.model.dynamic) == \
               (backbone, decoder, sampling, dynamic)
        assert config.optim.loss == "focal"
        for section, values in recipe.overrides.items():  # every field the recipe names is set in its config
            for key, value in values.items():
                assert getattr(getattr(config, section), key) == value, (name, section, key)
    assert recipe_config("me-tst").decode.synergy == "emotion-argmax"
    assert recipe_config("causal-ex").model.dynamic_background == "none"  # FACS refuses region nodes
    assert recipe_config("").to_dict() == ExperimentConfig().to_dict()


def test_overrides_win_over_the_recipe():
    config = recipe_config("me-tst", {"model": {"backbone": "tcn"}, "recipe": "auwgcn"})
    assert config.model.backbone == "tcn" and config.decode.decoder == "me-tst" and config.recipe == "me-tst"
    assert ExperimentConfig.from_dict(config.to_dict()).recipe == "me-tst"  # round trip (config.json, checkpoint)
    older = {k: v for k, v in config.to_dict().items() if k != "recipe"}  # a config written before recipes
    assert ExperimentConfig.from_dict(older).recipe == ""
    with pytest.raises(ValueError, match="recipe must be a recipe name"):
        ExperimentConfig.from_dict({"recipe": 3})


def test_unknown_recipe_lists_the_valid_ones(corpus_dir, tmp_path):
    with pytest.raises(ValueError, match="valid: causalex, auwgcn"):
        make_recipe("mamba")
    result = _train(corpus_dir, tmp_path / "run", "--recipe", "mamba")
    assert result.exit_code == 2 and "unknown recipe 'mamba'" in result.output and "me-tst-sf" in result.output
    assert not (tmp_path / "run").exists()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"recipe": "nope"}))
    result = _train(corpus_dir, tmp_path / "run", "--config", str(bad))
    assert result.exit_code == 2 and "bad.json" in result.output and "unknown recipe 'nope'" in result.output


def test_feature_mismatch_says_which_features():
    aus = ["AU01", "AU12"]
    regions = [r.name for r in LAYOUTS["metst5"]]
    assert feature_mismatch(make_recipe("causalex"), aus) is None
    assert feature_mismatch(make_recipe("me-tst"), regions, "roi:metst5") is None
    line = feature_mismatch(make_recipe("me-tst"), aus)
    assert "expects region features (roi:metst5)" in line and "AU features" in line and "--roi-layout metst5" in line
    assert "expects AU features" in feature_mismatch(make_recipe("causalex"), regions, "roi:metst5")
    assert "roi:auwgcn12" in feature_mismatch(make_recipe("auwgcn"), regions, "roi:metst5")


@pytest.mark.parametrize("order", [("--recipe", "me-tst-sf", "--print-config"),
                                   ("--print-config", "--recipe", "me-tst-sf")])
def test_print_config_shows_the_recipe_either_order(order):
    result = CliRunner().invoke(app, ["train", *order])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout[result.stdout.index("{"):result.stdout.rindex("}") + 1])
    assert doc["recipe"] == "me-tst-sf" and doc["model"]["backbone"] == "ssm-slowfast"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_recipe_trains_through_the_cli(corpus_dir, tmp_path, name):
    out = tmp_path / name
    result = _train(corpus_dir, out, "--recipe", name, "--config", str(corpus_dir / "tiny.json"), "--no-final")
    assert result.exit_code == 0, result.output
    run = json.loads((out / "config.json").read_text())
    graph, backbone, decoder, sampling, dynamic, features = EXPECTED[name]
    assert run["graph_spec"] == graph and run["config"]["recipe"] == name
    assert run["config"]["model"]["backbone"] == backbone and run["config"]["decode"]["decoder"] == decoder
    assert run["config"]["data"]["sampling"] == sampling and run["config"]["model"]["dynamic"] is dynamic
    assert run["config"]["model"]["node_hidden"] == 4  # --config on top of the recipe
    assert ("runs off its source's features" in " ".join(result.output.split())) == (features != "au")
    metrics = json.loads((out / "metrics.json").read_text())
    assert 0.0 <= metrics["overall"]["f1"] <= 1.0


def test_explicit_options_win_and_checkpoint_records_the_recipe(corpus_dir, tmp_path):
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({**TINY, "recipe": "me-tst", "optim": {**TINY["optim"], "epochs": 3},
                               "model": {**TINY["model"], "backbone": "transformer"}}))
    out = tmp_path / "run"
    result = _train(corpus_dir, out, "--config", str(cfg), "--epochs", "1", "--graph", "full")
    assert result.exit_code == 0, result.output
    bundle = load_checkpoint(out / "model.pt")
    assert bundle.recipe == "me-tst"  # the config file's recipe applies when --recipe is not given
    assert bundle.config.optim.epochs == 1  # --epochs over the config file
    assert bundle.config.model.backbone == "transformer"  # the config file over the recipe
    assert bundle.config.decode.decoder == "me-tst"  # the recipe where nothing overrides it
    assert json.loads((out / "config.json").read_text())["graph_spec"] == "full"  # --graph over the recipe's
