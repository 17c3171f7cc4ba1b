"""On a CUDA GPU: the model gives the CPU's numbers, and a fold trains with mixed precision and spots.

Every test here is marked ``gpu`` and skipped where no CUDA GPU is present.
"""

import numpy as np
import pytest
import torch

from causalex.model.network import build_model
from causalex.spot.scoring import decode_prepared
from causalex.train.loop import train_model
from test_model_overfit import AUS, tiny_config
from test_train_loop import _video

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU")


@pytest.mark.gpu
@needs_cuda
def test_forward_on_cuda_matches_cpu():
    cfg = tiny_config(epochs=1)
    adj = np.ones((len(AUS), len(AUS)), np.float32) - np.eye(len(AUS), dtype=np.float32)
    torch.manual_seed(0)
    model = build_model(cfg.model, adj).eval()
    x = torch.randn(2, 300, len(AUS), cfg.model.in_features)
    with torch.no_grad():
        cpu = model(x)
        gpu = model.to("cuda")(x.to("cuda"))
    for key in cpu:
        assert torch.allclose(cpu[key], gpu[key].cpu(), atol=1e-4), key


@pytest.mark.gpu
@needs_cuda
def test_mixed_precision_training_on_cuda_learns_and_spots():
    cfg = tiny_config(epochs=30)
    cfg.optim.validate_from = 0.0
    assert cfg.optim.amp
    video = _video(cfg)
    adj = np.zeros((len(AUS), len(AUS)), np.float32)
    device = torch.device("cuda")
    result = train_model([video], [video], adj, AUS, cfg, cfg.decode, device, seed=0)
    assert all(np.isfinite(r["loss"]) for r in result.history)
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    model = build_model(cfg.model, adj).to(device)
    model.load_state_dict(result.state_dict)
    preds = decode_prepared(model, video, cfg, cfg.decode, device, AUS, thresholds=result.thresholds)
    assert any(p.type == "macro" and abs(p.apex - 125) < 15 for p in preds)
