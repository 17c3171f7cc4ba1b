"""Training on whole videos (PESFormer style): padding, crops, the loss mask, and a seconds-long overfit."""

import numpy as np
import pytest
import torch

from causalex.labels import Interval
from causalex.train.config import ExperimentConfig
from causalex.train.dataset import VideoSampler, WindowSampler, make_sampler, prepare_video
from test_model_overfit import AUS, overfit_planted, planted_series, tiny_config

EVENTS = [(100, 150, {"AU12": 2.0, "AU06": 1.2}), (400, 410, {"AU04": 1.5})]
LABELS = [Interval("v1", 100, 125, 150, "macro", "positive"), Interval("v1", 400, 405, 410, "micro", "negative")]


def two_videos(cfg):
    long = prepare_video(planted_series(events=EVENTS), AUS, cfg.data, cfg.features, LABELS, cfg.model.emotion_classes)
    short_series = planted_series("v2", n_frames=300, seed=1)
    short = prepare_video(short_series, AUS, cfg.data, cfg.features, [], cfg.model.emotion_classes)
    short.valid[10:20] = False  # untracked frames carry no loss
    return long, short


def test_videos_are_padded_to_the_longest_and_masked():
    cfg = tiny_config().merged({"data": {"sampling": "videos", "video_repeats": 1}})
    long, short = two_videos(cfg)
    sampler = make_sampler([long, short], cfg.data, np.random.default_rng(0))
    assert isinstance(sampler, VideoSampler) and sampler.length == 600
    examples = sampler.epoch()
    assert sorted(examples) == [(0, 0), (1, 0)]
    batch = sampler.collate([(1, 0), (0, 0)])
    assert tuple(batch.x.shape) == (2, 600, len(AUS), cfg.model.in_features)
    assert batch.loss_mask[0].sum() == 290 and not batch.loss_mask[0, 300:].any() and not batch.loss_mask[0, 10:20].any()
    assert (batch.emotion[0, 300:] == -1).all() and batch.x[0, 300:].abs().sum() == 0
    assert batch.loss_mask[1].all() and torch.equal(batch.spot[1], torch.from_numpy(long.spot_targets))
    windows = make_sampler([long], tiny_config().data, np.random.default_rng(0))
    assert isinstance(windows, WindowSampler)  # the default stays windows


def test_an_epoch_of_whole_videos_is_as_many_steps_as_an_epoch_of_windows():
    cfg = tiny_config().merged({"data": {"sampling": "videos"}})
    long, short = two_videos(cfg)
    windows = len(WindowSampler([long, short], cfg.data, np.random.default_rng(0)).epoch())
    sampler = VideoSampler([long, short], cfg.data, np.random.default_rng(0))
    assert sampler.repeats == max(1, round(windows / 2)) and len(sampler.epoch()) == 2 * sampler.repeats
    assert windows > 2  # the once-per-epoch sampler took fewer steps than windows
    fixed = VideoSampler([long, short], cfg.merged({"data": {"video_repeats": 3}}).data, np.random.default_rng(0))
    assert fixed.repeats == 3 and sorted(fixed.epoch()) == [(0, 0)] * 3 + [(1, 0)] * 3


def test_a_length_cap_crops_longer_videos_at_random():
    cfg = tiny_config().merged({"data": {"sampling": "videos", "video_cap_s": 5.0}})
    long, short = two_videos(cfg)
    sampler = VideoSampler([long, short], cfg.data, np.random.default_rng(3))
    assert sampler.length == 150
    starts = {s for _ in range(20) for vi, s in sampler.epoch() if vi == 0}
    assert len(starts) > 5 and all(0 <= s <= 450 for s in starts)
    batch = sampler.collate([(0, 200)])
    assert torch.equal(batch.x[0], torch.from_numpy(long.features[200:350]))


def test_unknown_sampling_is_refused_with_the_valid_ones():
    with pytest.raises(ValueError, match="valid: windows, videos"):
        ExperimentConfig().merged({"data": {"sampling": "clips"}})


def test_whole_video_training_learns_two_planted_intervals():
    overfit_planted(tiny_config(epochs=40).merged({"data": {"sampling": "videos"}, "optim": {"batch_size": 1}}))
