"""The network, with each temporal backbone, learns two planted intervals (one macro, one micro) of a tiny
hand-made video."""

import numpy as np
import pytest
import torch

from causalex.labels import Interval
from causalex.metrics import evaluate_spotting
from causalex.model.network import build_model
from causalex.series import AUSeries
from causalex.spot.scoring import decode_prepared
from causalex.train.config import ExperimentConfig
from causalex.train.dataset import prepare_video
from causalex.train.loop import train_model

AUS = ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15", "AU17", "AU20",
       "AU23", "AU25", "AU26", "AU45"]


def planted_series(video="v1", subject="s1", n_frames=600, fps=30.0, seed=0, events=None):
    """AU series with noise and raised-cosine bumps; ``events`` = (onset, offset, {AU: amplitude})."""
    rng = np.random.default_rng(seed)
    values = 0.3 + 0.03 * rng.standard_normal((n_frames, len(AUS)))
    for onset, offset, aus in events or []:
        n = offset - onset + 1
        shape = np.sin(np.linspace(0, np.pi, n))
        for au, amp in aus.items():
            values[onset:offset + 1, AUS.index(au)] += amp * shape
    return AUSeries(values=values.astype(np.float32), mask=np.ones(n_frames, bool), fps=fps, au_names=AUS,
                    video=video, subject=subject, source="test", scale="intensity_0_5")


def tiny_config(epochs=30) -> ExperimentConfig:
    return ExperimentConfig().merged({
        "model": {"node_hidden": 4, "temporal_channels": 16, "dilations": [1, 2, 4], "dropout": 0.0},
        "data": {"window_s": 4.0, "context_s": 0.5, "neutral_ratio": 1.0, "micro_repeat": 2},
        "optim": {"epochs": epochs, "batch_size": 4, "lr": 1e-2, "warmup_epochs": 0.5, "threads": 1},
    })


BACKBONE_SETTINGS = {  # small settings of each temporal backbone for a seconds-long CPU test
    "tcn": {},
    "ssm": {"ssm_layers": 1, "ssm_memory": 60},
    "ssm-slowfast": {"ssm_layers": 1, "ssm_memory": 30, "ssm_expand": 1, "slow_stride": 4},
    "transformer": {"attn_layers": 2, "attn_window": 16},
}


PLANTED_EVENTS = [(100, 150, {"AU12": 2.0, "AU06": 1.2}), (400, 410, {"AU04": 1.5})]
PLANTED_LABELS = [Interval("v1", 100, 125, 150, "macro", "positive"),
                  Interval("v1", 400, 405, 410, "micro", "negative")]


def overfit_planted(cfg):
    """Train ``cfg`` on the video with the two planted intervals and decode it; asserts both are found.

    Returns:
        the evaluation of the decoded intervals against the planted labels.
    """
    video = prepare_video(planted_series(events=PLANTED_EVENTS), AUS, cfg.data, cfg.features, PLANTED_LABELS,
                          cfg.model.emotion_classes)
    adjacency = np.zeros((len(AUS), len(AUS)), np.float32)
    result = train_model([video], [video], adjacency, AUS, cfg, cfg.decode, torch.device("cpu"), seed=0)
    assert result.history[-1]["loss"] < result.history[0]["loss"]
    model = build_model(cfg.model, adjacency)
    model.load_state_dict(result.state_dict)
    found = decode_prepared(model, video, cfg, cfg.decode, torch.device("cpu"), AUS, result.thresholds)
    scores = evaluate_spotting(found, PLANTED_LABELS)
    assert scores.macro.tp == 1 and scores.micro.tp == 1, found
    return scores


@pytest.mark.parametrize("backbone", sorted(BACKBONE_SETTINGS))
def test_tiny_model_learns_two_planted_intervals(backbone):
    scores = overfit_planted(tiny_config().merged({"model": {"backbone": backbone, **BACKBONE_SETTINGS[backbone]}}))
    assert scores.overall.precision >= 0.5
