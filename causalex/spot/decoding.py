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

This is the ``search`` decoder, the default of the decoder registry (`causalex.spot.decoders`);
``DecodeConfig.decoder`` picks another one (``me-tst``, ``boostingvrme``: `causalex.spot.peaks`) and
``DecodeConfig.synergy`` ME-TST's spot-then-recognise options (`causalex.spot.synergy`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
from scipy.signal import find_peaks

from causalex.labels import EXPRESSION_TYPES, Interval
from causalex.model.outputs import channel_index
from causalex.spot.decoders import check_decoder_name, finish_candidates, make_decoder, register_decoder, tracked_enough
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
    mean_duration_s: float = 0.0  # mean training duration of the type (me-tst's k_p; fitted in training, 0 = unknown)
    median_duration_s: float = 0.0  # median training duration (boostingvrme's k_p; fitted in training, 0 = unknown)

    def half_length(self, fps: float, statistic: str = "mean") -> int:
        """k_p of ME-TST / BoostingVRME in frames: half the ``mean`` (or ``median``) training length, at least 1.

        The source computes ``int((mean(offset - onset) + 1) / 2)``, i.e. half the inclusive length; where the
        training durations are unknown (0, checkpoints written before they were recorded) the middle of the
        duration bounds stands in for them.
        """
        seconds = self.mean_duration_s if statistic == "mean" else self.median_duration_s
        if seconds <= 0:
            seconds = 0.5 * (self.min_duration_s + self.max_duration_s)
        return max(1, int(seconds * fps / 2.0))


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
    decoder: str = "search"  # interval decoder (registry causalex.spot.decoders): search (apex candidates +
    # onset/offset search, causalex) | me-tst (peak +- k_p) | boostingvrme (scalable interval selection)
    score_channel: str = "inside"  # me-tst / boostingvrme: the per-frame score they read (inside | apex | onset |
    # offset of the type); the papers regress one "expression here" score, which our inside channel is
    relative_p: float = 0.55  # me-tst / boostingvrme: peaks above mean + p (max - mean) of the smoothed score
    rise_level: float = 2.0 / 3.0  # boostingvrme: the window shrinks to the first rising frame above this x video
    # mean (the source's mean / 1.5)
    grow_span: float = 5.0  # boostingvrme: bounds grow (until the score falls below the video mean) at most this
    # many k_p from the peak
    suppress_iou: float = 0.2  # boostingvrme: of two intervals overlapping more (or whose apexes are at most k_p
    # apart) the better one stays
    synergy: str = "none"  # spot-then-recognise (ME-TST): none (emotion = argmax of the mean class probabilities)
    # | drop-neutral (per-frame vote over neutral + emotions; intervals voted neutral are dropped) |
    # emotion-argmax (per-frame vote over the emotions only)

    def __post_init__(self) -> None:
        self.check()

    def check(self) -> None:
        """Raise ValueError naming the first field out of range (unknown decoder, synergy or channel too)."""
        from causalex.model.outputs import SPOT_KINDS
        from causalex.spot.synergy import SYNERGY_MODES

        check_decoder_name(self.decoder)
        if self.synergy not in SYNERGY_MODES:
            raise ValueError(f"unknown DecodeConfig.synergy {self.synergy!r}; valid: {', '.join(SYNERGY_MODES)}")
        if self.score_channel not in SPOT_KINDS:
            raise ValueError(f"unknown DecodeConfig.score_channel {self.score_channel!r}; valid: "
                             f"{', '.join(SPOT_KINDS)}")
        if not 0.0 <= self.min_valid <= 1.0:
            raise ValueError(f"DecodeConfig.min_valid is a share of tracked frames in [0, 1], got {self.min_valid}")
        for name, low, high in (("relative_p", 0.0, 1.0), ("rise_level", 0.0, float("inf")),
                                ("grow_span", 0.0, float("inf")), ("suppress_iou", 0.0, 1.0)):
            value = getattr(self, name)
            if not (low <= value <= high and value == value):
                raise ValueError(f"DecodeConfig.{name} must be in [{low:g}, {high:g}], got {value!r}")

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
            elif key in _NUMBER_FIELDS:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ValueError(f"DecodeConfig.{key} must be a number, got {value!r}")
                kwargs[key] = float(value)
            elif key in _TEXT_FIELDS:
                if not isinstance(value, str):
                    raise ValueError(f"DecodeConfig.{key} must be a string, got {value!r}")
                kwargs[key] = value
            else:
                raise ValueError(f"unknown DecodeConfig field {key!r}; valid: "
                                 f"{', '.join((*EXPRESSION_TYPES, *_NUMBER_FIELDS, *_TEXT_FIELDS))}")
        return cls(**kwargs)


