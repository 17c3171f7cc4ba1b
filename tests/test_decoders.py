"""The decoder registry and the me-tst / boostingvrme decoders on hand-made score curves (hand-worked intervals)."""

import numpy as np
import pytest

from causalex.labels import Interval
from causalex.model.outputs import SPOT_CHANNELS, channel_index
from causalex.spot.decoders import decoder_names, make_decoder
from causalex.spot.decoding import DecodeConfig, TypeDecodeConfig, decode_video, record_durations
from causalex.spot.peaks import box_smooth
from causalex.spot.search import nms_1d


def probs_with(inside: np.ndarray, kind: str = "micro") -> np.ndarray:
    """``[T, 8]`` probabilities: ``inside`` on the type's inside channel, zero elsewhere."""
    probs = np.zeros((inside.size, len(SPOT_CHANNELS)))
    probs[:, channel_index(kind, "inside")] = inside
    return probs


def config(decoder: str, micro_s: float, **kw) -> DecodeConfig:
    """Micro k_p from a training duration of ``micro_s`` seconds (mean and median)."""
    micro = TypeDecodeConfig(0.1, 0.5, 0.3, threshold=0.0, mean_duration_s=micro_s, median_duration_s=micro_s)
    return DecodeConfig(micro=micro, decoder=decoder, **kw)


def test_registry_lists_the_decoders_and_refuses_unknown_names():
    assert decoder_names() == ["boostingvrme", "me-tst", "search"]
    assert DecodeConfig().decoder == "search"
    with pytest.raises(ValueError, match="unknown decoder 'peaks'; valid: boostingvrme, me-tst, search"):
        make_decoder("peaks")
    with pytest.raises(ValueError, match="valid: boostingvrme, me-tst, search"):
        DecodeConfig.from_dict({"decoder": "peaks"})
    with pytest.raises(ValueError, match="synergy"):
        DecodeConfig(synergy="vote")
    with pytest.raises(ValueError, match="relative_p"):
        DecodeConfig.from_dict({"relative_p": 1.5})


def test_box_smooth_is_numpys_same_convolution():
    x = np.random.default_rng(0).random(37)
    for width in (1, 2, 4, 7):
        assert np.allclose(box_smooth(x, width), np.convolve(x, np.ones(width) / width, mode="same"))


def test_me_tst_peak_plus_minus_k_p():
    # fps 10, mean training duration 0.5 s = 5 frames -> k_p = 2, box of 4 frames: a spike of height h at
    # frame c smooths to h/4 on c-1..c+2 (a plateau whose middle, c, is the peak). Two spikes (1.0 at 10,
    # 0.8 at 30): mean 1.8/40 = 0.045, level 0.045 + 0.55 (0.25 - 0.045) = 0.15775: both peaks pass.
    inside = np.zeros(40)
    inside[10], inside[30] = 1.0, 0.8
    found = decode_video(probs_with(inside), None, 10.0, "v", config("me-tst", 0.5))
    assert [(iv.onset, iv.apex, iv.offset, iv.type) for iv in found] == [(8, 10, 12, "micro"), (28, 30, 32, "micro")]
    assert [round(iv.score, 6) for iv in found] == [0.25, 0.2]
    inside[30] = 0.5  # 0.125 < level 0.0375 + 0.55 (0.25 - 0.0375) = 0.154: one interval left
    found = decode_video(probs_with(inside), None, 10.0, "v", config("me-tst", 0.5))
    assert [(iv.onset, iv.offset) for iv in found] == [(8, 12)]


def test_me_tst_k_p_falls_back_to_the_middle_of_the_duration_bounds():
    # no recorded training duration: (0.1 + 0.5) / 2 s = 6 frames at 20 fps -> k_p = 3, box of 6 frames: a
    # spike at 10 smooths to a plateau on 8..13 (frames i - 3 .. i + 2 are averaged) whose middle, rounded
    # down, is 10 -> [7, 13]
    inside = np.zeros(30)
    inside[10] = 1.0
    cfg = DecodeConfig(micro=TypeDecodeConfig(0.1, 0.5, 0.3, threshold=0.0), decoder="me-tst")
    assert cfg.micro.half_length(20.0) == 3
    found = make_decoder("me-tst")(probs_with(inside), 20.0, "micro", cfg, 0.0)
    assert [(s, p, e) for s, p, e, _ in found] == [(7, 10, 13)]


