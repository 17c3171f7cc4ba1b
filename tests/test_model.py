"""Shapes and equivalences of the spotting network (graph layers, temporal head, chunked inference)."""

import re

import numpy as np
import pytest
import torch

from causalex.model.config import ModelConfig
from causalex.model.features import FEATURE_NAMES, FeatureConfig, compute_node_features
from causalex.model.graph_layers import graph_layer_names, make_graph_layer, mean_weights
from causalex.model.inference import chunk_starts, predict_frame_scores
from causalex.model.network import build_model
from causalex.model.outputs import SPOT_CHANNELS, channel_index, emotion_index

K = 17


def _adjacency(seed=0, density=0.3):
    rng = np.random.default_rng(seed)
    a = (rng.random((K, K)) < density).astype(np.float32)
    np.fill_diagonal(a, 0)
    return a


def test_forward_shapes():
    cfg = ModelConfig(node_hidden=4, temporal_channels=8, dilations=(1, 2))
    model = build_model(cfg, _adjacency())
    out = model(torch.randn(3, 50, K, cfg.in_features))
    assert out["spot"].shape == (3, 50, len(SPOT_CHANNELS))
    assert out["emotion"].shape == (3, 50, len(cfg.emotion_classes))
    assert model.receptive_field == 1 + 2 * (1 + 2)


def test_mean_readout_mixes_aus_only_through_the_graph():
    cfg = ModelConfig(node_hidden=4, temporal_channels=8, dilations=(1,), readout="mean", dropout=0.0)
    torch.manual_seed(0)
    x = torch.randn(1, 20, K, cfg.in_features)
    for adjacency, coupled in ((np.zeros((K, K), np.float32), False), (_adjacency(), True)):
        model = build_model(cfg, adjacency).eval()
        assert model(x)["spot"].shape == (1, 20, len(SPOT_CHANNELS))
        # the output is a sum over nodes of per-node terms unless messages couple them: with no graph, the
        # effect of changing two AUs together equals the sum of changing each alone (before the temporal head)
        h = lambda v: model.readout(model.embed_nodes(v.reshape(20, K, -1), model.adjacency).mean(1))
        d1, d2 = torch.zeros_like(x), torch.zeros_like(x)
        d1[..., 0, :], d2[..., 1, :] = 1.0, 1.0
        joint, apart = h(x + d1 + d2) - h(x), (h(x + d1) - h(x)) + (h(x + d2) - h(x))
        assert torch.allclose(joint, apart, atol=1e-5) is (not coupled)
    with pytest.raises(ValueError, match="unknown readout"):
        build_model(ModelConfig(readout="max"), _adjacency())


def test_zero_message_init_starts_as_the_no_graph_model_and_learns_messages():
    cfg = ModelConfig(node_hidden=4, temporal_channels=8, dilations=(1,), dropout=0.0, message_init="zero")
    x = torch.randn(2, 30, K, cfg.in_features)
    torch.manual_seed(3)
    graph = build_model(cfg, _adjacency()).eval()
    torch.manual_seed(3)
    no_graph = build_model(cfg, np.zeros((K, K), np.float32)).eval()
    assert torch.allclose(graph(x)["spot"], no_graph(x)["spot"])  # same parameters, messages weigh nothing yet
    graph(x)["spot"].square().sum().backward()
    assert graph.graph_layers[0].lin_in.weight.grad.abs().sum() > 0  # ... but training can grow them
    torch.manual_seed(3)
    default = build_model(ModelConfig(node_hidden=4, temporal_channels=8, dilations=(1,), dropout=0.0),
                          _adjacency()).eval()
    assert not torch.allclose(default(x)["spot"], no_graph(x)["spot"])
    with pytest.raises(ValueError, match="unknown message_init"):
        build_model(ModelConfig(message_init="ones"), _adjacency())


