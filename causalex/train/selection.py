"""Model selection on validation subjects: score thresholds per type, and duration bounds from labels.

`choose_thresholds` decodes once with every candidate kept, then finds the pair of per-type score
thresholds that maximises the overall MEGC F1 on the validation videos (on a grid, with the F1 surface
smoothed over neighbouring thresholds so that one lucky interval does not decide); ties go to the pair
that predicts least. An optional rate guard (``max_pred_ratio``) never lets a type predict many times
more intervals than the validation videos hold, so a validation set with very few micro-expressions
cannot select a flood of predictions. It never sees test subjects unless the caller passes them (the
explicitly named ``select_on_test`` option).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.ndimage import uniform_filter

from causalex.labels import EXPRESSION_TYPES, Interval
from causalex.metrics.overlap import SPOTTING_IOU, matched_groups, passes
from causalex.spot.decoding import DecodeConfig

THRESHOLD_GRID = np.round(np.arange(0.02, 0.99, 0.02), 2)


@dataclass
class ThresholdChoice:
    """Selected thresholds and the validation scores they give.

    Attributes:
        thresholds: ``{"micro": thr, "macro": thr}``.
        f1: overall F1 at those thresholds (unsmoothed).
        counts: ``{type: (tp, n_pred, n_gt)}`` at those thresholds.
        score: value of the objective (overall F1, or the mean of the per-type F1s), used to pick epochs.
        guarded: types whose threshold differs from the unguarded choice (the rate guard excluded it).
    """

    thresholds: dict[str, float]
    f1: float
    counts: dict[str, tuple[int, int, int]]
    score: float = 0.0
    guarded: tuple[str, ...] = ()


OBJECTIVES = ("overall", "type_mean")


def _f1(tp, n_pred, n_gt):
    return np.where(n_pred + n_gt > 0, 2.0 * tp / np.maximum(n_pred + n_gt, 1), 0.0)


def _type_counts(preds: list[Interval], truth: list[Interval], grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """TP and #predictions at every grid threshold for one type. Shapes: returns ``[G], [G]`` and n_gt."""
    scores = np.array([p.score for p in preds], np.float64)
    best = np.full(len(truth), -np.inf)  # best score of a prediction matching each ground truth
    for pred_idx, gt_idx, ious in matched_groups(preds, truth):
        ok = passes(ious, SPOTTING_IOU)  # [P, G]
        s = scores[pred_idx][:, None]
        cand = np.where(ok, s, -np.inf).max(0)
        best[gt_idx] = np.maximum(best[gt_idx], cand)
    tp = (best[None, :] >= grid[:, None] - 1e-12).sum(1)
    n_pred = (scores[None, :] >= grid[:, None] - 1e-12).sum(1)
    return tp, n_pred, len(truth)


def choose_thresholds(predictions: list[Interval], ground_truth: list[Interval],
                      defaults: dict[str, float], grid: np.ndarray = THRESHOLD_GRID,
                      smooth: int = 3, objective: str = "overall", max_pred_ratio: float = 0.0) -> ThresholdChoice:
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

    Returns:
        The choice and its (unsmoothed) validation F1 and counts.

    Raises:
        ValueError: unknown objective or a negative ``max_pred_ratio``.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown selection objective {objective!r}; valid: {', '.join(OBJECTIVES)}")
    if max_pred_ratio < 0:
        raise ValueError(f"max_pred_ratio must be >= 0 (0 = no rate guard), got {max_pred_ratio}")
    per_type = {}
    for kind in EXPRESSION_TYPES:
        preds = [p for p in predictions if p.type == kind]
        truth = [g for g in ground_truth if g.type == kind]
        per_type[kind] = _type_counts(preds, truth, grid)
    (tp_a, np_a, ng_a), (tp_b, np_b, ng_b) = per_type["micro"], per_type["macro"]
    fixed = {}
    for kind, (tp, npred, ngt) in per_type.items():
        if ngt == 0:
            fixed[kind] = int(np.argmin(np.abs(grid - defaults.get(kind, 0.5))))
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
        rows = _rate_allowed(np_a, ng_a, max_pred_ratio)  # [G] micro thresholds the guard keeps
        cols = _rate_allowed(np_b, ng_b, max_pred_ratio)  # [G] macro thresholds
        gi, gj = _best_pair(surface, allowed & rows[:, None] & cols[None, :], target, npred)
        guarded = [kind for kind, before, after in (("micro", i, gi), ("macro", j, gj)) if before != after]
        i, j = gi, gj
    counts = {"micro": (int(tp_a[i]), int(np_a[i]), ng_a), "macro": (int(tp_b[j]), int(np_b[j]), ng_b)}
    return ThresholdChoice(thresholds={"micro": float(grid[i]), "macro": float(grid[j])}, f1=float(f1[i, j]),
                           counts=counts, score=float(target[i, j]), guarded=tuple(guarded))


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
