"""Each temporal backbone learns the two planted intervals of the tiny video of test_model_overfit."""

import numpy as np
import pytest
import torch

from causalex.labels import Interval
from causalex.metrics import evaluate_spotting
from causalex.model.network import build_model
from causalex.spot.scoring import decode_prepared
from causalex.train.dataset import prepare_video
from causalex.train.loop import train_model
from test_model_overfit import AUS, planted_series, tiny_config

SETTINGS = {  # small settings of each backbone for a seconds-long CPU test
    "ssm": {"ssm_layers": 1, "ssm_memory": 60},
    "ssm-slowfast": {"ssm_layers": 1, "ssm_memory": 30, "ssm_expand": 1, "slow_stride": 4},
    "transformer": {"attn_layers": 2, "attn_window": 16},
}


@pytest.mark.parametrize("backbone", sorted(SETTINGS))
def test_backbone_learns_two_planted_intervals(backbone):
    events = [(100, 150, {"AU12": 2.0, "AU06": 1.2}), (400, 410, {"AU04": 1.5})]
    series = planted_series(events=events)
    labels = [Interval("v1", 100, 125, 150, "macro", "positive"), Interval("v1", 400, 405, 410, "micro", "negative")]
    cfg = tiny_config().merged({"model": {"backbone": backbone, **SETTINGS[backbone]}})
    video = prepare_video(series, AUS, cfg.data, cfg.features, labels, cfg.model.emotion_classes)
    adjacency = np.zeros((len(AUS), len(AUS)), np.float32)
    result = train_model([video], [video], adjacency, AUS, cfg, cfg.decode, torch.device("cpu"), seed=0)
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    model = build_model(cfg.model, adjacency)
    model.load_state_dict(result.state_dict)
    found = decode_prepared(model, video, cfg, cfg.decode, torch.device("cpu"), AUS, result.thresholds)
    scores = evaluate_spotting(found, labels)
    assert scores.macro.tp == 1 and scores.micro.tp == 1, found
    assert scores.overall.precision >= 0.5