def test_message_delay_starts_as_same_frame_messages_and_reaches_across_frames():
    cfg = dict(node_hidden=4, temporal_channels=8, dilations=(1,), dropout=0.0)
    x = torch.randn(2, 30, K, 4)
    outputs = {}
    for kernel in (1, 7):
        for name, adjacency in (("graph", _adjacency()), ("none", np.zeros((K, K), np.float32))):
            torch.manual_seed(5)  # the identity-initialised delays draw nothing: every other weight is the same
            outputs[kernel, name] = build_model(ModelConfig(message_kernel=kernel, **cfg), adjacency).eval()
    for name in ("graph", "none"):
        torch.testing.assert_close(outputs[1, name](x)["spot"], outputs[7, name](x)["spot"])
    delayed, no_graph = outputs[7, "graph"], outputs[7, "none"]
    layer = delayed.graph_layers[0]
    with torch.no_grad():
        for model in (delayed, no_graph):
            for delay in (model.graph_layers[0].delay_in, model.graph_layers[0].delay_out):
                delay.weight.zero_()
                delay.weight[:, 0, 0] = 1.0  # the message at frame t comes from frame t - 3
    h = torch.randn(2 * 30, K, 4)
    adj = torch.zeros(K, K)
    adj[0, 1] = 1  # a single edge 0 -> 1
    base = layer(h, adj, frames=30)
    h2 = h.clone()
    h2[10, 0] += 1.0  # cause at frame 10 of the first sequence
    moved = (layer(h2, adj, frames=30) - base).abs().sum(-1)  # [60, K]
    assert moved[13, 1] > 0 and moved[10, 1] == 0  # the effect hears it 3 frames later, not at once
    assert moved[30:].sum() == 0  # and the other sequence not at all
    torch.testing.assert_close(no_graph(x)["spot"], outputs[1, "none"](x)["spot"])  # no graph: delays do nothing
    with pytest.raises(ValueError, match="odd number of frames"):
        build_model(ModelConfig(message_kernel=4), _adjacency())
    with pytest.raises(ValueError, match="whole number"):
        layer(torch.randn(7, K, 4), adj, frames=3)


def test_wrong_input_shape_is_refused():
    model = build_model(ModelConfig(node_hidden=4, temporal_channels=8), _adjacency())
    with pytest.raises(ValueError, match="expects K=17"):
        model(torch.randn(1, 10, K - 1, 4))


