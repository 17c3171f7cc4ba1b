"""Temporal backbones: registry, shapes, the scan and the attention against brute force, the SSM's
memory bound, chunked against whole-video inference, checkpoints (old ones load as tcn)."""

import types

import numpy as np
import pytest
import torch

from causalex import checkpoint as ckpt
from causalex.graph import full_graph
from causalex.model import ssm_scan
from causalex.model.backbones import backbone_names, make_backbone, register_backbone
from causalex.model.config import ModelConfig
from causalex.model.inference import chunk_starts, predict_frame_scores
from causalex.model.network import build_model
from causalex.model.ssm import SSMStack, block_mean
from causalex.model.transformer import LocalSelfAttention
from causalex.spot.decoding import DecodeConfig
from causalex.train.config import ExperimentConfig

K = 6
SMALL = {"node_hidden": 4, "temporal_channels": 8, "dilations": (1, 2), "ssm_memory": 30, "attn_window": 8,
         "attn_heads": 2, "slow_stride": 3}
NAMES = ["ssm", "ssm-slowfast", "tcn", "transformer"]


def _model(backbone, seed=0, **kw):
    torch.manual_seed(seed)
    return build_model(ModelConfig(backbone=backbone, **{**SMALL, **kw}), np.ones((K, K), np.float32)).eval()


def test_registry_names_and_unknown_name_lists_choices():
    assert backbone_names() == NAMES
    with pytest.raises(ValueError, match="unknown backbone 'lstm'; valid: ssm, ssm-slowfast, tcn, transformer"):
        make_backbone("lstm", 8, ModelConfig())
    with pytest.raises(ValueError, match="valid: ssm, ssm-slowfast, tcn, transformer"):
        ModelConfig(backbone="mamba")
    with pytest.raises(ValueError, match="unknown backbone"):  # what `train --config` reads
        ExperimentConfig().merged({"model": {"backbone": "gru"}})
    with pytest.raises(ValueError, match="ssm_memory must be a whole number >= 1"):
        make_backbone("ssm", 8, ModelConfig(ssm_memory=0))
    with pytest.raises(ValueError, match="divisible by attn_heads"):
        make_backbone("transformer", 8, ModelConfig(attn_heads=3))


def test_registered_backbone_is_usable_by_name():
    @register_backbone("identity-test")
    def _identity(channels, config):
        module = torch.nn.Identity()
        module.context_frames, module.chunk_align, module.exact_chunks = 0, 1, True
        return module

    try:
        assert isinstance(make_backbone("identity-test", 8, ModelConfig()), torch.nn.Identity)
    finally:
        from causalex.model import backbones
        del backbones._BACKBONES["identity-test"]


@pytest.mark.parametrize("backbone", NAMES)
@pytest.mark.parametrize("t", [1, 37])
def test_backbone_shapes_and_contract(backbone, t):
    cfg = ModelConfig(backbone=backbone, **SMALL)
    module = make_backbone(backbone, 8, cfg)
    assert module(torch.randn(2, 8, t)).shape == (2, 8, t)
    assert module.context_frames >= 0 and module.chunk_align >= 1 and isinstance(module.exact_chunks, bool)
    out = _model(backbone)(torch.randn(2, t, K, 4))
    assert out["spot"].shape == (2, t, 8) and out["emotion"].shape[:2] == (2, t)


def test_torch_scan_equals_the_recurrence():
    torch.manual_seed(0)
    bt, e, t, n = 2, 3, 150, 4
    u, delta = torch.randn(bt, e, t), torch.rand(bt, e, t) * 2  # large steps too: nothing may overflow
    a, b, c, d = -torch.rand(e, n) * 5, torch.randn(bt, n, t), torch.randn(bt, n, t), torch.randn(e)
    h, ys = torch.zeros(bt, e, n), []
    for i in range(t):
        h = torch.exp(delta[:, :, i, None] * a) * h + delta[:, :, i, None] * b[:, None, :, i] * u[:, :, i, None]
        ys.append((h * c[:, None, :, i]).sum(-1) + d * u[:, :, i])
    for chunk in (1, 16, 64):
        y = ssm_scan.selective_scan_torch(u, delta, a, b, c, d, chunk=chunk)
        torch.testing.assert_close(y, torch.stack(ys, -1), atol=1e-5, rtol=1e-5)


def test_fused_kernel_only_with_mamba_ssm_and_cuda(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "mamba_ssm", None)  # not installed
    ssm_scan.mamba_scan_function.cache_clear()
    try:
        assert ssm_scan.mamba_scan_function() is None
        cuda_like = types.SimpleNamespace(is_cuda=True)
        assert not ssm_scan.use_fused_scan(cuda_like)  # CUDA without the package: plain torch
        assert ssm_scan.use_fused_scan(cuda_like, kernel=lambda *a, **k: None)  # both: the kernel
        assert not ssm_scan.use_fused_scan(torch.zeros(1), kernel=lambda *a, **k: None)  # CPU: never
    finally:
        ssm_scan.mamba_scan_function.cache_clear()

    def kernel_must_not_run(*args, **kwargs):
        raise AssertionError("the CUDA kernel ran on CPU tensors")

    monkeypatch.setattr(ssm_scan, "mamba_scan_function", lambda: kernel_must_not_run)
    x = torch.randn(1, 8, 20)
    assert make_backbone("ssm", 8, ModelConfig(backbone="ssm"))(x).shape == x.shape


