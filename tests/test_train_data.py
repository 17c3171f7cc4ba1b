"""Targets, prepared videos, window sampling and input checks of training."""

import numpy as np
import pytest

from causalex.errors import InputError
from causalex.labels import MEGC_EMOTIONS, Interval
from causalex.model.outputs import channel_index
from causalex.train.config import DataConfig, ExperimentConfig
from causalex.train.dataset import WindowSampler, prepare_video
from causalex.train.inputs import check_inputs, label_counts
from causalex.train.targets import build_targets
from test_model_overfit import AUS, planted_series


def test_targets_bumps_inside_and_emotion():
    ivs = [Interval("v", 20, 30, 40, "macro", "happiness"), Interval("v", 70, 73, 76, "micro", "")]
    spot, emo = build_targets(ivs, 100, 30.0, 0.1, 0.03, ("negative", "positive", "surprise", "others"))
    assert spot.shape == (100, 8) and emo.shape == (100,)
    assert spot[20, channel_index("macro", "onset")] == pytest.approx(1.0)
    assert spot[30, channel_index("macro", "apex")] == pytest.approx(1.0)
    assert spot[40, channel_index("macro", "offset")] == pytest.approx(1.0)
    inside = spot[:, channel_index("macro", "inside")]
    assert inside[20:41].min() == 1.0 and inside[:20].max() == 0.0 and inside[41:].max() == 0.0
    assert spot[73, channel_index("micro", "apex")] == pytest.approx(1.0)
    assert spot[:, channel_index("micro", "inside")].sum() == 7
    assert set(emo[20:41]) == {1} and set(emo[70:77]) == {-1} and emo[0] == -1


def test_prepare_resamples_labels_and_features():
    series = planted_series(n_frames=1200, fps=60.0, events=[(200, 300, {"AU12": 2.0})])
    labels = [Interval("v1", 200, 250, 300, "macro")]
    cfg = ExperimentConfig()
    video = prepare_video(series, AUS, cfg.data, cfg.features, labels, cfg.model.emotion_classes)
    assert video.fps == 30.0 and video.n_frames == 600 and video.source_fps == 60.0
    assert video.features.shape == (600, len(AUS), 4)
    work = video.working_labels[0]
    assert abs(work.onset - 100) <= 1 and abs(work.offset - 150) <= 1
    assert video.spot_targets[:, channel_index("macro", "inside")].sum() == work.offset - work.onset + 1


def test_prepare_refuses_missing_au_short_video_and_label_past_end():
    cfg = ExperimentConfig()
    series = planted_series(n_frames=600)
    with pytest.raises(InputError, match="lacks AU99"):
        prepare_video(series, AUS + ["AU99"], cfg.data, cfg.features)
    short = planted_series(n_frames=60)
    with pytest.raises(InputError, match=r"lasts 2.00 s, shorter than one window \(6 s\)"):
        prepare_video(short, AUS, cfg.data, cfg.features)
    with pytest.raises(InputError, match="ends after the last frame"):
        prepare_video(series, AUS, cfg.data, cfg.features, [Interval("v1", 590, 595, 700, "macro")])


def _sampler_video(cfg: ExperimentConfig):
    series = planted_series(n_frames=1800, events=[(300, 360, {"AU12": 2.0}), (900, 908, {"AU04": 1.0})])
    labels = [Interval("v1", 300, 330, 360, "macro"), Interval("v1", 900, 904, 908, "micro")]
    return prepare_video(series, AUS, cfg.data, cfg.features, labels, cfg.model.emotion_classes)


def test_window_sampler_covers_expressions_and_samples_neutral():
    cfg = ExperimentConfig()
    video = _sampler_video(cfg)
    sampler = WindowSampler([video], cfg.data, np.random.default_rng(0))
    windows = sampler.epoch()
    n_expr = 1 + cfg.data.micro_repeat
    assert len(windows) == n_expr + int(round(cfg.data.neutral_ratio * n_expr))
    batch = sampler.collate(windows)
    w = sampler.window
    assert batch.x.shape == (len(windows), w, len(AUS), 4)
    inside = (batch.spot[..., channel_index("macro", "inside")] + batch.spot[..., channel_index("micro", "inside")])
    in_loss = (inside > 0) & batch.loss_mask
    assert int((in_loss.sum(1) > 0).sum()) >= n_expr  # every expression window trains on its expression
    assert bool((in_loss.sum(1) == 0).any())  # and neutral windows are there too
    for vi, s in windows:
        assert 0 <= s <= video.n_frames - w


def test_window_sampler_is_repeatable():
    cfg = ExperimentConfig()
    video = _sampler_video(cfg)
    a = WindowSampler([video], cfg.data, np.random.default_rng(5)).epoch()
    b = WindowSampler([video], cfg.data, np.random.default_rng(5)).epoch()
    assert a == b


def test_check_inputs_messages():
    series = [planted_series("v1", "s1"), planted_series("v2", "")]
    labels = [Interval("v1", 1, 2, 3, "macro"), Interval("v2", 1, 2, 3, "micro", subject="s2")]
    assert check_inputs(series, labels, "labels.csv") == {"v1": "s1", "v2": "s2"}
    assert label_counts(labels, {"v1": "s1", "v2": "s2"}) == {"s1": {"macro": 1, "micro": 0},
                                                              "s2": {"macro": 0, "micro": 1}}
    with pytest.raises(InputError, match=r"labels.csv, row 2: video 'ghost' has no AU series among the 2 given"):
        check_inputs(series, [labels[0], Interval("ghost", 1, 2, 3, "macro")], "labels.csv")
    with pytest.raises(InputError, match=r"labels.csv, row 9: video 'ghost'"):  # CSV rows from read_labels_file
        check_inputs(series, [labels[0], Interval("ghost", 1, 2, 3, "macro")], "labels.csv", label_rows=[7, 9])
    with pytest.raises(InputError, match="has no subject id"):
        check_inputs(series, labels[:1], "labels.csv")
    with pytest.raises(InputError, match="differs from its AU series' subject"):
        check_inputs(series, [Interval("v1", 1, 2, 3, "macro", subject="s9")], "labels.csv")
    with pytest.raises(InputError, match="holds no labelled interval"):
        check_inputs(series, [], "labels.csv")


def test_data_config_defaults_are_in_seconds():
    d = DataConfig()
    assert d.window_s > d.context_s * 2 and d.working_fps > 0


def test_unknown_emotion_words_are_warned_once_with_their_counts(caplog):
    from causalex.train.inputs import warn_unknown_emotions

    labels = [Interval("v", 1, 2, 3, "macro", emotion=e) for e in ("postive", "postive", "disgust/fear", "Others", "")]
    with caplog.at_level("WARNING"):
        assert warn_unknown_emotions(labels, MEGC_EMOTIONS, "l.csv") == {"postive": 2}
    assert len(caplog.records) == 1 and "l.csv: 2 labelled expression(s)" in caplog.text
    assert "('postive' x2); they count as 'others'" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        warn_unknown_emotions(labels, ("negative", "positive"), "l.csv")
    assert "they train spotting only" in caplog.text  # 'others' is a known word: not listed