def test_dense_and_pyg_layers_agree_with_explicit_mean():
    torch.manual_seed(0)
    dense = make_graph_layer("dense", 6, 5)
    pyg = make_graph_layer("pyg", 6, 5)
    pyg.load_state_dict(dense.state_dict())
    adj = torch.from_numpy(_adjacency(1))
    h = torch.randn(7, K, 6)
    expected = torch.zeros(7, K, 5)
    for j in range(K):
        out = dense.lin_self(h[:, j])
        parents = [i for i in range(K) if adj[i, j] > 0]
        children = [i for i in range(K) if adj[j, i] > 0]
        if parents:
            out = out + dense.lin_in(h[:, parents].mean(1))
        if children:
            out = out + dense.lin_out(h[:, children].mean(1))
        expected[:, j] = out
    torch.testing.assert_close(dense(h, adj), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(pyg(h, adj), expected, atol=1e-5, rtol=1e-5)


def test_messages_follow_edge_direction():
    layer = make_graph_layer("dense", 1, 1, bidirectional=False)
    with torch.no_grad():
        layer.lin_self.weight.zero_()
        layer.lin_self.bias.zero_()
        layer.lin_in.weight.fill_(1.0)
    adj = torch.zeros(K, K)
    adj[0, 1] = 1  # message 0 -> 1 only
    h = torch.zeros(1, K, 1)
    h[0, 0, 0] = 3.0
    out = layer(h, adj)
    assert out[0, 1, 0].item() == pytest.approx(3.0)
    assert out[0, 0, 0].item() == 0.0


def test_empty_graph_passes_no_message():
    w_in, w_out = mean_weights(torch.zeros(K, K))
    assert w_in.abs().sum() == 0 and w_out.abs().sum() == 0


def test_unknown_graph_layer_lists_choices():
    with pytest.raises(ValueError, match="valid: dense, pyg"):
        make_graph_layer("gat", 4, 4)
    assert graph_layer_names() == ["dense", "pyg"]


@pytest.mark.parametrize("message_kernel", [1, 5])
def test_chunked_inference_equals_one_pass(message_kernel):
    torch.manual_seed(0)
    cfg = ModelConfig(node_hidden=4, temporal_channels=8, dilations=(1, 2, 4), message_kernel=message_kernel)
    model = build_model(cfg, _adjacency())
    for layer in model.graph_layers:  # delays away from the identity, so that the messages reach across frames
        for delay in (layer.delay_in, layer.delay_out):
            if delay is not None:
                torch.nn.init.normal_(delay.weight)
    assert model.receptive_field == 1 + 2 * (1 + 2 + 4) + 2 * (message_kernel - 1)
    feats = np.random.default_rng(0).normal(size=(301, K, 4)).astype(np.float32)
    whole = predict_frame_scores(model, feats, chunk_frames=10_000)
    chunked = predict_frame_scores(model, feats, chunk_frames=37, batch_chunks=3)
    np.testing.assert_allclose(chunked.spot, whole.spot, atol=1e-5)
    np.testing.assert_allclose(chunked.emotion, whole.emotion, atol=1e-5)


def test_chunk_starts_cover_the_video():
    assert chunk_starts(10, 20, 5) == [0]
    starts = chunk_starts(100, 30, 20)
    assert starts[0] == 0 and starts[-1] == 70


def test_features_shape_mask_and_scale_invariance():
    rng = np.random.default_rng(0)
    values = rng.normal(0.5, 0.05, size=(300, K)).astype(np.float32)
    values[100:130, 3] += 2.0
    mask = np.ones(300, bool)
    mask[200:210] = False
    feats = compute_node_features(values, mask, 30.0)
    assert feats.shape == (300, K, len(FEATURE_NAMES))
    assert np.all(feats[200:210, :, :3] == 0) and np.all(feats[200:210, :, 3] == 0)
    assert np.all(feats[mask, :, 3] == 1)
    scaled = compute_node_features(values / 5.0, mask, 30.0)  # a 0-1 scale gives the same features
    np.testing.assert_allclose(scaled, feats, atol=1e-4)


def test_features_windows_are_in_seconds():
    t30 = np.arange(300) / 30.0
    t60 = np.arange(600) / 60.0
    bump = lambda t: np.exp(-0.5 * ((t - 5.0) / 0.3) ** 2)  # noqa: E731
    v30 = np.tile(bump(t30)[:, None], (1, K)).astype(np.float32)
    v60 = np.tile(bump(t60)[:, None], (1, K)).astype(np.float32)
    f30 = compute_node_features(v30, np.ones(300, bool), 30.0, FeatureConfig())
    f60 = compute_node_features(v60, np.ones(600, bool), 60.0, FeatureConfig())
    np.testing.assert_allclose(f60[::2, 0, 2], f30[:, 0, 2], atol=0.05)  # velocity at the same times


def test_output_channels_and_emotions():
    assert channel_index("macro", "onset") == 0 and channel_index("micro", "inside") == 7
    with pytest.raises(ValueError, match="valid"):
        channel_index("mega", "onset")
    classes = ("negative", "positive", "surprise", "others")
    assert emotion_index("Happiness", classes) == 1
    assert emotion_index("disgust", classes) == 0
    assert emotion_index("", classes) == -1
    assert emotion_index("unheard-of", classes) == 3


def test_dynamic_graph_is_rediscovered_from_the_batch():
    pytest.importorskip("causalex.discover.engines")
    from causalex.model.dynamic_graph import discover_adjacency

    rng = np.random.default_rng(0)
    n = 600
    x = np.zeros((1, n, K, 4), np.float32)
    x[..., 0] = rng.normal(size=(1, n, K))
    x[0, :, 1, 0] = 0.9 * x[0, :, 0, 0] + 0.3 * rng.normal(size=n)  # node 0 drives node 1
    x[0, :, 2, 0] = 0.9 * x[0, :, 1, 0] + 0.3 * rng.normal(size=n)  # and node 1 drives node 2
    x[..., 3] = 1.0
    names = [f"AU{i:02d}" for i in range(1, K + 1)]
    cfg = ModelConfig(dynamic=True, dynamic_policy="keep-all", dynamic_background="none", dynamic_max_frames=600,
                      dynamic_alpha=1e-4)
    adj = discover_adjacency(torch.from_numpy(x), names, cfg)
    assert adj.shape == (K, K)
    assert adj[0, 1] + adj[1, 0] > 0 and adj[1, 2] + adj[2, 1] > 0  # the chain is found
    assert adj[0, 2] + adj[2, 0] == 0  # 0 and 2 are independent given 1
    assert adj[3:].sum() == 0  # the noise nodes stay unconnected
    model = build_model(ModelConfig(node_hidden=4, temporal_channels=8, dilations=(1,), dynamic=True), np.zeros((K, K)))
    out = model(torch.from_numpy(x[:, :50]), adj)
    assert out["spot"].shape == (1, 50, 8)


def test_dynamic_background_forbids_edges_outside_the_facs_prior():
    pytest.importorskip("causalex.discover.engines")
    from causalex.discover.facs_prior import facs_pairs
    from causalex.model.dynamic_graph import discover_adjacency

    names = ["AU01", "AU02", "AU12", "AU25"]  # AU01 - AU02 is a FACS pair, AU01 - AU25 is not
    assert ("AU01", "AU02") in facs_pairs(names) and ("AU01", "AU25") not in facs_pairs(names)
    rng = np.random.default_rng(1)
    n = 600
    x = np.zeros((1, n, 4, 4), np.float32)
    x[..., 0] = rng.normal(size=(1, n, 4))
    x[0, :, 1, 0] = 0.9 * x[0, :, 0, 0] + 0.3 * rng.normal(size=n)  # AU01 -> AU02
    x[0, :, 3, 0] = 0.9 * x[0, :, 0, 0] + 0.3 * rng.normal(size=n)  # AU01 -> AU25
    x[..., 3] = 1.0
    base = dict(dynamic=True, dynamic_policy="keep-all", dynamic_max_frames=600, dynamic_alpha=1e-4)
    free = discover_adjacency(torch.from_numpy(x), names, ModelConfig(**base, dynamic_background="none"))
    facs = discover_adjacency(torch.from_numpy(x), names, ModelConfig(**base, dynamic_background="facs"))
    assert free[0, 3] + free[3, 0] > 0 and facs[0, 3] + facs[3, 0] == 0  # forbidden by the prior
    assert facs[0, 1] + facs[1, 0] > 0  # the prior's own pair stays


@pytest.mark.parametrize("field, value, message", [
    ("dynamic_method", "ges", "unknown dynamic_method 'ges'"),
    ("dynamic_background", "emfacs", "unknown dynamic_background 'emfacs'"),
    ("dynamic_policy", "strict", "unknown debiasing policy 'strict'"),
    ("dynamic_alpha", 1.5, "dynamic_alpha must be in (0, 1)"),
])
def test_dynamic_settings_are_checked_when_the_model_is_built(field, value, message):
    pytest.importorskip("causalex.discover.engines")
    cfg = ModelConfig(dynamic=True, **{field: value})
    with pytest.raises(ValueError, match=re.escape(message)):
        build_model(cfg, np.zeros((K, K)))
    build_model(ModelConfig(dynamic=False, **{field: value}), np.zeros((K, K)))  # only checked when used
