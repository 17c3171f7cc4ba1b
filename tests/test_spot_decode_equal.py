"""The linear-time decoder gives exactly the intervals of the straightforward one, at a cost linear in length.

The reference below is the decoder as it was before (exhaustive ``[S, E]`` grid per apex, a Python mean per
candidate, greedy NMS against every kept interval): kept here, unchanged, as the definition to match.
"""

import math
import time
import tracemalloc

import numpy as np
import pytest
from scipy.ndimage import gaussian_filter1d
from scipy.signal import find_peaks

from causalex.labels import EXPRESSION_TYPES, Interval
from causalex.model.outputs import channel_index
from causalex.spot.decoding import DecodeConfig, TypeDecodeConfig, decode_video
from causalex.spot.search import interval_means, nms_1d, search_bounds, search_bounds_many

CLASSES = ("negative", "positive", "surprise", "others")


# --- the reference: the straightforward decoder -------------------------------------------------------------

def ref_search_bounds(onset, offset, inside, apex, min_len, max_len, inside_weight):
    t = onset.shape[0]
    lo, hi = max(0, apex - max_len + 1), min(t - 1, apex + max_len - 1)
    starts = np.arange(lo, apex + 1)
    ends = np.arange(apex, hi + 1)
    csum = np.concatenate([[0.0], np.cumsum(inside[lo:hi + 1].astype(np.float64) - 0.5)])
    scale = inside_weight / max(1.0, max_len / 2.0)
    start_term = onset[starts] - scale * csum[starts - lo]
    end_term = offset[ends] + scale * csum[ends - lo + 1]
    length = ends[None, :] - starts[:, None] + 1
    objective = start_term[:, None] + end_term[None, :]
    allowed = (length >= min_len) & (length <= max_len)
    if not allowed.any():
        allowed = length <= max_len
    objective = np.where(allowed, objective, -np.inf)
    i, j = np.unravel_index(int(np.argmax(objective)), objective.shape)
    return int(starts[i]), int(ends[j])


def ref_nms_1d(starts, ends, scores, iou_threshold):
    order = np.argsort(-scores, kind="stable")
    keep = []
    for idx in order:
        ok = True
        for k in keep:
            inter = min(ends[idx], ends[k]) - max(starts[idx], starts[k]) + 1
            if inter > 0:
                union = (ends[idx] - starts[idx] + 1) + (ends[k] - starts[k] + 1) - inter
                if inter / union > iou_threshold:
                    ok = False
                    break
        if ok:
            keep.append(int(idx))
    return np.asarray(keep, dtype=np.int64)


def ref_decode_type(probs, fps, expression_type, config, threshold=None, valid=None):
    cfg = config.for_type(expression_type)
    onset = probs[:, channel_index(expression_type, "onset")]
    offset = probs[:, channel_index(expression_type, "offset")]
    apex = probs[:, channel_index(expression_type, "apex")]
    inside = probs[:, channel_index(expression_type, "inside")]
    min_len = max(1, int(round(cfg.min_duration_s * fps)))
    max_len = max(min_len, int(round(cfg.max_duration_s * fps)))
    distance = max(1, int(round(cfg.peak_distance_s * fps)))
    peaks, _ = find_peaks(np.concatenate([[-1.0], apex, [-1.0]]), height=cfg.candidate_floor, distance=distance)
    peaks = peaks - 1
    if peaks.size == 0:
        return []
    starts, ends, scores, apexes = [], [], [], []
    tracked = None if valid is None else np.concatenate([[0], np.cumsum(np.asarray(valid, bool))])
    for p in peaks.tolist():
        s, e = ref_search_bounds(onset, offset, inside, p, min_len, max_len, config.inside_weight)
        if tracked is not None and tracked[e + 1] - tracked[s] < config.min_valid * (e - s + 1):
            continue
        apexes.append(p)
        starts.append(s)
        ends.append(e)
        scores.append(math.sqrt(max(float(apex[p]), 0.0) * max(float(inside[s:e + 1].mean()), 0.0)))
    starts_a, ends_a, scores_a = np.asarray(starts, np.int64), np.asarray(ends, np.int64), np.asarray(scores)
    keep = ref_nms_1d(starts_a, ends_a, scores_a, cfg.nms_iou)
    thr = cfg.threshold if threshold is None else threshold
    out = [(int(starts_a[i]), int(apexes[i]), int(ends_a[i]), float(scores_a[i])) for i in keep if scores_a[i] >= thr]
    return out[:cfg.top_k] if cfg.top_k > 0 else out