def test_local_attention_equals_masked_full_attention():
    torch.manual_seed(0)
    attn = LocalSelfAttention(8, heads=2, window=5)
    torch.nn.init.normal_(attn.relative_bias)
    x = torch.randn(2, 23, 8)
    q, k, v = attn.qkv(x).reshape(2, 23, 3, 2, 4).permute(2, 0, 3, 1, 4)
    offset = torch.arange(23)[None, :] - torch.arange(23)[:, None]
    bias = attn.relative_bias[:, (offset + 5).clamp(0, 10)].masked_fill(offset.abs() > 5, float("-inf"))
    scores = torch.softmax(q @ k.transpose(-1, -2) / 2.0 + bias, dim=-1)
    full = attn.out((scores @ v).permute(0, 2, 1, 3).reshape(2, 23, 8))
    torch.testing.assert_close(attn(x), full, atol=1e-5, rtol=1e-5)


def test_ssm_memory_bounds_the_reach_of_a_frame():
    torch.manual_seed(0)
    stack = SSMStack(8, ModelConfig(ssm_memory=20, ssm_layers=2, dropout=0.0)).eval()
    x = torch.randn(1, 8, 200)
    bumped = x.clone()
    bumped[..., 100] += 3.0 * torch.randn(8)
    with torch.no_grad():
        change = (stack(bumped) - stack(x)).abs().amax(dim=1)[0]
    assert change[100] > 0.1
    far = torch.cat([change[:100 - stack.context_frames], change[101 + stack.context_frames:]])
    assert far.max() < 1e-3 * change[100]


def test_block_mean_and_aligned_chunks():
    x = torch.arange(7.0).reshape(1, 1, 7)
    assert block_mean(x, 3).tolist() == [[[1.0, 4.0, 6.0]]]
    starts = chunk_starts(100, 30, 12, align=4)
    assert all(s % 4 == 0 for s in starts) and starts[-1] == 68  # the last window: 68 .. 100 (32 frames)
    with pytest.raises(ValueError, match="multiple of the alignment"):
        chunk_starts(100, 30, 10, align=4)


@pytest.mark.parametrize("backbone", NAMES)
def test_chunked_inference_matches_one_pass(backbone):
    model = _model(backbone)
    feats = np.random.default_rng(0).normal(size=(613, K, 4)).astype(np.float32)
    whole = predict_frame_scores(model, feats, chunk_frames=10_000)
    chunked = predict_frame_scores(model, feats, chunk_frames=50, batch_chunks=3)
    atol = 1e-5 if model.exact_chunks else 1e-4  # state-space memory decays to < 1/1000 within the context
    np.testing.assert_allclose(chunked.spot, whole.spot, atol=atol)
    np.testing.assert_allclose(chunked.emotion, whole.emotion, atol=atol)
    if backbone == "ssm-slowfast":  # the chunks must start on the slow path's blocks
        assert model.chunk_align == 3


def _bundle(backbone=None):
    model_cfg = {"node_hidden": 4, "temporal_channels": 8, "dilations": [1, 2]}
    if backbone:
        model_cfg.update(backbone=backbone, ssm_memory=30, attn_window=8)
    config = ExperimentConfig().merged({"model": model_cfg})
    aus = ["AU01", "AU02", "AU04", "AU06", "AU12"]
    torch.manual_seed(0)
    model = build_model(config.model, full_graph(aus).adjacency_for(aus)).eval()
    return ckpt.ModelBundle(config=config, au_names=aus, graph=full_graph(aus), working_fps=30.0,
                            decode=DecodeConfig(), state_dict=model.state_dict()), model


@pytest.mark.parametrize("backbone", NAMES)
def test_checkpoint_records_the_backbone(tmp_path, backbone):
    bundle, model = _bundle(backbone)
    loaded = ckpt.load_checkpoint(ckpt.save_checkpoint(tmp_path / "m.pt", bundle))
    assert loaded.config.model.backbone == backbone
    x = torch.randn(1, 40, 5, 4)
    torch.testing.assert_close(loaded.build_model()(x)["spot"], model(x)["spot"], atol=0, rtol=0)


def test_checkpoint_without_backbone_field_loads_as_the_old_tcn(tmp_path):
    bundle, _ = _bundle()
    path = ckpt.save_checkpoint(tmp_path / "m.pt", bundle)
    payload = torch.load(path, weights_only=True)
    new_fields = [f for f in payload["config"]["model"] if f == "backbone" or f.startswith(("ssm_", "attn_", "slow_"))]
    for field in new_fields:  # as written before the backbones existed
        del payload["config"]["model"][field]
    torch.save(payload, path)
    loaded = ckpt.load_checkpoint(path)
    assert loaded.config.model.backbone == "tcn"
    x = torch.randn(1, 30, 5, 4, generator=torch.Generator().manual_seed(1))
    spot = loaded.build_model()(x)["spot"]
    # the same seeded model and input gave this sum with the code before the backbone registry
    assert abs(spot.sum().item() - (-1063.395263671875)) < 1e-3


def test_one_way_ssm_is_causal_and_two_way_is_not():
    torch.manual_seed(0)
    x = torch.randn(1, 8, 60)
    later = x.clone()
    later[..., 40:] += torch.randn(8, 20)
    for bidirectional in (False, True):
        stack = SSMStack(8, ModelConfig(ssm_bidirectional=bidirectional, dropout=0.0)).eval()
        with torch.no_grad():
            moved = (stack(later) - stack(x))[..., :40].abs().max()
        assert (moved.item() == 0.0) is (not bidirectional)
