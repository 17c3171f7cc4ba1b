"""Videos prepared for training and scoring: working frame rate, node features, targets, windows.

Features are computed once per video (`prepare_video`); each epoch draws windows anew
(`WindowSampler`): every window whose loss region holds an expression is used, expression-free
("neutral") windows are sampled at ``neutral_fraction`` rather than discarded. With
``DataConfig.sampling = "videos"`` every training video is one example instead (`VideoSampler`,
PESFormer's whole-video training); `make_sampler` picks by the config.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import torch

from causalex.errors import input_error
from causalex.labels import Interval
from causalex.model.features import FeatureConfig, compute_node_features
from causalex.model.outputs import SPOT_CHANNELS
from causalex.series import AUSeries
from causalex.train.config import DataConfig
from causalex.train.targets import build_targets

log = logging.getLogger(__name__)
_INSIDE = [i for i, c in enumerate(SPOT_CHANNELS) if c.endswith("_inside")]


@dataclass
class PreparedVideo:
    """One video at the working frame rate, ready for the model.

    Attributes:
        video, subject: ids.
        features: ``[T, K, F]`` node features.
        valid: ``[T]`` bool, tracked frames.
        fps: working frame rate.
        source_fps: frame rate of the original series (labels and predictions use its frames).
        n_source_frames: frames of the original series.
        labels: the video's intervals in source frames (empty for unlabelled videos).
        spot_targets: ``[T, 8]`` targets (None when not labelled).
        emotion_targets: ``[T]`` class indices (-1 none), None when not labelled.
        working_labels: ``labels`` in frames of the working rate.
    """

    video: str
    subject: str
    features: np.ndarray
    valid: np.ndarray
    fps: float
    source_fps: float
    n_source_frames: int
    labels: list[Interval] = field(default_factory=list)
    spot_targets: np.ndarray | None = None
    emotion_targets: np.ndarray | None = None
    working_labels: list[Interval] = field(default_factory=list)

    @property
    def n_frames(self) -> int:
        """Frames at the working rate."""
        return int(self.features.shape[0])


def series_origin(series: AUSeries) -> str:
    """The file a series came from, or its video id."""
    return str(series.meta.get("file") or series.video)


def to_working_rate(series: AUSeries, fps: float) -> AUSeries:
    """The series resampled to ``fps`` (returned as is when the rate already matches)."""
    if abs(series.fps - fps) < 1e-6:
        return series
    from causalex.resample import resample_series

    return resample_series(series, fps)


def frames_to_rate(intervals: list[Interval], src_fps: float, dst_fps: float) -> list[Interval]:
    """Intervals converted between frame rates (unchanged when equal)."""
    if abs(src_fps - dst_fps) < 1e-6 or not intervals:
        return list(intervals)
    from causalex.resample import resample_intervals

    return list(resample_intervals(intervals, src_fps, dst_fps))


def prepare_video(series: AUSeries, au_names: list[str], data: DataConfig, features: FeatureConfig,
                  labels: list[Interval] | None = None,
                  emotion_classes: tuple[str, ...] | list[str] = ()) -> PreparedVideo:
    """Resample, compute features and (when labelled) targets of one video.

    Args:
        series: the AU series as read.
        au_names: the model's AUs, in order.
        data: working rate, window length and target widths.
        features: feature settings.
        labels: the video's intervals in source frames; None for a video to score only.
        emotion_classes: classes of the emotion targets.

    Raises:
        InputError: the series lacks an AU of ``au_names``, is shorter than one window, or a label
            lies outside the video.
    """
    origin = series_origin(series)
    missing = [a for a in au_names if a not in series.au_names]
    if missing:
        raise input_error(origin, f"AU series lacks {', '.join(missing)} that the model uses "
                                  f"(model AUs: {' '.join(au_names)}; series AUs: {' '.join(series.au_names)})")
    if series.duration_s + 1e-9 < data.window_s:
        raise input_error(origin, f"video {series.video!r} lasts {series.duration_s:.2f} s, shorter than one "
                                  f"window ({data.window_s:g} s)")
    for iv in labels or []:
        if iv.offset >= series.n_frames:
            raise input_error(origin, f"label {iv.onset}-{iv.offset} ({iv.type}) ends after the last frame "
                                      f"{series.n_frames - 1} of video {series.video!r}")
    work = to_working_rate(series.select(au_names), data.working_fps)
    feats = compute_node_features(work.values, work.mask, work.fps, features)
    out = PreparedVideo(video=series.video, subject=series.subject, features=feats, valid=work.mask.copy(),
                        fps=work.fps, source_fps=series.fps, n_source_frames=series.n_frames,
                        labels=list(labels or []))
    if labels is not None:
        working = frames_to_rate(list(labels), series.fps, work.fps)
        out.working_labels = working
        out.spot_targets, out.emotion_targets = build_targets(
            working, out.n_frames, work.fps, data.sigma_ratio, data.sigma_min_s, emotion_classes,
            data.apex_sigma_ratio)
    return out


@dataclass
class WindowBatch:
    """A batch of training windows as tensors.

    Shapes:
        x: ``[B, W, K, F]``; spot: ``[B, W, 8]``; emotion: ``[B, W]``; loss_mask: ``[B, W]`` bool.
    """

    x: torch.Tensor
    spot: torch.Tensor
    emotion: torch.Tensor
    loss_mask: torch.Tensor

    def to(self, device: torch.device) -> "WindowBatch":
        """Move every tensor to ``device``."""
        return WindowBatch(*(t.to(device, non_blocking=True) for t in (self.x, self.spot, self.emotion,
                                                                       self.loss_mask)))


class ExampleSampler:
    """What `causalex.train.loop.train_model` needs of a sampler: ``epoch()`` (the examples ``(video index,
    start frame)`` of one epoch), ``collate(examples)`` and ``batches(batch_size)``."""

    def __init__(self, videos: list[PreparedVideo], data: DataConfig, rng: np.random.Generator) -> None:
        if not videos:
            raise ValueError("no training videos")
        self.videos = videos
        self.data = data
        self.rng = rng

    def epoch(self) -> list[tuple[int, int]]:  # pragma: no cover - interface
        """Examples of one epoch, shuffled."""
        raise NotImplementedError

    def batches(self, batch_size: int) -> list[list[tuple[int, int]]]:
        """One epoch's examples split into batches."""
        examples = self.epoch()
        return [examples[i:i + batch_size] for i in range(0, len(examples), batch_size)]


