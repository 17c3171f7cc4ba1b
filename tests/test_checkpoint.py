"""Checkpoint round trip, atomic writing, and refusal of mismatched or foreign files."""

import numpy as np
import pytest
import torch

from causalex import checkpoint as ckpt
from causalex.errors import InputError
from causalex.graph import empty_graph, full_graph
from causalex.model.network import build_model
from causalex.spot.decoding import DecodeConfig
from causalex.train.config import ExperimentConfig

AUS = ["AU01", "AU02", "AU04", "AU06", "AU12"]


def _bundle(graph=None, config=None):
    config = config or ExperimentConfig().merged({"model": {"node_hidden": 4, "temporal_channels": 8,
                                                            "dilations": [1, 2]}})
    graph = graph or full_graph(AUS)
    torch.manual_seed(0)
    model = build_model(config.model, graph.adjacency_for(AUS))
    decode = DecodeConfig()
    decode.micro.threshold = 0.42
    return ckpt.ModelBundle(config=config, au_names=list(AUS), graph=graph, working_fps=config.data.working_fps,
                            decode=decode, state_dict=model.state_dict(), meta={"best_epoch": 3})


def test_round_trip_gives_the_same_model(tmp_path):
    bundle = _bundle()
    path = ckpt.save_checkpoint(tmp_path / "m" / "model.pt", bundle)
    loaded = ckpt.load_checkpoint(path)
    assert loaded.au_names == AUS and loaded.working_fps == 30.0
    assert loaded.decode.micro.threshold == 0.42 and loaded.meta["best_epoch"] == 3
    assert np.array_equal(loaded.graph.adjacency, bundle.graph.adjacency)
    assert loaded.versions["torch"] == torch.__version__
    x = torch.randn(2, 40, len(AUS), 4)
    a = build_model(bundle.config.model, bundle.graph.adjacency_for(AUS))
    a.load_state_dict(bundle.state_dict)
    a.eval()
    torch.testing.assert_close(loaded.build_model()(x)["spot"], a(x)["spot"])
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]  # no temp file left behind


def test_refuses_graph_not_matching_weights(tmp_path):
    bundle = _bundle(graph=full_graph(AUS))
    bundle.graph = empty_graph(AUS)  # weights were trained with the full graph
    ckpt.save_checkpoint(tmp_path / "m.pt", bundle)
    with pytest.raises(InputError, match="not the one its weights were trained with"):
        ckpt.load_checkpoint(tmp_path / "m.pt")


def test_refuses_au_list_that_differs_from_graph(tmp_path):
    bundle = _bundle()
    path = ckpt.save_checkpoint(tmp_path / "m.pt", bundle)
    payload = torch.load(path, weights_only=True)
    payload["au_names"] = AUS[::-1]
    torch.save(payload, path)
    with pytest.raises(InputError, match="differ from the model's AU list"):
        ckpt.load_checkpoint(path)


def test_refuses_weights_that_do_not_fit_config(tmp_path):
    bundle = _bundle()
    path = ckpt.save_checkpoint(tmp_path / "m.pt", bundle)
    payload = torch.load(path, weights_only=True)
    payload["config"]["model"]["temporal_channels"] = 12
    torch.save(payload, path)
    with pytest.raises(InputError, match="weights do not fit the model in its config"):
        ckpt.load_checkpoint(path)


def test_refuses_newer_format_and_other_major_version(tmp_path):
    path = ckpt.save_checkpoint(tmp_path / "m.pt", _bundle())
    payload = torch.load(path, weights_only=True)
    payload["version"] = ckpt.CHECKPOINT_VERSION + 1
    torch.save(payload, tmp_path / "newer.pt")
    with pytest.raises(InputError, match="newer than this causalex"):
        ckpt.load_checkpoint(tmp_path / "newer.pt")
    payload["version"] = ckpt.CHECKPOINT_VERSION
    payload["versions"]["torch"] = "1.13.1"
    torch.save(payload, tmp_path / "old.pt")
    with pytest.raises(InputError, match="different major version"):
        ckpt.load_checkpoint(tmp_path / "old.pt")


def test_refuses_foreign_truncated_and_missing_files(tmp_path):
    torch.save({"hello": 1}, tmp_path / "foreign.pt")
    with pytest.raises(InputError, match="not a causalex checkpoint"):
        ckpt.load_checkpoint(tmp_path / "foreign.pt")
    data = ckpt.save_checkpoint(tmp_path / "m.pt", _bundle()).read_bytes()
    (tmp_path / "cut.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="not a readable causalex checkpoint"):
        ckpt.load_checkpoint(tmp_path / "cut.pt")
    with pytest.raises(InputError, match="does not exist"):
        ckpt.load_checkpoint(tmp_path / "nope.pt")


def test_failed_save_leaves_previous_file(tmp_path, monkeypatch):
    path = ckpt.save_checkpoint(tmp_path / "m.pt", _bundle())
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ckpt.torch, "save", boom)
    with pytest.raises(RuntimeError):
        ckpt.save_checkpoint(path, _bundle())
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]


def test_training_state_round_trip(tmp_path):
    state = {"epoch": 2, "history": [{"loss": 1.0}], "model": {"w": torch.ones(2)}}
    ckpt.save_training_state(tmp_path / "s.pt", state)
    back = ckpt.load_training_state(tmp_path / "s.pt")
    assert back["epoch"] == 2 and torch.equal(back["model"]["w"], torch.ones(2))
    with pytest.raises(InputError, match="not a causalex checkpoint"):
        ckpt.load_training_state(ckpt.save_checkpoint(tmp_path / "m.pt", _bundle()))


def test_checkpoint_older_than_a_config_field_keeps_its_old_meaning(tmp_path):
    config = ExperimentConfig().merged({"model": {"node_hidden": 4, "temporal_channels": 8, "dilations": [1, 2],
                                                  "dynamic": True, "dynamic_policy": "conservative"}})
    path = ckpt.save_checkpoint(tmp_path / "m.pt", _bundle(config=config))
    assert ckpt.load_checkpoint(path).config.model.dynamic_background == "facs"  # today's default, as saved
    payload = torch.load(path, weights_only=True)
    del payload["config"]["model"]["dynamic_background"]  # written before the field existed
    torch.save(payload, path)
    loaded = ckpt.load_checkpoint(path)
    assert loaded.config.model.dynamic_background == "none"  # what it was trained with
    assert loaded.config.model.dynamic_policy == "conservative"
