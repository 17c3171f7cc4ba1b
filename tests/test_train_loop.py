"""The training loop: repeatable with a seed, and an interrupted fold resumes to the same weights."""

import numpy as np
import pytest
import torch

from causalex.labels import Interval
from causalex.train.dataset import prepare_video
from causalex.train.loop import resolve_device, train_model
from test_model_overfit import AUS, planted_series, tiny_config


def _video(cfg):
    series = planted_series(events=[(100, 150, {"AU12": 2.0}), (400, 410, {"AU04": 1.5})])
    labels = [Interval("v1", 100, 125, 150, "macro"), Interval("v1", 400, 405, 410, "micro")]
    return prepare_video(series, AUS, cfg.data, cfg.features, labels, cfg.model.emotion_classes)


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def test_same_seed_same_run_and_resume_after_interrupt(tmp_path):
    cfg = tiny_config(epochs=3)
    cfg.optim.validate_from = 0.0
    video = _video(cfg)
    adj = np.zeros((len(AUS), len(AUS)), np.float32)
    dev = torch.device("cpu")
    first = train_model([video], [video], adj, AUS, cfg, cfg.decode, dev, seed=4)
    second = train_model([video], [video], adj, AUS, cfg, cfg.decode, dev, seed=4)
    assert _same(first.state_dict, second.state_dict) and first.thresholds == second.thresholds

    state = tmp_path / "fold.state.pt"

    def interrupt_after_two(record):
        if record["epoch"] == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_model([video], [video], adj, AUS, cfg, cfg.decode, dev, seed=4, on_epoch=interrupt_after_two,
                    state_path=state)
    assert state.exists()
    resumed = train_model([video], [video], adj, AUS, cfg, cfg.decode, dev, seed=4, state_path=state)
    assert [r["epoch"] for r in resumed.history] == [1, 2, 3]
    assert _same(resumed.state_dict, first.state_dict)
    assert resumed.best_epoch == first.best_epoch


def test_resolve_device():
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda")
    with pytest.raises(ValueError, match="valid: auto, cpu, cuda"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            resolve_device("cuda")