class WindowSampler(ExampleSampler):
    """Draws the training windows of an epoch and collates them into batches.

    Windows are ``window_s`` long; the loss covers their core (the window minus ``context_s`` at each
    end, which only gives context), and at a video end also the context side, as inference does.
    Each epoch has one window per expression (``micro_repeat`` per micro-expression), placed at random
    so that the expression lies in the core, plus ``neutral_ratio`` times as many windows drawn from
    the expression-free stretches of the videos.

    Args:
        videos: labelled prepared videos (each at least one window long).
        data: window settings.
        rng: random generator (seeded by the caller).
    """

    def __init__(self, videos: list[PreparedVideo], data: DataConfig, rng: np.random.Generator) -> None:
        super().__init__(videos, data, rng)
        fps = videos[0].fps
        self.window = max(3, int(round(data.window_s * fps)))
        self.context = min(int(round(data.context_s * fps)), (self.window - 1) // 2)
        self.core = self.window - 2 * self.context
        self._neutral = [(vi, s) for vi in range(len(videos)) for s in self._neutral_starts(vi)]

    def _loss_range(self, start: int, n_frames: int) -> tuple[int, int]:
        lo = 0 if start == 0 else self.context
        hi = self.window if start + self.window >= n_frames else self.window - self.context
        return lo, hi

    def _neutral_starts(self, vi: int) -> list[int]:
        """Tiling windows whose loss region holds no expression frame."""
        v = self.videos[vi]
        inside = v.spot_targets[:, _INSIDE].max(1) > 0  # [T]
        out = []
        for c in range(0, v.n_frames, self.core):
            s = min(max(0, c - self.context), v.n_frames - self.window)
            lo, hi = self._loss_range(s, v.n_frames)
            if not inside[s + lo:s + hi].any():
                out.append(s)
        return sorted(set(out))

    def _expression_start(self, v: PreparedVideo, iv: Interval) -> int:
        lo = max(0, iv.offset + 1 + self.context - self.window)
        hi = min(v.n_frames - self.window, iv.onset - self.context)
        if lo > hi:  # longer than the core, or at a video end: centre it
            centre = (iv.onset + iv.offset) // 2 - self.window // 2
            return int(min(max(0, centre), v.n_frames - self.window))
        return int(self.rng.integers(lo, hi + 1)) if self.data.jitter else (lo + hi) // 2

    def epoch(self) -> list[tuple[int, int]]:
        """Windows ``(video index, start frame)`` of one epoch, shuffled."""
        chosen = []
        for vi, v in enumerate(self.videos):
            for iv in v.working_labels:
                repeats = self.data.micro_repeat if iv.type == "micro" else 1
                chosen.extend((vi, self._expression_start(v, iv)) for _ in range(repeats))
        n_neutral = min(len(self._neutral), int(round(self.data.neutral_ratio * max(1, len(chosen)))))
        if n_neutral:
            picks = self.rng.choice(len(self._neutral), size=n_neutral, replace=False)
            for i in picks:
                vi, s = self._neutral[int(i)]
                if self.data.jitter:  # shift within the expression-free stretch when possible
                    s = int(min(max(0, s + self.rng.integers(-self.context, self.context + 1)),
                                self.videos[vi].n_frames - self.window))
                chosen.append((vi, s))
        order = self.rng.permutation(len(chosen))
        return [chosen[i] for i in order]

    def collate(self, windows: list[tuple[int, int]]) -> WindowBatch:
        """Stack windows into a `WindowBatch` (loss only on valid frames of each loss region)."""
        xs, spots, emos, masks = [], [], [], []
        for vi, s in windows:
            v = self.videos[vi]
            e = s + self.window
            xs.append(v.features[s:e])
            spots.append(v.spot_targets[s:e])
            emos.append(v.emotion_targets[s:e])
            mask = np.zeros(self.window, bool)
            lo, hi = self._loss_range(s, v.n_frames)
            mask[lo:hi] = v.valid[s + lo:s + hi]
            masks.append(mask)
        return WindowBatch(torch.from_numpy(np.stack(xs)), torch.from_numpy(np.stack(spots)),
                           torch.from_numpy(np.stack(emos)), torch.from_numpy(np.stack(masks)))


class VideoSampler(ExampleSampler):
    """Every training video whole, ``repeats`` times per epoch (PESFormer's training on whole padded videos).

    ``repeats`` is ``data.video_repeats``, or (0) as many examples per epoch as `WindowSampler` draws from the same
    videos divided by their number (at least 1): an epoch is then the same number of optimiser steps under both
    samplings, so that a recipe's epoch count means the same training for either.

    Each example is ``length`` frames: the longest training video, or ``video_cap_s`` when that is set and
    shorter. A shorter video is zero-padded at its end; a longer one gives a crop of ``length`` frames,
    drawn anew each epoch (centred without ``jitter``). The loss covers the video's own tracked frames only
    (padding is masked), with no context margin: the whole video is scored, as at inference.

    Args:
        videos: labelled prepared videos.
        data: ``video_cap_s`` and ``jitter``.
        rng: random generator (seeded by the caller).
    """

    def __init__(self, videos: list[PreparedVideo], data: DataConfig, rng: np.random.Generator) -> None:
        super().__init__(videos, data, rng)
        longest = max(v.n_frames for v in videos)
        cap = int(round(data.video_cap_s * videos[0].fps)) if data.video_cap_s > 0 else longest
        self.length = max(1, min(cap, longest))
        if data.video_repeats > 0:
            self.repeats = int(data.video_repeats)
        else:  # the window sampler's example count (its own generator: the training one is not consumed)
            windows = len(WindowSampler(videos, data, np.random.default_rng(0)).epoch())
            self.repeats = max(1, int(round(windows / len(videos))))

    def epoch(self) -> list[tuple[int, int]]:
        """``repeats`` ``(video index, crop start)`` per video, shuffled."""
        chosen = []
        for _ in range(self.repeats):
            for vi, v in enumerate(self.videos):
                spare = v.n_frames - self.length
                start = 0 if spare <= 0 else (int(self.rng.integers(0, spare + 1)) if self.data.jitter else spare // 2)
                chosen.append((vi, start))
        order = self.rng.permutation(len(chosen))
        return [chosen[i] for i in order]

    def collate(self, examples: list[tuple[int, int]]) -> WindowBatch:
        """Stack the (cropped) videos, zero-padded to ``length`` frames; the loss mask covers real, tracked frames.

        Shapes:
            returns x ``[B, L, K, F]``, spot ``[B, L, 8]``, emotion ``[B, L]``, loss_mask ``[B, L]``.
        """
        first = self.videos[examples[0][0]]
        n = len(examples)
        x = np.zeros((n, self.length, *first.features.shape[1:]), first.features.dtype)
        spot = np.zeros((n, self.length, first.spot_targets.shape[1]), first.spot_targets.dtype)
        emotion = np.full((n, self.length), -1, np.int64)
        mask = np.zeros((n, self.length), bool)
        for b, (vi, s) in enumerate(examples):
            v = self.videos[vi]
            e = min(v.n_frames, s + self.length)
            x[b, :e - s] = v.features[s:e]
            spot[b, :e - s] = v.spot_targets[s:e]
            emotion[b, :e - s] = v.emotion_targets[s:e]
            mask[b, :e - s] = v.valid[s:e]
        return WindowBatch(torch.from_numpy(x), torch.from_numpy(spot), torch.from_numpy(emotion),
                           torch.from_numpy(mask))


def make_sampler(videos: list[PreparedVideo], data: DataConfig, rng: np.random.Generator) -> ExampleSampler:
    """The training sampler of ``data.sampling``: `WindowSampler` (``windows``) or `VideoSampler` (``videos``).

    Raises:
        ValueError: unknown sampling (lists the valid ones) or no videos.
    """
    samplers = {"windows": WindowSampler, "videos": VideoSampler}
    if data.sampling not in samplers:
        raise ValueError(f"unknown DataConfig.sampling {data.sampling!r}; valid: {', '.join(samplers)}")
    return samplers[data.sampling](videos, data, rng)
