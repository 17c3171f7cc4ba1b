"""Model selection on validation subjects: score thresholds per type, and duration bounds from labels.

`choose_thresholds` decodes once with every candidate kept, then finds the pair of per-type score
thresholds that maximises the overall MEGC F1 on the validation videos (on a grid, with the F1 surface
smoothed over neighbouring thresholds so that one lucky interval does not decide); ties go to the pair
that predicts least. An optional rate guard (``max_pred_ratio``) never lets a type predict many times
more intervals than the validation videos hold, so a validation set with very few micro-expressions
cannot select a flood of predictions. It never sees test subjects unless the caller passes them (the
explicitly named ``select_on_test`` option).

Rate fallback: where the caller says how many expressions of a type the *training* rate gives on the
validation videos (``expected``), a type whose validation holds fewer than ``min_truth`` expressions, or
whose expressions no prediction finds at any threshold, is not tuned on that evidence (one found or
missed interval would decide, and "nothing found" picks the highest threshold, which predicts nothing):
its threshold is the highest one at which the validation videos get at least ``expected`` predictions of
the type, so the model predicts about as often as the training labels occur. `ThresholdChoice.sources`
says which rule set each type. The evidence behind a choice (`ValidationEvidence`: the scores of the
candidates and of the best match of each validation expression) pools over folds, so that the deployment
model's thresholds come from every fold's inner validation at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable

import numpy as np
from scipy.ndimage import uniform_filter

from causalex.labels import EXPRESSION_TYPES, Interval
from causalex.metrics.overlap import SPOTTING_IOU, matched_groups, passes
from causalex.spot.decoding import DecodeConfig

THRESHOLD_GRID = np.round(np.arange(0.02, 0.99, 0.02), 2)
MIN_VALIDATION_TRUTH = 3  # a type with fewer validation expressions takes the rate threshold (when rates are known)
SOURCE_VALIDATION = "validation F1"
SOURCE_RATE = "training rate"
SOURCE_CONFIGURED = "configured"


@dataclass
class ThresholdChoice:
    """Selected thresholds and the validation scores they give.

    Attributes:
        thresholds: ``{"micro": thr, "macro": thr}``.
        f1: overall F1 at those thresholds (unsmoothed).
        counts: ``{type: (tp, n_pred, n_gt)}`` at those thresholds.
        score: value of the objective (overall F1, or the mean of the per-type F1s), used to pick epochs.
        guarded: types whose threshold differs from the unguarded choice (the rate guard excluded it).
        sources: ``{type: rule}``: `SOURCE_VALIDATION` (tuned on validation F1), `SOURCE_RATE` (too little
            validation evidence: the training rate's count) or `SOURCE_CONFIGURED` (no evidence at all).
        evidence: what the choice was made on (pools over folds, see `ValidationEvidence.pooled`).
    """

    thresholds: dict[str, float]
    f1: float
    counts: dict[str, tuple[int, int, int]]
    score: float = 0.0
    guarded: tuple[str, ...] = ()
    sources: dict[str, str] = field(default_factory=dict)
    evidence: "ValidationEvidence | None" = None


@dataclass
class ValidationEvidence:
    """What a threshold choice needs from validation videos, per type: enough to pool over folds.

    Attributes:
        scores: ``{type: [P]}`` score of every candidate prediction.
        found: ``{type: [G]}`` for every validation expression the best score of a prediction matching it
            (``-inf`` where none does).
        expected: ``{type: n}`` expressions the training label rate gives on these videos (None: unknown).
    """

    scores: dict[str, np.ndarray]
    found: dict[str, np.ndarray]
    expected: dict[str, float] | None = None

    @classmethod
    def from_intervals(cls, predictions: list[Interval], ground_truth: list[Interval],
                       expected: dict[str, float] | None = None) -> "ValidationEvidence":
        """Evidence of decoded candidates (threshold 0) against the validation labels."""
        scores, found = {}, {}
        for kind in EXPRESSION_TYPES:
            preds = [p for p in predictions if p.type == kind]
            truth = [g for g in ground_truth if g.type == kind]
            scores[kind] = np.array([p.score for p in preds], np.float64)
            best = np.full(len(truth), -np.inf)  # best score of a prediction matching each ground truth
            for pred_idx, gt_idx, ious in matched_groups(preds, truth):
                ok = passes(ious, SPOTTING_IOU)  # [P, G]
                cand = np.where(ok, scores[kind][pred_idx][:, None], -np.inf).max(0)
                best[gt_idx] = np.maximum(best[gt_idx], cand)
            found[kind] = best
        return cls(scores, found, None if expected is None else dict(expected))

    def counts(self, kind: str, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        """TP and #predictions of ``kind`` at every grid threshold, and #expressions. Shapes: ``[G], [G]``."""
        tp = (self.found[kind][None, :] >= grid[:, None] - 1e-12).sum(1)
        n_pred = (self.scores[kind][None, :] >= grid[:, None] - 1e-12).sum(1)
        return tp, n_pred, len(self.found[kind])

    @staticmethod
    def pooled(parts: Iterable["ValidationEvidence"]) -> "ValidationEvidence | None":
        """The evidence of several validation sets at once (None when there is none); ``expected`` is
        known only when every part knows it."""
        parts = list(parts)
        if not parts:
            return None
        expected = None
        if all(p.expected is not None for p in parts):
            expected = {k: float(sum(p.expected[k] for p in parts)) for k in EXPRESSION_TYPES}
        return ValidationEvidence({k: np.concatenate([p.scores[k] for p in parts]) for k in EXPRESSION_TYPES},
                                  {k: np.concatenate([p.found[k] for p in parts]) for k in EXPRESSION_TYPES},
                                  expected)

    def to_json(self) -> dict[str, Any]:
        """JSON form (``-inf`` written as null)."""
        return {"scores": {k: np.round(v, 6).tolist() for k, v in self.scores.items()},
                "found": {k: [None if not np.isfinite(x) else round(float(x), 6) for x in v]
                          for k, v in self.found.items()},
                "expected": self.expected}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "ValidationEvidence":
        """Inverse of `to_json`."""
        return cls({k: np.asarray(v, np.float64) for k, v in doc["scores"].items()},
                   {k: np.array([-np.inf if x is None else x for x in v], np.float64) for k, v in doc["found"].items()},
                   doc.get("expected"))


def label_rates(videos: Iterable[Any]) -> dict[str, float]:
    """Labelled expressions per second of video, per type, over ``videos`` (`PreparedVideo`-like: ``labels``,
    ``n_source_frames``, ``source_fps``)."""
    videos = list(videos)
    seconds = sum(v.n_source_frames / v.source_fps for v in videos)
    return {k: (sum(iv.type == k for v in videos for iv in v.labels) / seconds if seconds > 0 else 0.0)
            for k in EXPRESSION_TYPES}


def expected_counts(rates: dict[str, float], videos: Iterable[Any]) -> dict[str, float]:
    """Expressions ``rates`` (per second) give over ``videos``' duration, per type."""
    seconds = sum(v.n_source_frames / v.source_fps for v in videos)
    return {k: float(rates.get(k, 0.0) * seconds) for k in EXPRESSION_TYPES}


def rate_threshold_index(n_pred: np.ndarray, expected: float) -> int:
    """Grid index of the highest threshold at which at least ``round(expected)`` (>= 1) intervals are predicted
    (index 0 when even the lowest predicts fewer). Shapes: n_pred ``[G]``, non-increasing."""
    ok = np.flatnonzero(n_pred >= max(1, int(round(expected))))
    return int(ok[-1]) if ok.size else 0


OBJECTIVES = ("overall", "type_mean")


def _f1(tp, n_pred, n_gt):
    return np.where(n_pred + n_gt > 0, 2.0 * tp / np.maximum(n_pred + n_gt, 1), 0.0)


def choose_thresholds(predictions: list[Interval], ground_truth: list[Interval],
                      defaults: dict[str, float], grid: np.ndarray = THRESHOLD_GRID,
                      smooth: int = 3, objective: str = "overall", max_pred_ratio: float = 0.0,
                      expected: dict[str, float] | None = None,
                      min_truth: int = MIN_VALIDATION_TRUTH) -> ThresholdChoice:
    """Per-type score thresholds that maximise the validation objective.

    Args:
        predictions: decoded intervals with every candidate kept (threshold 0), all validation videos.
        ground_truth: the validation labels.
        defaults: thresholds used for a type that has no validation ground truth.
        grid: candidate thresholds.
        smooth: width of the moving average over the F1 surface (1 = none).
        objective: ``overall`` (pooled F1, thresholds chosen jointly) or ``type_mean`` (each type's F1
            maximised on its own; the score is their mean over the types that have ground truth).
        max_pred_ratio: rate guard (0 = off): for a type with validation ground truth, only thresholds at
            which it predicts at most ``max_pred_ratio`` times as many intervals as the ground truth holds
            are candidates (where even the highest threshold predicts more, the thresholds that predict
            least); a threshold the guard removes has F1 below ``2 / (1 + max_pred_ratio)`` for that type.
        expected: ``{type: n}`` expressions the training label rate gives on the validation videos; with it,
            a type with fewer than ``min_truth`` validation expressions, or none found at any threshold,
            takes the rate threshold (module docstring). None: no rate fallback.
        min_truth: validation expressions a type needs to be tuned on validation F1.

    Returns:
        The choice and its (unsmoothed) validation F1 and counts.

    Raises:
        ValueError: unknown objective or a negative ``max_pred_ratio``.
    """
    evidence = ValidationEvidence.from_intervals(predictions, ground_truth, expected)
    return choose_from_evidence(evidence, defaults, grid, smooth, objective, max_pred_ratio, min_truth)


def choose_from_evidence(evidence: ValidationEvidence, defaults: dict[str, float], grid: np.ndarray = THRESHOLD_GRID,
                         smooth: int = 3, objective: str = "overall", max_pred_ratio: float = 0.0,
                         min_truth: int = MIN_VALIDATION_TRUTH) -> ThresholdChoice:
    """`choose_thresholds` on validation evidence (one fold's, or several folds' pooled).

    Raises:
        ValueError: unknown objective or a negative ``max_pred_ratio``.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown selection objective {objective!r}; valid: {', '.join(OBJECTIVES)}")
    if max_pred_ratio < 0:
        raise ValueError(f"max_pred_ratio must be >= 0 (0 = no rate guard), got {max_pred_ratio}")
    per_type = {kind: evidence.counts(kind, grid) for kind in EXPRESSION_TYPES}
    (tp_a, np_a, ng_a), (tp_b, np_b, ng_b) = per_type["micro"], per_type["macro"]
    fixed, sources = {}, {}
    for kind, (tp, npred, ngt) in per_type.items():
        expected = (evidence.expected or {}).get(kind, 0.0)
        if evidence.expected is not None and expected > 0 and (ngt < min_truth or tp.max() == 0):
            fixed[kind], sources[kind] = rate_threshold_index(npred, expected), SOURCE_RATE
        elif ngt == 0:
            fixed[kind] = int(np.argmin(np.abs(grid - defaults.get(kind, 0.5))))
            sources[kind] = SOURCE_CONFIGURED
        else:
            sources[kind] = SOURCE_VALIDATION
    tp = tp_a[:, None] + tp_b[None, :]  # [G, G]
    npred = np_a[:, None] + np_b[None, :]
    ngt = ng_a + ng_b
    f1 = _f1(tp, npred, ngt)
    if objective == "type_mean":
        f1_a, f1_b = _f1(tp_a, np_a, ng_a), _f1(tp_b, np_b, ng_b)  # [G] each
        n_types = max(1, (ng_a > 0) + (ng_b > 0))
        target = (f1_a[:, None] + f1_b[None, :]) / n_types
    else:
        target = f1
    surface = uniform_filter(target, size=smooth, mode="nearest") if smooth > 1 else target
    allowed = np.ones_like(surface, bool)
    if "micro" in fixed:
        allowed[:] = False
        allowed[fixed["micro"], :] = True
    if "macro" in fixed:
        col = np.zeros_like(allowed)
        col[:, fixed["macro"]] = True
        allowed &= col
    i, j = _best_pair(surface, allowed, target, npred)
    guarded: list[str] = []
    if max_pred_ratio > 0:
        rows = _rate_allowed(np_a, ng_a, max_pred_ratio) | ("micro" in fixed)  # [G] micro thresholds the guard keeps
        cols = _rate_allowed(np_b, ng_b, max_pred_ratio) | ("macro" in fixed)  # [G] macro thresholds (a fixed
        # type is not guarded: its threshold was not chosen on validation F1)
        gi, gj = _best_pair(surface, allowed & rows[:, None] & cols[None, :], target, npred)
        guarded = [kind for kind, before, after in (("micro", i, gi), ("macro", j, gj)) if before != after]
        i, j = gi, gj
    counts = {"micro": (int(tp_a[i]), int(np_a[i]), ng_a), "macro": (int(tp_b[j]), int(np_b[j]), ng_b)}
    return ThresholdChoice(thresholds={"micro": float(grid[i]), "macro": float(grid[j])}, f1=float(f1[i, j]),
                           counts=counts, score=float(target[i, j]), guarded=tuple(guarded), sources=sources,
                           evidence=evidence)


def _rate_allowed(n_pred: np.ndarray, n_gt: int, ratio: float) -> np.ndarray:
    """Thresholds ``[G]`` at which a type predicts at most ``ratio * n_gt`` intervals (all when ``n_gt`` is 0;
    the ones predicting least when none qualifies)."""
    if n_gt == 0:
        return np.ones(len(n_pred), bool)
    ok = n_pred <= ratio * n_gt
    return ok if ok.any() else n_pred == n_pred.min()


def _best_pair(surface: np.ndarray, allowed: np.ndarray, target: np.ndarray, npred: np.ndarray) -> tuple[int, int]:
    """Grid cell ``(micro, macro)`` of the best allowed smoothed objective. Shapes: ``[G, G]`` each."""
    surface = np.where(allowed, surface, -np.inf)
    ties = np.flatnonzero(surface.ravel() >= surface.max() - 1e-12)
    # among equal smoothed objectives: the best unsmoothed one, then the fewest predictions (highest
    # thresholds), so that a validation set where nothing is found never selects a flood of predictions
    order = np.lexsort((-ties, npred.ravel()[ties], -target.ravel()[ties]))
    i, j = np.unravel_index(int(ties[order[0]]), surface.shape)
    return int(i), int(j)


def fit_durations(labels: list[Interval], fps_of: dict[str, float], decode: DecodeConfig,
                  margin: float = 0.15, min_labels: int = 5) -> DecodeConfig:
    """Decoding duration bounds from the training labels (2nd-98th percentile, widened by ``margin``).

    Args:
        labels: training intervals (source frames).
        fps_of: frame rate of each labelled video.
        decode: current settings; a type with fewer than ``min_labels`` labels keeps its bounds.
        margin: relative widening of the bounds.
        min_labels: labels needed to fit a type.

    Returns:
        A copy of ``decode`` with fitted ``min_duration_s`` / ``max_duration_s``.
    """
    out = DecodeConfig.from_dict(decode.to_dict())  # a deep copy: the caller's settings stay as they are
    for kind in EXPRESSION_TYPES:
        secs = np.array([iv.length / fps_of[iv.video] for iv in labels if iv.type == kind and iv.video in fps_of])
        if secs.size < min_labels:
            continue
        lo, hi = np.percentile(secs, [2, 98])
        cfg = replace(decode.for_type(kind), min_duration_s=float(lo * (1 - margin)),
                      max_duration_s=float(hi * (1 + margin)))
        setattr(out, kind, cfg)
    return out