def bump(n: int, centre: int, values=(0.3, 0.6, 1.0, 0.6, 0.3), base: float = 0.1) -> np.ndarray:
    out = np.full(n, base)
    out[centre - 2:centre + 3] = values
    return out


def test_boostingvrme_grows_to_where_the_score_falls_below_the_mean():
    # k_p = 2 (median 0.5 s at 10 fps), raw bump 8..12 plus a tail 0.2, 0.15 at 13, 14; mean 6.45/40.
    # Window [8, 12]; the first rising frame above 2/3 mean from the left is 9 -> onset 8; the last falling
    # one is 11 -> offset 12; growing: frames 7, 6 are below the mean (onset stays 8), 13 is not, 14 and 15
    # are -> offset 13. Apex: the highest raw score, frame 10.
    raw = bump(40, 10)
    raw[13], raw[14] = 0.2, 0.15
    found = decode_video(probs_with(raw), None, 10.0, "v", config("boostingvrme", 0.5))
    assert [(iv.onset, iv.apex, iv.offset) for iv in found] == [(8, 10, 13)]
    me_tst = decode_video(probs_with(raw), None, 10.0, "v", config("me-tst", 0.5))
    assert [(iv.onset, iv.offset) for iv in me_tst] == [(8, 12)]


def test_boostingvrme_shrinks_the_window_to_the_rising_frames():
    # k_p = 5 (1 s at 10 fps): window [15, 25] around the peak at 20; the baseline is flat (no rising frame)
    # until 18, so the onset becomes 17; the last falling frame above the level is 22 -> offset 23.
    raw = bump(60, 20)
    found = decode_video(probs_with(raw), None, 10.0, "v", config("boostingvrme", 1.0))
    assert [(iv.onset, iv.apex, iv.offset) for iv in found] == [(17, 20, 23)]
    me_tst = decode_video(probs_with(raw), None, 10.0, "v", config("me-tst", 1.0))
    assert [(iv.onset, iv.offset) for iv in me_tst] == [(15, 25)]


def test_nms_with_apex_gap_drops_intervals_whose_apexes_are_close():
    starts, ends, apexes = np.array([0, 8]), np.array([9, 20]), np.array([8, 10])
    scores = np.array([0.5, 0.9])
    assert nms_1d(starts, ends, scores, 0.2).tolist() == [1, 0]  # IoU 2/21: both stay
    assert nms_1d(starts, ends, scores, 0.2, apexes=apexes, apex_gap=2).tolist() == [1]
    assert nms_1d(starts, ends, scores, 0.2, apexes=apexes, apex_gap=1).tolist() == [1, 0]


def test_peak_decoders_keep_the_tracked_share_and_the_threshold():
    inside = np.zeros(40)
    inside[10], inside[30] = 1.0, 0.8
    valid = np.ones(40, bool)
    valid[27:34] = False  # the second interval (28..32) is untracked
    cfg = config("me-tst", 0.5)
    found = make_decoder("me-tst")(probs_with(inside), 10.0, "micro", cfg, None, valid)
    assert [(s, e) for s, _, e, _ in found] == [(8, 12)]
    assert make_decoder("me-tst")(probs_with(inside), 10.0, "micro", cfg, 0.3) == []  # both score below 0.3


def test_record_durations_fills_mean_and_median_seconds():
    labels = [Interval("v", 0, 0, 4, "micro"), Interval("v", 10, 10, 14, "micro"), Interval("v", 20, 20, 30, "micro")]
    decode = record_durations(DecodeConfig(), labels, {"v": 10.0})
    assert decode.micro.mean_duration_s == pytest.approx((5 + 5 + 11) / 3 / 10.0)
    assert decode.micro.median_duration_s == pytest.approx(0.5)
    assert decode.macro.mean_duration_s == 0.0  # no macro labels: unknown
    again = DecodeConfig.from_dict(decode.to_dict())
    assert again == decode
