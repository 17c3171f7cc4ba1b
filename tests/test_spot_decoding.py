"""Decoding hand-made score curves into intervals."""

import numpy as np
import pytest

from causalex.model.outputs import channel_index
from causalex.spot.decoding import DecodeConfig, TypeDecodeConfig, decode_type, decode_video, nms_1d, search_bounds


def _bump(t, centre, width, height=1.0):
    return height * np.exp(-0.5 * ((np.arange(t) - centre) / width) ** 2)


def _probs(t, events):
    """events: (type, onset, apex, offset, height) -> [T, 8] hand-made probabilities."""
    p = np.full((t, 8), 0.01)
    for kind, s, a, e, h in events:
        p[:, channel_index(kind, "onset")] += _bump(t, s, 1.0, 0.8)
        p[:, channel_index(kind, "offset")] += _bump(t, e, 1.0, 0.8)
        p[:, channel_index(kind, "apex")] += _bump(t, a, 2.0, h)
        p[s:e + 1, channel_index(kind, "inside")] = 0.9
    return np.clip(p, 0, 1)


def _config(threshold=0.2):
    return DecodeConfig(micro=TypeDecodeConfig(0.1, 0.5, 0.3, threshold=threshold),
                        macro=TypeDecodeConfig(0.5, 4.0, 0.8, threshold=threshold))


def test_decodes_planted_intervals_with_exact_bounds():
    probs = _probs(300, [("macro", 40, 60, 90, 0.9), ("micro", 200, 205, 210, 0.8)])
    found = decode_video(probs, None, 30.0, "v", _config())
    got = [(iv.type, iv.onset, iv.apex, iv.offset) for iv in found]
    assert got == [("macro", 40, 60, 90), ("micro", 200, 205, 210)]
    assert all(0 < iv.score <= 1 for iv in found)


def test_threshold_drops_weak_candidates():
    probs = _probs(300, [("macro", 40, 60, 90, 0.9), ("macro", 180, 200, 220, 0.15)])
    strong = decode_video(probs, None, 30.0, "v", _config(threshold=0.4))
    assert [iv.onset for iv in strong] == [40]
    everything = decode_video(probs, None, 30.0, "v", _config(), thresholds={"macro": 0.0, "micro": 0.0})
    assert {iv.onset for iv in everything if iv.type == "macro"} == {40, 180}


def test_duration_bounds_are_in_seconds():
    # at 10 fps a micro-expression (<= 0.5 s) is at most 5 frames long: onset/offset peaks 20 frames apart
    probs = _probs(200, [("micro", 50, 60, 70, 0.9)])
    found = decode_type(probs, 10.0, "micro", _config(), threshold=0.0)
    assert found and all(e - s + 1 <= 5 for s, _, e, _ in found)


def test_search_bounds_prefers_boundary_peaks_within_length():
    t = 100
    onset, offset = _bump(t, 30, 1.0), _bump(t, 50, 1.0)
    inside = np.zeros(t)
    inside[30:51] = 0.9
    assert search_bounds(onset, offset, inside, 40, 5, 40, 1.0) == (30, 50)
    s, e = search_bounds(onset, offset, inside, 40, 5, 10, 1.0)  # max length 10 forbids (30, 50)
    assert e - s + 1 <= 10 and s <= 40 <= e


def test_nms_keeps_best_of_overlapping():
    starts = np.array([10, 12, 50])
    ends = np.array([30, 31, 60])
    scores = np.array([0.5, 0.9, 0.4])
    assert nms_1d(starts, ends, scores, 0.3).tolist() == [1, 2]


def test_top_k_and_emotion():
    probs = _probs(400, [("macro", 40, 60, 90, 0.9), ("macro", 200, 220, 250, 0.6), ("macro", 300, 320, 350, 0.5)])
    cfg = _config()
    cfg.macro.top_k = 2
    emo = np.zeros((400, 4))
    emo[:, 2] = 1.0  # surprise everywhere
    found = decode_video(probs, emo, 30.0, "v", cfg, ("negative", "positive", "surprise", "others"))
    assert sorted(iv.onset for iv in found) == [40, 200]
    assert {iv.emotion for iv in found} == {"surprise"}


def test_flat_scores_give_nothing():
    assert decode_video(np.full((100, 8), 0.01), None, 30.0, "v", _config()) == []


def test_config_round_trip_and_unknown_field():
    cfg = _config(0.37)
    assert DecodeConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="unknown DecodeConfig field"):
        DecodeConfig.from_dict({"giga": {}})
    with pytest.raises(ValueError, match="unknown expression type"):
        cfg.for_type("mega")


def test_intervals_where_the_face_was_lost_are_dropped():
    probs = _probs(300, [("macro", 40, 60, 90, 0.9), ("macro", 180, 200, 220, 0.9)])
    valid = np.ones(300, bool)
    valid[175:215] = False  # the second expression is mostly untracked (its scores rest on no data)
    found = decode_video(probs, None, 30.0, "v", _config(), valid=valid)
    assert [iv.onset for iv in found] == [40]
    assert len(decode_video(probs, None, 30.0, "v", _config())) == 2  # without a mask both stay
    lenient = DecodeConfig.from_dict({**_config().to_dict(), "min_valid": 0.0})
    assert len(decode_video(probs, None, 30.0, "v", lenient, valid=valid)) == 2
