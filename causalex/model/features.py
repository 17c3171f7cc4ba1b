"""Per-frame AU node features: intensity level and short temporal context, computed once per video.

For each frame t and AU k the model sees ``F = 4`` numbers (`FEATURE_NAMES`):

* ``level``: intensity minus the video's median, in units of the video's spread (so OpenFace 0-5
  intensities and py-feat 0-1 probabilities land on the same scale);
* ``detrended``: intensity minus its running median over ``baseline_s`` seconds (slow drifts removed,
  what is left are transient movements), in units of that AU's own robust noise level (1.4826 x MAD),
  so that a weak movement of a quiet AU stands out;
* ``velocity``: change over ``velocity_s`` seconds (centred difference), same units as ``level``;
* ``valid``: 1 for a tracked face, 0 for a masked frame (whose other features are 0, never a fake
  neutral face).

All windows are in seconds, so the same configuration works at any frame rate.

Memory: everything is float32 and the features are written in place into the one ``[T, K, F]`` output,
so a video costs about ``T x K x (4 F + 16)`` bytes (the output plus four ``[T, K]`` float32 buffers), not
the float64 copies of each feature (`causalex spot` on hours of video).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy.ndimage import median_filter

FEATURE_NAMES = ("level", "detrended", "velocity", "valid")


@dataclass
class FeatureConfig:
    """How AU series become node features (defaults used by `causalex train`)."""

    baseline_s: float = 2.0  # running-median window for the `detrended` feature, seconds
    velocity_s: float = 0.1  # half-span of the centred difference for `velocity`, seconds
    min_spread: float = 1e-3  # floor of the per-video spread used to normalise (avoids /0 on flat videos)
    min_noise_ratio: float = 0.05  # floor of an AU's noise level, as a fraction of the video's spread
    clip: float = 10.0  # features are clipped to [-clip, clip] after normalisation

    @property
    def n_features(self) -> int:
        """Number of features per AU node (F)."""
        return len(FEATURE_NAMES)

    def to_dict(self) -> dict:
        """Plain dict (JSON)."""
        return asdict(self)


def running_median(values: np.ndarray, size: int) -> np.ndarray:
    """Centred running median of each column over ``size`` frames (edges repeat the end values).

    Long windows are computed on every ``size // 16``-th frame and interpolated back: the result is a
    slow baseline, so the decimation changes it little and makes it ~10x faster. The result has the
    dtype of ``values`` when that is floating (float32 stays float32).

    Shapes:
        values: ``[T, K]``; returns ``[T, K]``.
    """
    t = values.shape[0]
    size = max(1, min(size, t))
    step = max(1, size // 16)
    if step == 1:
        return median_filter(values, size=(size, 1), mode="nearest")
    idx = np.arange(0, t, step)
    coarse = median_filter(values[idx], size=(max(1, size // step), 1), mode="nearest")  # [T/step, K]
    frames = np.arange(t)
    dtype = values.dtype if np.issubdtype(values.dtype, np.floating) else np.float64
    out = np.empty(values.shape, dtype)
    for k in range(values.shape[1]):  # one column at a time: no [T, K] float64 temporary
        out[:, k] = np.interp(frames, idx, coarse[:, k])
    return out


def _fill_invalid(values: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Replace masked rows by the per-AU median of valid rows. Shapes: ``[T, K]`` -> ``[T, K], [K]``."""
    k = values.shape[1]
    if mask.any():
        median = np.median(values[mask], axis=0).astype(np.float32)
    else:
        median = np.zeros(k, np.float32)
    filled = np.where(mask[:, None], values, median[None, :]).astype(np.float32)
    filled = np.nan_to_num(filled, nan=0.0, posinf=0.0, neginf=0.0)
    return filled, np.nan_to_num(median)


def compute_node_features(values: np.ndarray, mask: np.ndarray, fps: float,
                          config: FeatureConfig | None = None) -> np.ndarray:
    """Node features of one video.

    Args:
        values: AU intensities at the working frame rate.
        mask: True where the frame is valid.
        fps: frame rate of ``values``.
        config: feature settings (defaults if None).

    Returns:
        Features in the order of `FEATURE_NAMES`, float32.

    Shapes:
        values: ``[T, K]``; mask: ``[T]``; returns ``[T, K, F]``.
    """
    config = config or FeatureConfig()
    values = np.asarray(values, np.float32)
    mask = np.asarray(mask, bool)
    t, k = values.shape
    out = np.zeros((t, k, len(FEATURE_NAMES)), np.float32)  # written in place, feature by feature
    filled, median = _fill_invalid(values, mask)
    level = out[:, :, 0]
    np.subtract(filled, median[None, :], out=level)
    spread = float(level[mask].std(dtype=np.float64)) if mask.sum() > 1 else 0.0
    scale = np.float32(1.0 / max(spread, config.min_spread))

    detrended = out[:, :, 1]
    np.subtract(filled, running_median(filled, max(3, int(round(config.baseline_s * fps)) | 1)), out=detrended)

    h = max(1, int(round(config.velocity_s * fps)))
    velocity = out[:, :, 2]  # centred difference, the ends repeating the first and last frames
    if t > 2 * h:
        np.subtract(filled[2 * h:], filled[:-2 * h], out=velocity[h:t - h])
    for i in list(range(min(h, t))) + list(range(max(h, t - h), t)):
        velocity[i] = filled[min(i + h, t - 1)] - filled[max(i - h, 0)]
    del filled

    valid_detrended = detrended[mask] if mask.any() else detrended
    noise = 1.4826 * np.median(np.abs(valid_detrended), axis=0)  # [K] robust noise level of each AU
    noise = np.maximum(noise, max(config.min_noise_ratio * spread, config.min_spread)).astype(np.float32)
    level *= scale
    detrended /= noise[None, :]
    velocity *= scale
    feats = out[:, :, :3]
    np.clip(feats, -config.clip, config.clip, out=feats)
    out[~mask] = 0.0
    out[:, :, 3] = mask[:, None]
    return out
