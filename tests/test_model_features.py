"""Node features in float32 without whole-video float64 copies: same values as a float64 reference, and
peak allocations of about twice the output (they were seven times)."""

import tracemalloc

import numpy as np
import pytest
from scipy.ndimage import median_filter

from causalex.model.features import FeatureConfig, compute_node_features


def _reference(values, mask, fps, cfg=FeatureConfig()):
    """The features computed in float64 the straightforward way (the definition they must match)."""
    values = values.astype(np.float64)
    median = np.median(values[mask], axis=0) if mask.any() else np.zeros(values.shape[1])
    filled = np.where(mask[:, None], values, median[None, :])
    level = filled - median
    spread = level[mask].std() if mask.sum() > 1 else 0.0
    scale = 1.0 / max(spread, cfg.min_spread)
    size = min(max(3, int(round(cfg.baseline_s * fps)) | 1), len(values))
    step = max(1, size // 16)
    if step == 1:
        baseline = median_filter(filled, size=(size, 1), mode="nearest")
    else:
        idx = np.arange(0, len(values), step)
        coarse = median_filter(filled[idx], size=(max(1, size // step), 1), mode="nearest")
        baseline = np.stack([np.interp(np.arange(len(values)), idx, coarse[:, k]) for k in range(values.shape[1])], 1)
    detrended = filled - baseline
    h = max(1, int(round(cfg.velocity_s * fps)))
    padded = np.pad(filled, ((h, h), (0, 0)), mode="edge")
    velocity = padded[2 * h:] - padded[:-2 * h]
    noise = 1.4826 * np.median(np.abs(detrended[mask] if mask.any() else detrended), axis=0)
    noise = np.maximum(noise, max(cfg.min_noise_ratio * spread, cfg.min_spread))
    feats = np.clip(np.stack([level * scale, detrended / noise, velocity * scale], -1), -cfg.clip, cfg.clip)
    feats[~mask] = 0.0
    return np.concatenate([feats, np.broadcast_to(mask[:, None, None], feats.shape[:2] + (1,))], -1)


@pytest.mark.parametrize("seed", range(6))
def test_float32_features_match_the_float64_definition(seed):
    rng = np.random.default_rng(seed)
    t, k = int(rng.integers(3, 2500)), int(rng.integers(1, 18))
    values = (np.cumsum(rng.normal(size=(t, k)), 0) * rng.uniform(0.01, 5)).astype(np.float32)
    mask = rng.random(t) > rng.uniform(0, 0.4)
    fps = float(rng.choice([25.0, 30.0, 200.0]))
    got = compute_node_features(values, mask, fps)
    assert got.dtype == np.float32 and got.shape == (t, k, 4) and got.flags.c_contiguous
    np.testing.assert_allclose(got, _reference(values, mask, fps), atol=5e-5, rtol=1e-5)


def test_peak_allocations_stay_near_the_output_size():
    rng = np.random.default_rng(0)
    values = np.cumsum(rng.normal(size=(20_000, 17)), 0).astype(np.float32)
    mask = rng.random(20_000) > 0.1
    compute_node_features(values[:50], mask[:50], 30.0)  # warm scipy's imports outside the measurement
    tracemalloc.start()
    try:
        out = compute_node_features(values, mask, 30.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2.5 * out.nbytes, f"peak {peak / 1e6:.1f} MB for a {out.nbytes / 1e6:.1f} MB output"
