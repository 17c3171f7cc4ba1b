"""Peak decoders of the video-level regression papers: ``me-tst`` and ``boostingvrme`` (our reimplementation).

Both read one per-frame score of the type (``DecodeConfig.score_channel``, default the inside channel:
ME-TST and BoostingVRME regress one "expression here" score per frame) and a half length ``k_p`` from
the training labels, fitted in training and recorded in the checkpoint (`TypeDecodeConfig.half_length`).

**me-tst** (ME-TST, Zou et al. 2024; zizheng-guo/ME-TST):

1. ``k_p = int(mean training length / 2)`` frames (the source's ``int((mean(offset - onset) + 1) / 2)``);
2. the score is smoothed by a box of ``2 k_p`` frames (zero-padded at the video ends, as
   ``np.convolve(..., mode="same")``);
3. peaks of the smoothed score above ``mean + p (max - mean)`` (``p = relative_p``, 0.55), at least
   ``k_p`` frames apart, are the apexes (a peak on the first or last frame does not count);
4. each interval is ``peak +- k_p`` (clipped to the video: the source lets it run past the ends);
5. its score is the smoothed score at the peak (the source has no score: it keeps every peak; ours then
   go through the project's per-type threshold chosen on validation, whose grid starts at 0.02).

**boostingvrme** (BoostingVRME, Guo et al. ACM MM 2025, "scalable interval selection";
zizheng-guo/BoostingVRME), on the raw score ``r`` with video mean ``m``:

1. peaks as me-tst, with ``k_p`` from the *median* training length;
2. the window ``[peak - k_p, peak + k_p]`` shrinks: its onset moves to the frame before the first frame
   ``i`` (from the left, before the peak) with ``r[i] > r[i - 1]`` and ``r[i] > rise_level * m`` (the
   source's ``m / 1.5``), its offset to the frame after the last such falling frame after the peak;
3. then it grows: leftwards from the onset, at most ``grow_span * k_p`` (5) frames from the peak, the
   onset stops after the first pair of frames both below ``m`` (likewise rightwards); where no such pair
   is found within reach, the bound stays where step 2 left it (as in the source);
4. the apex is re-picked as the highest raw score inside the interval (the source keeps the peak);
5. greedy suppression, best score first (the source goes by onset order and has no score): an interval
   whose IoU with a kept one exceeds ``suppress_iou`` (0.2) or whose apex is at most ``k_p`` frames from a
   kept apex is dropped.

Every step is linear in the video's length for fixed ``k_p`` (a box filter, one peak search, windows of
at most ``(2 grow_span + 1) k_p`` frames per peak, the bucketed `causalex.spot.search.nms_1d`).
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from causalex.model.outputs import channel_index
from causalex.spot.decoders import finish_candidates, register_decoder, tracked_enough
from causalex.spot.search import nms_1d


def box_smooth(score: np.ndarray, width: int) -> np.ndarray:
    """Moving average of ``width`` frames, zero-padded, centred as ``np.convolve(score, box, "same")``.

    Shapes:
        score: ``[T]``; returns ``[T]`` float64.
    """
    score = np.asarray(score, np.float64)
    if width <= 1 or score.size == 0:
        return score.copy()
    full = np.convolve(score, np.full(width, 1.0 / width), mode="full")  # [T + width - 1]
    return full[(width - 1) // 2:(width - 1) // 2 + score.size]


def relative_peaks(smoothed: np.ndarray, p: float, distance: int) -> np.ndarray:
    """Peaks of ``smoothed`` above ``mean + p (max - mean)``, at least ``distance`` frames apart.

    Shapes:
        smoothed: ``[T]``; returns ``[N]`` int64 frames.
    """
    if smoothed.size < 3:
        return np.zeros(0, np.int64)
    level = float(smoothed.mean() + p * (smoothed.max() - smoothed.mean()))
    peaks, _ = find_peaks(smoothed, height=level, distance=max(1, distance))
    return peaks.astype(np.int64)


def _type_score(probs: np.ndarray, expression_type: str, config) -> np.ndarray:
    return np.asarray(probs[:, channel_index(expression_type, config.score_channel)], np.float64)


@register_decoder("me-tst")
def decode_me_tst(probs: np.ndarray, fps: float, expression_type: str, config, threshold: float | None = None,
                  valid: np.ndarray | None = None) -> list[tuple[int, int, int, float]]:
    """ME-TST's peak +- k_p intervals of one type (module docstring); best score first.

    Shapes:
        probs: ``[T, 8]``; valid: ``[T]`` bool.
    """
    cfg = config.for_type(expression_type)
    score = _type_score(probs, expression_type, config)
    k_p = cfg.half_length(fps, "mean")
    smoothed = box_smooth(score, 2 * k_p)
    peaks = relative_peaks(smoothed, config.relative_p, k_p)
    last = score.size - 1
    starts, ends = np.maximum(peaks - k_p, 0), np.minimum(peaks + k_p, last)
    ok = tracked_enough(starts, ends, valid, config.min_valid)
    peaks, starts, ends = peaks[ok], starts[ok], ends[ok]
    scores = smoothed[peaks]
    order = np.argsort(-scores, kind="stable")
    return finish_candidates(starts, peaks, ends, scores, order, cfg.threshold if threshold is None else threshold,
                             cfg.top_k)


def scalable_bounds(raw: np.ndarray, peak: int, k_p: int, mean: float, rise_level: float,
                    grow_span: float) -> tuple[int, int]:
    """BoostingVRME's onset and offset around one peak (steps 2 and 3 of the module docstring); ``mean`` is
    the video's mean raw score (computed once per video: the cost per peak is O(k_p)).

    Shapes:
        raw: ``[T]``.
    """
    n = raw.size
    level = rise_level * mean
    l0, r0 = max(0, peak - k_p), min(n - 1, peak + k_p)
    start, end = l0, r0
    for i in range(l0 + 1, peak):  # first rising frame above the level, from the left
        if raw[i] > raw[i - 1] and raw[i] > level:
            start = i - 1
            break
    for i in range(r0 - 1, peak, -1):  # last falling frame above the level, from the right
        if raw[i] > raw[i + 1] and raw[i] > level:
            end = i + 1
            break
    reach = int(round(grow_span * k_p))
    for i in range(start - 1, max(0, peak - reach) - 1, -1):  # grow until two frames fall below the mean
        if i > 0 and raw[i] < mean and raw[i - 1] < mean:
            start = i + 1
            break
    for j in range(end + 1, min(n - 1, peak + reach) + 1):
        if j < n - 1 and raw[j] < mean and raw[j + 1] < mean:
            end = j - 1
            break
    return start, max(end, start)


@register_decoder("boostingvrme")
def decode_boostingvrme(probs: np.ndarray, fps: float, expression_type: str, config,
                        threshold: float | None = None,
                        valid: np.ndarray | None = None) -> list[tuple[int, int, int, float]]:
    """BoostingVRME's scalable interval selection of one type (module docstring); best score first.

    Shapes:
        probs: ``[T, 8]``; valid: ``[T]`` bool.
    """
    cfg = config.for_type(expression_type)
    raw = _type_score(probs, expression_type, config)
    k_p = cfg.half_length(fps, "median")
    smoothed = box_smooth(raw, 2 * k_p)
    peaks = relative_peaks(smoothed, config.relative_p, k_p)
    starts, ends, apexes = (np.empty(peaks.size, np.int64) for _ in range(3))
    mean = float(raw.mean())
    for n, peak in enumerate(peaks.tolist()):
        s, e = scalable_bounds(raw, peak, k_p, mean, config.rise_level, config.grow_span)
        starts[n], ends[n] = s, e
        apexes[n] = s + int(np.argmax(raw[s:e + 1]))  # the apex re-picked on the raw score
    ok = tracked_enough(starts, ends, valid, config.min_valid)
    peaks, starts, ends, apexes = peaks[ok], starts[ok], ends[ok], apexes[ok]
    scores = smoothed[peaks]
    keep = nms_1d(starts, ends, scores, config.suppress_iou, apexes=apexes, apex_gap=k_p)
    return finish_candidates(starts, apexes, ends, scores, keep, cfg.threshold if threshold is None else threshold,
                             cfg.top_k)
