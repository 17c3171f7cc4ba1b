"""Per-frame training targets from labelled intervals.

For each expression type the targets are Gaussian bumps at the onset, apex and offset frames (width a
fraction of the expression length) and a 0/1 inside indicator; the emotion target is the class index of
the expression covering the frame (-1 elsewhere, ignored by the loss).
"""

from __future__ import annotations

import numpy as np

from causalex.labels import Interval
from causalex.model.outputs import SPOT_CHANNELS, channel_index, emotion_index


def build_targets(intervals: list[Interval], n_frames: int, fps: float, sigma_ratio: float, sigma_min_s: float,
                  emotion_classes: tuple[str, ...] | list[str],
                  apex_sigma_ratio: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Targets of one video.

    Args:
        intervals: the video's expressions, in frames of the working rate.
        n_frames: T, frames of the video at the working rate.
        fps: the working rate.
        sigma_ratio: bump width as a fraction of the expression length.
        sigma_min_s: minimum bump width, seconds.
        apex_sigma_ratio: apex bump width as a fraction of the length (default ``sigma_ratio``).
        emotion_classes: the model's emotion classes.

    Returns:
        ``(spot, emotion)``: float32 targets in ``[0, 1]`` and int64 class indices (-1 = none).

    Shapes:
        returns ``spot: [T, 8]`` (order of `SPOT_CHANNELS`), ``emotion: [T]``.
    """
    spot = np.zeros((n_frames, len(SPOT_CHANNELS)), np.float32)
    emotion = np.full(n_frames, -1, np.int64)
    frames = np.arange(n_frames, dtype=np.float64)
    for iv in intervals:
        s, a, e = (min(max(v, 0), n_frames - 1) for v in (iv.onset, iv.apex, iv.offset))
        length = e - s + 1
        sigma = max(sigma_min_s * fps, sigma_ratio * length, 0.5)
        sigma_apex = max(sigma_min_s * fps, (apex_sigma_ratio or sigma_ratio) * length, 0.5)
        lo = max(0, int(s - 4 * max(sigma, sigma_apex)))
        hi = min(n_frames, int(e + 4 * max(sigma, sigma_apex)) + 2)
        window = frames[lo:hi]
        for kind, centre, width in (("onset", s, sigma), ("apex", a, sigma_apex), ("offset", e, sigma)):
            col = channel_index(iv.type, kind)
            bump = np.exp(-0.5 * ((window - centre) / width) ** 2).astype(np.float32)
            np.maximum(spot[lo:hi, col], bump, out=spot[lo:hi, col])
        spot[s:e + 1, channel_index(iv.type, "inside")] = 1.0
        cls = emotion_index(iv.emotion, emotion_classes)
        if cls >= 0:
            emotion[s:e + 1] = cls
    return spot, emotion
