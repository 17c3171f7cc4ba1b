"""An untrained spotter: robust AU activity above a threshold (no model, no labels).

Per video: each AU minus its running median (``baseline_s``), in units of its own robust spread
(1.4826 x MAD), positive part only; the activity of a frame is the mean of its ``top_aus`` largest AU
scores, smoothed over ``smooth_s``, divided by its median over the video (so that the resting level is 1). Runs of activity above ``release`` that reach ``threshold``
somewhere (hysteresis; gaps up to ``merge_gap_s`` merged) become intervals; a run of at most ``micro_max_s`` is a micro-expression, longer ones up to
``macro_max_s`` are macro-expressions. It is a baseline to beat, not a spotter to use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import uniform_filter1d

from causalex.labels import Interval
from causalex.model.features import running_median
from causalex.series import AUSeries


@dataclass
class ThresholdConfig:
    """Settings of the untrained threshold spotter (seconds and robust z units)."""

    baseline_s: float = 4.0  # running-median window of each AU's baseline (longer than a macro-expression)
    smooth_s: float = 0.1  # moving-average window of the activity curve
    top_aus: int = 2  # activity = mean of this many most active AUs in the frame
    threshold: float = 4.0  # activity (times the resting level) a run must reach to count as a movement
    release: float = 1.4  # the run extends while the activity stays above this (hysteresis)
    merge_gap_s: float = 0.1  # runs separated by at most this are merged
    min_s: float = 0.1  # shorter runs are dropped
    micro_max_s: float = 0.5  # runs up to this long are micro-expressions (MEGC definition)
    macro_max_s: float = 4.0  # longer runs are dropped


def activity_curve(series: AUSeries, config: ThresholdConfig) -> np.ndarray:
    """Robust AU activity of every frame (0 on masked frames).

    Shapes:
        returns ``[T]`` float32.
    """
    values = np.asarray(series.values, np.float64)
    mask = series.mask
    fill = np.median(values[mask], axis=0) if mask.any() else np.zeros(values.shape[1])
    filled = np.where(mask[:, None], values, fill[None, :])
    detrended = filled - running_median(filled, max(3, int(round(config.baseline_s * series.fps)) | 1))
    valid = detrended[mask] if mask.any() else detrended
    spread = 1.4826 * np.median(np.abs(valid - np.median(valid, axis=0)), axis=0)
    spread = np.maximum(spread, 1e-3 + 0.05 * np.std(valid, axis=0))
    z = np.maximum(detrended / spread[None, :], 0.0)
    top = max(1, min(config.top_aus, z.shape[1]))
    act = np.sort(z, axis=1)[:, -top:].mean(1)
    act = uniform_filter1d(act, size=max(1, int(round(config.smooth_s * series.fps))), mode="nearest")
    rest = float(np.median(act[mask])) if mask.any() else 1.0
    act = act / max(rest, 1e-6)
    act[~mask] = 0.0
    return act.astype(np.float32)


def runs_above(curve: np.ndarray, threshold: float, merge_gap: int,
               release: float | None = None) -> list[tuple[int, int]]:
    """Inclusive ``(start, end)`` runs of ``curve > release`` that exceed ``threshold`` somewhere.

    Args:
        curve: the activity.
        threshold: level a run must reach.
        merge_gap: runs separated by at most this many frames are merged.
        release: level that delimits a run (default ``threshold``: no hysteresis).

    Shapes:
        curve: ``[T]``.
    """
    low = threshold if release is None else min(release, threshold)
    above = np.concatenate([[False], curve > low, [False]])
    edges = np.flatnonzero(above[1:] != above[:-1])
    runs = [(int(s), int(e) - 1) for s, e in zip(edges[::2], edges[1::2]) if curve[s:e].max() > threshold]
    merged: list[tuple[int, int]] = []
    for s, e in runs:
        if merged and s - merged[-1][1] - 1 <= merge_gap:
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


class ThresholdSpotter:
    """Untrained spotter (see module docstring)."""

    name = "threshold"
    trained = False

    def __init__(self, config: ThresholdConfig | None = None) -> None:
        self.config = config or ThresholdConfig()

    def spot_one(self, series: AUSeries) -> tuple[list[Interval], dict[str, np.ndarray]]:
        """Intervals of one video and its activity curve (``{"activity": [T]}``)."""
        curve = activity_curve(series, self.config)
        return self.intervals(series, curve), {"activity": curve}

    def intervals(self, series: AUSeries, curve: np.ndarray) -> list[Interval]:
        """Intervals of one video from its activity curve (``[T]``, see `activity_curve`)."""
        cfg, fps = self.config, series.fps
        out = []
        for s, e in runs_above(curve, cfg.threshold, int(round(cfg.merge_gap_s * fps)), cfg.release):
            length_s = (e - s + 1) / fps
            if length_s < cfg.min_s or length_s > cfg.macro_max_s:
                continue
            kind = "micro" if length_s <= cfg.micro_max_s else "macro"
            apex = s + int(np.argmax(curve[s:e + 1]))
            out.append(Interval(video=series.video, onset=s, apex=apex, offset=e, type=kind,
                                score=float(curve[apex])))
        return out

    def spot(self, series: list[AUSeries]) -> list[Interval]:
        """Intervals of every video, in each series' own frames."""
        return [iv for s in series for iv in self.spot_one(s)[0]]