def ref_decode_video(probs, emotion_probs, fps, video, config, emotion_classes=(), thresholds=None, valid=None):
    out = []
    for kind in EXPRESSION_TYPES:
        thr = None if thresholds is None else thresholds.get(kind)
        for s, p, e, score in ref_decode_type(probs, fps, kind, config, thr, valid):
            emotion = ""
            if emotion_probs is not None and len(emotion_classes):
                emotion = str(emotion_classes[int(np.argmax(emotion_probs[s:e + 1].mean(0)))])
            out.append(Interval(video=video, onset=s, apex=p, offset=e, type=kind, emotion=emotion, score=score))
    out.sort(key=lambda iv: (iv.onset, iv.offset, iv.type))
    return out


# --- random score tracks -------------------------------------------------------------------------------------

def random_track(rng, t, channels=8):
    """Smooth, rough, quantised (ties) or flat probabilities, float32 or float64."""
    kind = rng.choice(["smooth", "noise", "ties", "flat", "steps"])
    if kind == "flat":
        p = np.full((t, channels), rng.uniform(0.0, 1.0))
    elif kind == "steps":
        p = np.repeat(rng.random((t // 7 + 1, channels)), 7, axis=0)[:t]
    else:
        x = rng.standard_normal((t, channels))
        if kind != "noise":
            x = gaussian_filter1d(x, rng.uniform(0.5, 5.0), axis=0) * 4.0
        p = 1.0 / (1.0 + np.exp(-(x - rng.uniform(-1.0, 2.0))))
        if kind == "ties":
            p = np.round(p, 1)
    return p.astype(rng.choice([np.float32, np.float64]))


def random_config(rng):
    def one(min_s, max_s, dist):
        return TypeDecodeConfig(min_duration_s=min_s, max_duration_s=max_s, peak_distance_s=dist,
                                threshold=float(rng.choice([0.0, 0.0, 0.3, 0.6])),
                                candidate_floor=float(rng.choice([0.0, 0.05, 0.5])),
                                nms_iou=float(rng.choice([0.0, 0.2, 0.5, 1.0])), top_k=int(rng.choice([0, 0, 3])))

    return DecodeConfig(micro=one(rng.uniform(0.0, 0.2), rng.uniform(0.2, 0.6), rng.uniform(0.0, 0.4)),
                        macro=one(rng.uniform(0.3, 1.0), rng.uniform(1.0, 4.0), rng.uniform(0.1, 1.0)),
                        inside_weight=float(rng.choice([0.0, 1.0, 2.5])), min_valid=float(rng.choice([0.0, 0.5, 1.0])))


@pytest.mark.parametrize("seed", range(120))
def test_decoder_equals_the_reference_on_random_tracks(seed):
    rng = np.random.default_rng(seed)
    t = int(rng.choice([1, 2, 3, 5, 17, int(rng.integers(20, 400)), int(rng.integers(400, 2500))]))
    fps = float(rng.choice([10.0, 25.0, 30.0, 60.0, 100.0]))
    probs = random_track(rng, t)
    emotion = random_track(rng, t, len(CLASSES)) if rng.random() < 0.5 else None
    valid = rng.random(t) > rng.uniform(0.0, 0.6) if rng.random() < 0.4 else None
    config = random_config(rng)
    thresholds = {"micro": 0.0} if rng.random() < 0.2 else None
    got = decode_video(probs, emotion, fps, "v", config, CLASSES, thresholds, valid)
    want = ref_decode_video(probs, emotion, fps, "v", config, CLASSES, thresholds, valid)
    assert got == want  # onsets, apexes, offsets, types, emotions and float scores, bit for bit


@pytest.mark.parametrize("seed", range(40))
def test_search_equals_the_grid_for_every_apex(seed):
    rng = np.random.default_rng(1000 + seed)
    t = int(rng.integers(1, 300))
    onset, offset, inside = random_track(rng, t, 3).T
    min_len, max_len = int(rng.integers(-1, 40)), int(rng.integers(1, 40))  # min_len > max_len too
    weight = float(rng.choice([0.0, 1.0, 3.0]))
    apexes = np.arange(t)
    starts, ends = search_bounds_many(onset, offset, inside, apexes, min_len, max_len, weight,
                                      chunk_cells=int(rng.choice([1, 500, 1 << 16])))
    for a in range(t):
        assert (starts[a], ends[a]) == ref_search_bounds(onset, offset, inside, a, min_len, max_len, weight)
    a = int(rng.integers(0, t))
    assert search_bounds(onset, offset, inside, a, min_len, max_len, weight) == (starts[a], ends[a])


def test_search_with_non_finite_scores_matches_the_grid():
    rng = np.random.default_rng(7)
    onset, offset, inside = rng.random((3, 120))
    onset[[5, 50]] = np.nan
    offset[60] = np.inf
    for a in range(120):
        with np.errstate(invalid="ignore"):
            want = ref_search_bounds(onset, offset, inside, a, 3, 20, 1.0)
            assert search_bounds(onset, offset, inside, a, 3, 20, 1.0) == want


def test_search_short_video_and_apex_at_the_ends():
    onset = offset = inside = np.array([0.2, 0.9, 0.1], np.float32)
    for a in range(3):  # the video is shorter than min_len: the longest allowed interval wins
        assert search_bounds(onset, offset, inside, a, 10, 20, 1.0) == ref_search_bounds(onset, offset, inside, a, 10,
                                                                                         20, 1.0)
    assert search_bounds(onset[:1], offset[:1], inside[:1], 0, 1, 1, 1.0) == (0, 0)
    with pytest.raises(ValueError, match="max_len"):
        search_bounds(onset, offset, inside, 1, 1, 0, 1.0)


@pytest.mark.parametrize("seed", range(40))
def test_nms_equals_the_reference(seed):
    rng = np.random.default_rng(2000 + seed)
    n = int(rng.integers(0, 300))
    starts = rng.integers(0, int(rng.choice([20, 200, 5000])), n)
    ends = starts + rng.integers(0, int(rng.choice([1, 10, 120])), n)
    if rng.random() < 0.3:  # duplicated intervals
        starts, ends = np.concatenate([starts, starts[: n // 2]]), np.concatenate([ends, ends[: n // 2]])
    scores = np.round(rng.random(starts.size), int(rng.choice([1, 2, 8])))  # many ties
    iou = float(rng.choice([-0.5, 0.0, 0.1, 0.2, 1 / 3, 0.5, 0.99, 1.0]))
    assert nms_1d(starts, ends, scores, iou).tolist() == ref_nms_1d(starts, ends, scores, iou).tolist()


def test_nms_edge_cases():
    assert nms_1d(np.array([], np.int64), np.array([], np.int64), np.array([]), 0.2).tolist() == []
    assert nms_1d(np.array([3]), np.array([3]), np.array([0.5]), 0.2).tolist() == [0]
    same = np.array([4, 4, 4])
    assert nms_1d(same, same + 2, np.array([0.5, 0.5, 0.5]), 0.2).tolist() == [0]  # ties keep the first
    with pytest.raises(ValueError, match="ends before it starts"):
        nms_1d(np.array([5]), np.array([4]), np.array([1.0]), 0.2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interval_means_equal_one_at_a_time(dtype):
    rng = np.random.default_rng(3)
    values = rng.random((1000, 4)).astype(dtype)
    starts = rng.integers(0, 600, 500)
    ends = starts + rng.integers(0, 300, 500)  # lengths beyond numpy's pairwise block
    got1, got2 = interval_means(values[:, 0], starts, ends, chunk_cells=777), interval_means(values, starts, ends)
    for n, (s, e) in enumerate(zip(starts, ends)):
        assert got1[n] == values[s:e + 1, 0].mean() and np.array_equal(got2[n], values[s:e + 1].mean(0))


def _noise_scores(frames, seed=0):
    return np.random.default_rng(seed).random((frames, 8)).astype(np.float32)  # every local max a candidate


def test_memory_is_linear_in_length():
    """Peak memory per frame of a 40 min track is no more than that of a 10 min one (no T x T or T x N arrays)."""
    config = DecodeConfig()
    for kind in (config.micro, config.macro):
        kind.threshold = kind.candidate_floor = 0.0
    per_frame = []
    for frames in (18_000, 72_000):
        probs = _noise_scores(frames)
        tracemalloc.start()
        decode_video(probs, None, 30.0, "v", config)
        per_frame.append(tracemalloc.get_traced_memory()[1] / frames)
        tracemalloc.stop()
    assert per_frame[1] < 1.2 * per_frame[0] + 16, per_frame
    assert per_frame[1] < 200, per_frame  # bytes per frame beyond the input: a few per-frame vectors


def test_nms_is_not_quadratic():
    """60 000 kept intervals (the old loop compared each with all kept ones: ~1.8e9 steps) in well under seconds."""
    starts = np.arange(60_000) * 10
    t0 = time.perf_counter()
    keep = nms_1d(starts, starts + 5, np.random.default_rng(0).random(60_000), 0.2)
    assert keep.size == 60_000 and time.perf_counter() - t0 < 5.0
