"""Frame-rate changes of series and intervals (e.g. SAMM-LV 200 fps -> 30 fps and back)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from causalex.datasets import DATASET_FPS, read_annotations
from causalex.labels import Interval
from causalex.resample import frame_centres_at, resample_intervals, resample_series, resampled_length
from causalex.series import AUSeries

DATA = Path(__file__).parent / "data"
RATE_PAIRS = [(200, 30), (30, 200), (30, 25), (25, 30), (30, 60), (60, 30), (200, 25), (29.97, 30), (50, 30)]


def _ramp(t: int, fps: float, invalid: tuple[int, ...] = ()) -> AUSeries:
    values = np.stack([np.arange(t), np.full(t, 2.0)], axis=1).astype(np.float32)
    mask = np.ones(t, bool)
    mask[list(invalid)] = False
    values[~mask] = 0.0
    return AUSeries(values=values, mask=mask, fps=fps, au_names=["AU01", "AU12"], video="v", meta={"k": 1})


def test_resampled_length():
    assert resampled_length(20, 200, 30) == 3
    assert resampled_length(8748, 200, 30) == 1312  # 43.74 s of SAMM-LV 006_1
    assert resampled_length(1, 200, 30) == 1
    assert resampled_length(0, 200, 30) == 0
    assert resampled_length(100, 30, 60) == 200
    with pytest.raises(ValueError):
        resampled_length(10, 0, 30)


def test_downsampling_averages_the_covered_time():
    s = resample_series(_ramp(20, 200), 30)
    assert s.n_frames == 3 and s.fps == 30 and s.mask.all()
    # new frame 0 covers source frames [0, 6.667): 0..5 fully and 2/3 of frame 6
    np.testing.assert_allclose(s.values[0, 0], (sum(range(6)) + 6 * (2 / 3)) / (20 / 3), rtol=1e-6)
    np.testing.assert_allclose(s.values[:, 1], 2.0, rtol=1e-6)  # a constant stays constant
    assert s.meta == {"k": 1, "resampled_from": {"fps": 200.0, "n_frames": 20}}


def test_a_new_frame_is_valid_only_if_all_its_source_frames_are():
    s = resample_series(_ramp(20, 200, invalid=(7,)), 30)
    assert s.mask.tolist() == [True, False, True]  # source frame 7 lies in new frame 1 = [6.67, 13.3)
    assert s.values[1].tolist() == [0.0, 0.0]
    up = resample_series(_ramp(10, 30, invalid=(4,)), 60)
    assert np.flatnonzero(~up.mask).tolist() == [8, 9]


def test_boundary_touching_an_invalid_frame_does_not_invalidate():
    # 30 -> 15: new frame 1 covers exactly source frames 2 and 3; frame 4 is outside it
    s = resample_series(_ramp(8, 30, invalid=(4,)), 15)
    assert s.mask.tolist() == [True, True, False, True]


def test_upsample_then_downsample_returns_the_series():
    s = _ramp(31, 30, invalid=(3, 17))
    back = resample_series(resample_series(s, 60), 30)
    np.testing.assert_array_equal(back.mask, s.mask)
    np.testing.assert_allclose(back.values, s.values, rtol=0, atol=1e-5)


def test_same_rate_is_a_copy():
    s = _ramp(5, 30)
    same = resample_series(s, 30)
    np.testing.assert_array_equal(same.values, s.values)
    same.values[0, 0] = 99
    assert s.values[0, 0] == 0


@pytest.mark.parametrize("src, dst", RATE_PAIRS)
def test_intervals_keep_order_and_round_trip_within_one_coarse_frame(src, dst):
    rng = random.Random(7)
    coarse = max(src, dst) / min(src, dst)  # source frames per coarse frame, when src is finer
    for _ in range(500):
        onset = rng.randint(0, 5000)
        offset = onset + rng.randint(0, 300)
        iv = Interval("v", onset, rng.randint(onset, offset), offset, "micro", score=0.25)
        there = resample_intervals([iv], src, dst)[0]
        assert 0 <= there.onset <= there.apex <= there.offset
        back = resample_intervals([there], dst, src)[0]
        assert back.onset <= back.apex <= back.offset
        if dst >= src:  # finer target: exact round trip
            assert (back.onset, back.offset) == (iv.onset, iv.offset)
        else:
            assert abs(back.onset - iv.onset) < coarse and abs(back.offset - iv.offset) < coarse
        assert there.score == 0.25 and there.type == "micro"


def test_short_interval_collapses_to_the_frame_holding_its_middle():
    # 3 frames at 200 fps (15 ms) hold no 30 fps frame centre
    iv = Interval("v", 10, 11, 12, "micro")
    (out,) = resample_intervals([iv], 200, 30)
    assert out.onset == out.apex == out.offset == 1  # t = 11.5 / 200 s lies in 30 fps frame 1


def test_interval_clamped_to_target_length():
    n = resampled_length(1000, 200, 30)
    (out,) = resample_intervals([Interval("v", 990, 995, 999, "macro")], 200, 30, dst_n_frames=n)
    assert out.offset <= n - 1 and out.onset <= out.offset


def test_samm_labels_map_into_the_resampled_series():
    records = read_annotations(DATA / "samm_longvideos_release.xlsx", "samm")
    src = DATASET_FPS["samm"]
    labels = [r.interval for r in records]
    mapped = resample_intervals(labels, src, 30)
    for before, after in zip(labels, mapped):
        t0, t1 = before.onset / src, (before.offset + 1) / src
        assert abs(after.onset / 30 - t0) <= 1 / 30 and abs((after.offset + 1) / 30 - t1) <= 1 / 30
    back = resample_intervals(mapped, 30, src)
    assert all(abs(a.onset - b.onset) < src / 30 for a, b in zip(back, labels))


@pytest.mark.parametrize("src,dst", [(60.0, 30.0), (30.0, 60.0), (200.0, 30.0), (25.0, 30.0)])
def test_frame_centres_map_as_the_apex_does(src, dst):
    n = 40
    n_dst = resampled_length(n, src, dst)
    at = frame_centres_at(n, src, dst, n_dst)
    apexes = [resample_intervals([Interval("v", 0, i, n - 1, "macro")], src, dst, n_dst)[0].apex for i in range(n)]
    assert at.tolist() == apexes and at.min() >= 0 and at.max() <= n_dst - 1
    assert np.all(np.diff(at) >= 0)


def test_frame_centres_halve_when_downsampling_by_two():
    assert frame_centres_at(6, 60.0, 30.0, 3).tolist() == [0, 0, 1, 1, 2, 2]
