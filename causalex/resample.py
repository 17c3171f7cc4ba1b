"""Bring AU series and intervals to another frame rate and back (e.g. SAMM-LV 200 fps -> 30 fps).

Time model: frame ``i`` of a video at ``fps`` covers the time span ``[i / fps, (i + 1) / fps)`` and
its centre is ``(i + 0.5) / fps``. A series of ``T`` frames lasts ``T / fps`` seconds and becomes
``floor(T * dst / src + 0.5)`` frames at ``dst`` fps.

- `resample_series`: each new frame is the time-weighted mean of the source frames it overlaps
  (a box filter: averaging when downsampling, sample-and-hold when upsampling). A new frame is
  valid only if every source frame it overlaps (with positive overlap) is valid; invalid frames
  get value 0, as the readers write them.
- `resample_intervals`: an interval ``[onset, offset]`` is the span ``[onset/src, (offset+1)/src)``;
  it maps to the new frames whose **centres** lie inside that span. An interval too short to hold
  any centre becomes the one frame holding its middle. The apex maps to the new frame holding the
  apex's centre, clamped into the new interval. Every map is monotone, so ``onset <= apex <=
  offset`` survives, and a round trip ``src -> dst -> src`` moves each boundary by less than one
  frame at the coarser of the two rates (exactly none when ``dst`` is the finer rate).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Iterable

import numpy as np

from causalex.labels import Interval
from causalex.series import AUSeries

_EPS = 1e-9


def resampled_length(n_frames: int, src_fps: float, dst_fps: float) -> int:
    """Number of frames a ``n_frames``-long video has at ``dst_fps`` (at least 1 when non-empty)."""
    _check_rates(src_fps, dst_fps)
    if n_frames <= 0:
        return 0
    return max(1, math.floor(n_frames * dst_fps / src_fps + 0.5))


def resample_series(series: AUSeries, fps: float) -> AUSeries:
    """Resample a series to ``fps`` frames per second (mask-aware box filter, see module docstring).

    Shapes:
        ``series.values: [T, K]`` -> ``values: [T', K]`` with ``T' = resampled_length(T, series.fps, fps)``.

    Returns:
        A new series; ``meta['resampled_from']`` records the source rate and length.
    """
    src = series.fps
    _check_rates(src, fps)
    if math.isclose(src, fps, rel_tol=0, abs_tol=1e-12):
        return replace(series, values=series.values.copy(), mask=series.mask.copy(), meta=dict(series.meta))
    t_src = series.n_frames
    t_dst = resampled_length(t_src, src, fps)
    scale = src / fps  # source frames per new frame
    start = np.arange(t_dst, dtype=np.float64) * scale  # [T'] span start, in source frames
    stop = np.minimum((np.arange(t_dst, dtype=np.float64) + 1) * scale, t_src)  # [T'] span end
    clean = np.where(series.mask[:, None], series.values.astype(np.float64), 0.0)
    clean[~np.isfinite(clean)] = 0.0
    cum = np.vstack([np.zeros((1, series.n_aus)), np.cumsum(clean, axis=0)])  # [T+1, K] integral at frame edges

    def integral(x: np.ndarray) -> np.ndarray:  # x: [T'] positions in source frames -> [T', K]
        whole = np.clip(np.floor(x + _EPS).astype(np.int64), 0, t_src)
        frac = np.clip(x - whole, 0.0, None)[:, None]
        row = clean[np.minimum(whole, t_src - 1)] if t_src else np.zeros((len(x), series.n_aus))
        return cum[whole] + frac * np.where((whole < t_src)[:, None], row, 0.0)

    width = np.maximum(stop - start, _EPS)[:, None]
    values = (integral(stop) - integral(start)) / width  # [T', K]
    invalid = np.concatenate([[0], np.cumsum(~series.mask)])  # [T+1] invalid frames before each edge
    lo = np.clip(np.floor(start + _EPS).astype(np.int64), 0, t_src)
    hi = np.clip(np.ceil(stop - _EPS).astype(np.int64), 0, t_src)
    mask = (invalid[hi] - invalid[lo] == 0) & (hi > lo)
    values[~mask] = 0.0
    meta = dict(series.meta)
    meta["resampled_from"] = {"fps": src, "n_frames": t_src}
    return replace(series, values=values.astype(np.float32), mask=mask, fps=fps, meta=meta)


def frame_centres_at(n_frames: int, src_fps: float, dst_fps: float, dst_n_frames: int) -> np.ndarray:
    """For each of ``n_frames`` source frames, the ``dst_fps`` frame holding its centre (as the apex maps).

    Shapes: returns ``[n_frames]`` int64 indices in ``[0, dst_n_frames - 1]``.
    """
    _check_rates(src_fps, dst_fps)
    at = np.floor((np.arange(n_frames) + 0.5) * (dst_fps / src_fps) + _EPS).astype(np.int64)
    return np.clip(at, 0, max(dst_n_frames - 1, 0))


def resample_intervals(intervals: Iterable[Interval], src_fps: float, dst_fps: float,
                       dst_n_frames: int | None = None) -> list[Interval]:
    """Map intervals from ``src_fps`` frame indices to ``dst_fps`` frame indices (module docstring).

    Args:
        intervals: 0-based inclusive intervals at ``src_fps`` (labels or predictions; scores,
            types and emotions are kept).
        src_fps: frame rate the intervals are expressed in.
        dst_fps: frame rate to express them in.
        dst_n_frames: length of the target video; frames are clamped to ``dst_n_frames - 1``.

    Returns:
        The mapped intervals, in the same order.
    """
    _check_rates(src_fps, dst_fps)
    r = dst_fps / src_fps
    last = None if dst_n_frames is None else max(dst_n_frames - 1, 0)
    out = []
    for iv in intervals:
        onset = math.ceil(iv.onset * r - 0.5 - _EPS)
        offset = math.ceil((iv.offset + 1) * r - 0.5 - _EPS) - 1
        if offset < onset:  # no new frame centre inside: the frame holding the middle
            onset = offset = math.floor((iv.onset + iv.offset + 1) / 2 * r + _EPS)
        onset, offset = max(onset, 0), max(offset, 0)
        if last is not None:
            onset, offset = min(onset, last), min(offset, last)
        apex = math.floor((iv.apex + 0.5) * r + _EPS)
        apex = min(max(apex, onset), offset)
        out.append(iv.shifted(onset, apex, offset))
    return out


def _check_rates(*rates: float) -> None:
    for rate in rates:
        if not (rate > 0 and math.isfinite(rate)):
            raise ValueError(f"frame rates must be positive, got {rate}")
