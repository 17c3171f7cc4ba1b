"""Spotting API: a trained model (`ModelSpotter`) or the untrained baseline, behind one registry.

    spotter = make_spotter("model", model="runs/casme2")       # a model folder or a model.pt
    intervals = spotter.spot(series_list)                      # list[Interval], frames of each series
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from causalex.checkpoint import ModelBundle, load_checkpoint
from causalex.errors import input_error
from causalex.graph import linked_pairs
from causalex.labels import Interval
from causalex.metrics.volume import count_types, log_volume_warnings, volume_warnings
from causalex.model.outputs import SPOT_CHANNELS
from causalex.series import UNKNOWN_SCALE, AUSeries, describe_scale, node_kind_problem, scale_problem
from causalex.spot.scoring import decode_scores, score_prepared
from causalex.spot.threshold import ThresholdConfig, ThresholdSpotter
from causalex.train.dataset import prepare_video, series_origin

log = logging.getLogger(__name__)
_SPOTTERS: dict[str, Callable[..., Any]] = {}
CHECKPOINT_NAME = "model.pt"


@dataclass
class ScoreTrack:
    """Per-frame curves of one video, for plots.

    Attributes:
        video: video id.
        fps: frame rate of the curves.
        curves: name -> ``[T]`` curve.
        intervals: the intervals spotted in the video (frames of the original series).
        source_fps: frame rate of the original series.
    """

    video: str
    fps: float
    curves: dict[str, np.ndarray]
    intervals: list[Interval] = field(default_factory=list)
    source_fps: float = 0.0


def register_spotter(name: str) -> Callable:
    """Decorator adding a spotter factory under ``name``."""

    def deco(factory: Callable) -> Callable:
        _SPOTTERS[name] = factory
        return factory

    return deco


def spotter_names() -> list[str]:
    """Names of the registered spotters."""
    return sorted(_SPOTTERS)


def make_spotter(name: str, **kwargs: Any):
    """Build a registered spotter (``model`` needs ``model=PATH``).

    Raises:
        ValueError: unknown name (lists the valid ones).
    """
    if name not in _SPOTTERS:
        raise ValueError(f"unknown spotting method {name!r}; valid: {', '.join(spotter_names())}")
    return _SPOTTERS[name](**kwargs)


def checkpoint_path(model: str | os.PathLike) -> Path:
    """The checkpoint file of a model folder (its ``model.pt``) or the file itself.

    Raises:
        InputError: no such file or folder, or a folder without ``model.pt``.
    """
    path = Path(model)
    if path.is_dir():
        if not (path / CHECKPOINT_NAME).is_file():
            raise input_error(path, f"model folder has no {CHECKPOINT_NAME} (was training run with --no-final?)")
        return path / CHECKPOINT_NAME
    if not path.exists():
        raise input_error(path, "model does not exist (expected a model folder or a .pt checkpoint)")
    return path


class ModelSpotter:
    """Spot with a trained checkpoint: resample to its working rate, score, decode, map back.

    Args:
        bundle: a loaded checkpoint.
        device: where to run the network.
        chunk_frames: frames per forward chunk (memory bound for long videos).
        allow_scale_mismatch: spot series on another scale than the training series' (with a warning)
            instead of refusing them.
    """

    name = "model"
    trained = True

    def __init__(self, bundle: ModelBundle, device: str | torch.device = "cpu", chunk_frames: int = 2048,
                 allow_scale_mismatch: bool = False) -> None:
        self.bundle = bundle
        self.device = torch.device(device)
        self.chunk_frames = chunk_frames
        self.allow_scale_mismatch = allow_scale_mismatch
        self.model = bundle.build_model(self.device)

    def describe(self) -> str:
        """One line on the loaded model: graph (or per-video dynamic graph), AUs, rate, training subjects, CV F1."""
        b, cfg = self.bundle, self.bundle.config
        graph = (f"graph re-discovered per video (dynamic, {cfg.model.dynamic_background} background, "
                 f"{cfg.model.dynamic_policy} policy)" if cfg.model.dynamic
                 else f"graph {b.graph.name or 'unnamed'} ({linked_pairs(b.graph)} AU pairs linked)")
        left_out = [a for a in b.graph.deselected() if a in b.au_names]
        used = f"{len(b.au_names) - len(left_out)} of {len(b.au_names)} AUs used (left out by the graph's AU " \
               f"selection: {', '.join(left_out)})" if left_out else f"{len(b.au_names)} AUs"
        parts = [graph, f"{used} at {b.working_fps:g} fps",
                 f"expects AU series on scale {describe_scale(b.scale)}" if b.scale else "training scale not recorded"]
        trained_on = b.meta.get("trained_on")
        if isinstance(trained_on, list):
            validated_on = b.meta.get("validated_on")
            deployment = b.meta.get("deployment")
            n = f"{len(trained_on)} subject{'' if len(trained_on) == 1 else 's'}"
            if validated_on:  # older checkpoints (and bias-study models): validation subjects held out
                parts.append(f"trained on {n} ({len(validated_on)} more held out for validation)")
            elif b.meta.get("optimistic_selection"):
                parts.append(f"trained on all {n}; OPTIMISTIC: epoch {b.meta.get('best_epoch')} and thresholds were "
                             "chosen on the test subjects of its folds (--select-on-test)")
            elif isinstance(deployment, dict) and deployment.get("fold_epochs"):
                folds = len(deployment["fold_epochs"])
                where = "one cross-validation fold's" if folds == 1 else f"{folds} cross-validation folds'"
                parts.append(f"trained on all {n}, epoch {b.meta.get('best_epoch')} and thresholds chosen from the "
                             f"{where} inner validation")
            else:
                how = b.meta.get("selection")
                parts.append(f"trained on {n}" + (f" ({how})" if isinstance(how, str) and how else ""))
        cv = b.meta.get("cross_validation")
        if isinstance(cv, dict) and all(isinstance(cv.get(k), dict) for k in ("overall", "micro")):
            parts.append(f"cross-validated F1 {cv['overall'].get('f1', float('nan')):.3f} overall, "
                         f"{cv['micro'].get('f1', float('nan')):.3f} micro")
        return "; ".join(parts)

    @classmethod
    def from_path(cls, model: str | os.PathLike, device: str | torch.device = "cpu",
                  allow_scale_mismatch: bool = False) -> "ModelSpotter":
        """Load a model folder or checkpoint (checked, see `causalex.checkpoint.load_checkpoint`)."""
        return cls(load_checkpoint(checkpoint_path(model)), device, allow_scale_mismatch=allow_scale_mismatch)

    def spot_one(self, series: AUSeries) -> tuple[list[Interval], ScoreTrack]:
        """Intervals of one video (its own frames) and its score curves.

        Raises:
            InputError: the series lacks a model AU or is shorter than one window.
        """
        cfg = self.bundle.config
        video = prepare_video(series, self.bundle.au_names, cfg.data, cfg.features)
        scores = score_prepared(self.model, video, cfg, self.device, self.bundle.au_names, self.chunk_frames)
        found = decode_scores(scores, video, self.bundle.decode, cfg.model.emotion_classes)
        curves = {}
        for kind in ("micro", "macro"):
            for part in ("apex", "inside"):
                curves[f"{kind}_{part}"] = scores.spot[:, SPOT_CHANNELS.index(f"{kind}_{part}")]
        return found, ScoreTrack(series.video, video.fps, curves, found, series.fps)

    @property
    def min_duration_s(self) -> float:
        """Shortest input the model takes: one training window, seconds."""
        return float(self.bundle.config.data.window_s)

    def is_too_short(self, series: AUSeries) -> bool:
        """Whether ``series`` lasts less than `min_duration_s`."""
        return series.duration_s + 1e-9 < self.min_duration_s

    def check_scale(self, series: AUSeries) -> None:
        """Refuse (or, with ``allow_scale_mismatch``, warn about) a series on another scale than the training
        series'; log when the series' scale is unknown and the model's known. Region features given to a
        model trained on AU features (or the reverse, or another region layout) are always refused.

        Raises:
            InputError: the feature kinds or the scales differ (one line naming the series file and both).
        """
        kind = node_kind_problem(series.au_names, self.bundle.au_names, series.node_kind)
        if kind:  # AU vs region features: never overridable (the nodes are different things)
            raise input_error(series_origin(series), kind)
        problem = scale_problem(series, self.bundle.scale)
        if problem and not self.allow_scale_mismatch:
            raise input_error(series_origin(series), f"{problem}; spot series from the extractor the model was "
                                                     "trained on, or pass --allow-scale-mismatch to spot anyway")
        if problem:
            log.warning("%s: %s (spotted anyway: --allow-scale-mismatch)", series_origin(series), problem)
        elif self.bundle.scale and self.bundle.scale != UNKNOWN_SCALE and series.scale == UNKNOWN_SCALE:
            log.warning("%s: the AU series does not record its scale; the model expects %s", series_origin(series),
                        describe_scale(self.bundle.scale))

    def check_inputs(self, series: list[AUSeries]) -> None:
        """Raise `InputError` before any work when a series is on another scale than the model's (see
        `check_scale`), lacks a model AU or is too short."""
        cfg = self.bundle.config
        for s in series:
            self.check_scale(s)
            missing = [a for a in self.bundle.au_names if a not in s.au_names]
            if missing or self.is_too_short(s):
                prepare_video(s, self.bundle.au_names, cfg.data, cfg.features)  # raises the clear message

    def spot(self, series: list[AUSeries]) -> list[Interval]:
        """Intervals of every video, in each series' own frames."""
        self.check_inputs(series)
        found = [iv for s in series for iv in self.spot_one(s)[0]]
        log_volume_warnings(self.volume_warnings(found, series))
        return found

    def volume_warnings(self, found: list[Interval], series: list[AUSeries]) -> list[str]:
        """Warnings when a run predicts no interval of a type the training labels hold (while their rate
        expects some over these inputs), or far more than that rate gives (`causalex.metrics.volume`);
        empty for checkpoints that do not record their training label rates."""
        rates = self.bundle.meta.get("label_rates_per_s")
        if not isinstance(rates, dict):
            return []
        seconds = sum(s.duration_s for s in series)
        expected = {k: float(rates.get(k, 0.0)) * seconds for k in ("micro", "macro")}
        return volume_warnings(count_types(found), expected, f"{len(series)} input(s), {seconds / 60:.1f} min",
                               "at the training labels' rate")


