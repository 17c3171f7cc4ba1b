"""Per-frame scores -> expression intervals: apex candidates, onset/offset search, NMS per type.

For each expression type separately:

1. apex candidates are the peaks of the apex score above ``candidate_floor``, at least
   ``peak_distance_s`` apart;
2. around each apex the onset ``s`` and offset ``e`` maximise
   ``onset[s] + offset[e] + inside_weight * sum_{t=s..e}(inside[t] - 0.5) / (L_max / 2)``
   subject to ``min_duration_s <= (e - s + 1) / fps <= max_duration_s``;
3. the interval's score is ``sqrt(apex[p] * mean(inside[s..e]))``;
4. an interval in which fewer than ``min_valid`` of the frames are tracked (the face was lost: the
   scores there rest on no data) is dropped;
5. greedy non-maximum suppression (IoU > ``nms_iou``) keeps the best of overlapping intervals, then
   those scoring below ``threshold`` are dropped and at most ``top_k`` per video are kept.

The cost is linear in the number of candidates and the memory bounded whatever the video's length
(`causalex.spot.search`: the same intervals as the exhaustive search and the plain greedy NMS, bit for bit).
Durations are in seconds, so the same settings work at any frame rate. ``threshold`` (and the duration
bounds) are normally chosen on validation subjects by `causalex.train.selection`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.signal import find_peaks

from causalex.labels import EXPRESSION_TYPES, Interval
from causalex.model.outputs import channel_index
from causalex.spot.search import interval_means, interval_scores, nms_1d, search_bounds, search_bounds_many

__all__ = ["DecodeConfig", "TypeDecodeConfig", "decode_type", "decode_video", "nms_1d", "search_bounds"]


@dataclass
class TypeDecodeConfig:
    """Decoding settings of one expression type."""

    min_duration_s: float  # shortest interval the search may return, seconds
    max_duration_s: float  # longest interval, seconds
    peak_distance_s: float  # minimum distance between two apex candidates, seconds
    threshold: float = 0.3  # minimum interval score kept (chosen on validation subjects)
    candidate_floor: float = 0.05  # apex peaks below this are never candidates
    nms_iou: float = 0.2  # overlapping intervals above this IoU keep only the best one
    top_k: int = 0  # at most this many intervals per video (0 = no limit)


def _default_micro() -> TypeDecodeConfig:
    return TypeDecodeConfig(min_duration_s=0.1, max_duration_s=0.5, peak_distance_s=0.3)


def _default_macro() -> TypeDecodeConfig:
    return TypeDecodeConfig(min_duration_s=0.5, max_duration_s=4.0, peak_distance_s=0.8)


@dataclass
class DecodeConfig:
    """Decoding settings of both types (the defaults follow the MEGC definitions: micro < 0.5 s)."""

    micro: TypeDecodeConfig = field(default_factory=_default_micro)  # micro-expression decoding
    macro: TypeDecodeConfig = field(default_factory=_default_macro)  # macro-expression decoding
    inside_weight: float = 1.0  # weight of the inside score in the onset/offset search
    min_valid: float = 0.5  # intervals with a smaller share of tracked frames are dropped (needs the mask)

    def for_type(self, expression_type: str) -> TypeDecodeConfig:
        """Settings of ``micro`` or ``macro``.

        Raises:
            ValueError: unknown type.
        """
        if expression_type not in EXPRESSION_TYPES:
            raise ValueError(f"unknown expression type {expression_type!r}; valid: {', '.join(EXPRESSION_TYPES)}")
        return getattr(self, expression_type)

    def to_dict(self) -> dict:
        """Plain dict (JSON)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "DecodeConfig":
        """Inverse of `to_dict` (missing keys keep their defaults)."""
        from causalex.model.config import dataclass_from_dict

        base = cls()
        kwargs = {}
        for key, value in data.items():
            if key in EXPRESSION_TYPES:
                if not isinstance(value, dict):
                    raise ValueError(f"DecodeConfig.{key} must be an object of TypeDecodeConfig fields, got {value!r}")
                kwargs[key] = dataclass_from_dict(TypeDecodeConfig, {**asdict(getattr(base, key)), **value},
                                                   defaults=getattr(base, key))
            elif key in ("inside_weight", "min_valid"):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError(f"DecodeConfig.{key} must be a number, got {value!r}")
                kwargs[key] = float(value)
            else:
                raise ValueError(f"unknown DecodeConfig field {key!r}; valid: micro, macro, inside_weight, "
                                 f"min_valid")
        if not 0.0 <= kwargs.get("min_valid", base.min_valid) <= 1.0:
            raise ValueError(f"DecodeConfig.min_valid is a share of tracked frames in [0, 1], got {kwargs['min_valid']}")
        return cls(**kwargs)