_NUMBER_FIELDS = ("inside_weight", "min_valid", "relative_p", "rise_level", "grow_span", "suppress_iou")
_TEXT_FIELDS = ("decoder", "score_channel", "synergy")


@register_decoder("search")
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
    ok = tracked_enough(starts, ends, valid, config.min_valid)  # drop intervals mostly outside the tracked frames
    peaks, starts, ends = peaks[ok], starts[ok], ends[ok]
    scores = interval_scores(apex[peaks], interval_means(inside, starts, ends))  # [N] float64
    keep = nms_1d(starts, ends, scores, cfg.nms_iou)
    return finish_candidates(starts, peaks, ends, scores, keep, cfg.threshold if threshold is None else threshold,
                             cfg.top_k)


def decode_video(probs: np.ndarray, emotion_probs: np.ndarray | None, fps: float, video: str,
                 config: DecodeConfig, emotion_classes: tuple[str, ...] | list[str] = (),
                 thresholds: dict[str, float] | None = None, valid: np.ndarray | None = None) -> list[Interval]:
    """Intervals of both types for one video (the decoder ``config.decoder``), with the emotion of each.

    The emotion is the class of the highest mean probability inside the interval, or, with
    ``config.synergy``, ME-TST's per-frame vote (`causalex.spot.synergy`), which may drop intervals.

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
    from causalex.spot.synergy import vote_emotions

    decoder = make_decoder(config.decoder)
    out: list[Interval] = []
    for kind in EXPRESSION_TYPES:
        thr = None if thresholds is None else thresholds.get(kind)
        found = decoder(probs, fps, kind, config, thr, valid)
        emotions: list[str | None] = [""] * len(found)
        if found and emotion_probs is not None and len(emotion_classes):
            starts, ends = np.array([f[0] for f in found]), np.array([f[2] for f in found])
            if config.synergy == "none":
                means = interval_means(emotion_probs, starts, ends)
                emotions = [str(emotion_classes[int(i)]) for i in np.argmax(means, axis=1)]  # [N, C] -> [N]
            else:
                inside = probs[:, channel_index(kind, "inside")]
                emotions = vote_emotions(emotion_probs, inside, starts, ends, emotion_classes, config.synergy)
        for (s, p, e, score), emotion in zip(found, emotions):
            if emotion is None:  # voted neutral (synergy drop-neutral)
                continue
            out.append(Interval(video=video, onset=s, apex=p, offset=e, type=kind, emotion=emotion, score=score))
    out.sort(key=lambda iv: (iv.onset, iv.offset, iv.type))
    return out


def record_durations(decode: DecodeConfig, labels: list[Interval], fps_of: dict[str, float]) -> DecodeConfig:
    """``decode`` with each type's mean and median training duration (seconds, inclusive lengths) filled in
    from ``labels`` (the ``k_p`` of the ``me-tst`` / ``boostingvrme`` decoders; a checkpoint records them).

    A type without labels keeps its values. ``decode`` is changed in place and returned.
    """
    for kind in EXPRESSION_TYPES:
        secs = np.array([iv.length / fps_of[iv.video] for iv in labels if iv.type == kind and iv.video in fps_of])
        if secs.size:
            setattr(decode, kind, replace(decode.for_type(kind), mean_duration_s=float(secs.mean()),
                                          median_duration_s=float(np.median(secs))))
    return decode