@register_spotter("model")
def _model_spotter(model: str | os.PathLike | None = None, device: str | torch.device = "cpu",
                   allow_scale_mismatch: bool = False) -> ModelSpotter:
    if model is None:
        raise input_error(None, "the model spotter needs a trained model (or use --method threshold)")
    return ModelSpotter.from_path(model, device, allow_scale_mismatch=allow_scale_mismatch)


class TrackedThresholdSpotter(ThresholdSpotter):
    """`ThresholdSpotter` that also returns score tracks (same interface as `ModelSpotter`)."""

    min_duration_s = 0.0  # any length

    def is_too_short(self, series: AUSeries) -> bool:
        """Never: the threshold spotter takes any length."""
        return False

    def check_inputs(self, series: list[AUSeries]) -> None:
        """Nothing to check: the threshold spotter takes any AU set and length."""

    def volume_warnings(self, found: list[Interval], series: list[AUSeries]) -> list[str]:
        """None: the untrained spotter knows no training rate."""
        return []

    def spot_one(self, series: AUSeries) -> tuple[list[Interval], ScoreTrack]:  # type: ignore[override]
        """Intervals of one video and its activity curve."""
        found, curves = super().spot_one(series)
        return found, ScoreTrack(series.video, series.fps, curves, found, series.fps)

    def spot(self, series: list[AUSeries]) -> list[Interval]:
        """Intervals of every video, in each series' own frames."""
        return [iv for s in series for iv in self.spot_one(s)[0]]


@register_spotter("threshold")
def _threshold_spotter(model: Any = None, device: Any = None, config: ThresholdConfig | None = None):
    return TrackedThresholdSpotter(config)