def decode_type(probs: np.ndarray, fps: float, expression_type: str, config: DecodeConfig,
                threshold: float | None = None, valid: np.ndarray | None = None) -> list[tuple[int, int, int, float]]:
    """Intervals of one type from per-frame probabilities.

    Args:
        probs: sigmoid outputs in the order of `causalex.model.outputs.SPOT_CHANNELS`.
        fps: frame rate of ``probs``.
        expression_type: ``micro`` or ``macro``.
        config: decoding settings.
        threshold: score threshold overriding the config's (``0`` keeps every candidate).
        valid: tracked frames; intervals mostly outside them are dropped (``config.min_valid``).

    Returns:
        ``(onset, apex, offset, score)`` tuples, best score first.

    Shapes:
        probs: ``[T, 8]``; valid: ``[T]`` bool.
    """
    cfg = config.for_type(expression_type)
    onset = probs[:, channel_index(expression_type, "onset")]
    offset = probs[:, channel_index(expression_type, "offset")]
    apex = probs[:, channel_index(expression_type, "apex")]
    inside = probs[:, channel_index(expression_type, "inside")]
    min_len = max(1, int(round(cfg.min_duration_s * fps)))
    max_len = max(min_len, int(round(cfg.max_duration_s * fps)))
    distance = max(1, int(round(cfg.peak_distance_s * fps)))
    padded = np.concatenate([[-1.0], apex, [-1.0]])  # so that a peak at either end counts
    peaks, _ = find_peaks(padded, height=cfg.candidate_floor, distance=distance)
    peaks = peaks - 1
    if peaks.size == 0:
        return []
    starts, ends = search_bounds_many(onset, offset, inside, peaks, min_len, max_len, config.inside_weight)
    if valid is not None:  # drop intervals mostly outside the tracked frames
        tracked = np.concatenate([[0], np.cumsum(np.asarray(valid, bool))])  # [T+1]
        ok = ~(tracked[ends + 1] - tracked[starts] < config.min_valid * (ends - starts + 1))
        peaks, starts, ends = peaks[ok], starts[ok], ends[ok]
    scores = interval_scores(apex[peaks], interval_means(inside, starts, ends))  # [N] float64
    keep = nms_1d(starts, ends, scores, cfg.nms_iou)
    thr = cfg.threshold if threshold is None else threshold
    out = [(int(starts[i]), int(peaks[i]), int(ends[i]), float(scores[i])) for i in keep.tolist() if scores[i] >= thr]
    if cfg.top_k > 0:
        out = out[:cfg.top_k]
    return out


def decode_video(probs: np.ndarray, emotion_probs: np.ndarray | None, fps: float, video: str,
                 config: DecodeConfig, emotion_classes: tuple[str, ...] | list[str] = (),
                 thresholds: dict[str, float] | None = None, valid: np.ndarray | None = None) -> list[Interval]:
    """Intervals of both types for one video, with the emotion of each (mean class probability inside).

    Args:
        probs: spotting probabilities.
        emotion_probs: emotion class probabilities, or None (emotion left empty).
        fps: frame rate of the scores.
        video: video id put on the intervals.
        config: decoding settings.
        emotion_classes: class names of ``emotion_probs``' columns.
        thresholds: per-type score thresholds overriding the config (``{"micro": 0.0}`` keeps all).
        valid: tracked frames (intervals mostly outside them are dropped), or None.

    Returns:
        Intervals in frames of ``probs``, sorted by onset.

    Shapes:
        probs: ``[T, 8]``; emotion_probs: ``[T, C]``; valid: ``[T]`` bool.
    """
    out: list[Interval] = []
    for kind in EXPRESSION_TYPES:
        thr = None if thresholds is None else thresholds.get(kind)
        found = decode_type(probs, fps, kind, config, thr, valid)
        emotions = [""] * len(found)
        if found and emotion_probs is not None and len(emotion_classes):
            means = interval_means(emotion_probs, np.array([f[0] for f in found]), np.array([f[2] for f in found]))
            emotions = [str(emotion_classes[int(i)]) for i in np.argmax(means, axis=1)]  # [N, C] -> [N]
        for (s, p, e, score), emotion in zip(found, emotions):
            out.append(Interval(video=video, onset=s, apex=p, offset=e, type=kind, emotion=emotion, score=score))
    out.sort(key=lambda iv: (iv.onset, iv.offset, iv.type))
    return out
