"""Detection-style mean average precision (mAP) of spotted intervals at several temporal IoU thresholds.

For one expression type and one threshold: predictions of all videos are sorted by descending score
(ties keep input order); each one, in turn, is a TP when it matches (IoU over the threshold, with the
variant's comparison, see `causalex.metrics.overlap`) a not-yet-matched ground truth of the same video
and type -- it takes the one with the highest IoU -- and a FP otherwise, so each ground truth is matched
at most once (greedy by score). AP is the area under the *all-point interpolated* precision-recall
curve (as in PASCAL VOC 2010+ and ActivityNet): precision is replaced by its running maximum from the
right, ``p_interp(r) = max_{r' >= r} p(r')``, and ``AP = sum_k (r_k - r_{k-1}) * p_interp(r_k)`` over the
ranked predictions, with ``r_0 = 0``. No predictions give AP 0; no ground truth gives AP ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from causalex.labels import EXPRESSION_TYPES, Interval
from causalex.metrics.overlap import check_types, check_variant, group_indices, iou_matrix, passes

MAP_THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5)


def _mean(values) -> float | None:
    kept = [v for v in values if v is not None]
    return float(np.mean(kept)) if kept else None


@dataclass(frozen=True)
class APResult:
    """Average precision per expression type and IoU threshold.

    Attributes:
        thresholds: IoU thresholds, ascending.
        ap: ``{type: {threshold: AP or None}}``; None when the type has no ground truth.
    """

    thresholds: tuple[float, ...]
    ap: dict[str, dict[float, float | None]]

    def type_mean(self, kind: str) -> float | None:
        """Mean AP of one type over the thresholds (None without ground truth of that type)."""
        return _mean(self.ap[kind].values())

    @property
    def mean(self) -> float | None:
        """mAP: mean over the types that have ground truth of their mean over thresholds."""
        return _mean(self.type_mean(kind) for kind in self.ap)

    def to_json(self) -> dict:
        """``{"thresholds": [...], "<type>": {"ap": {"0.1": ..}, "mean": ..}, ..., "mean": ..}``."""
        out: dict = {"thresholds": list(self.thresholds)}
        for kind, per_threshold in self.ap.items():
            out[kind] = {"ap": {f"{t:g}": v for t, v in per_threshold.items()}, "mean": self.type_mean(kind)}
        out["mean"] = self.mean
        return out


def average_precision(is_tp: Sequence[bool], n_gt: int) -> float | None:
    """All-point interpolated AP of a ranked list of detections.

    Args:
        is_tp: ``[N]`` TP flags of the detections in descending score order.
        n_gt: number of ground truths (None is returned when 0).
    """
    if n_gt == 0:
        return None
    flags = np.asarray(is_tp, dtype=np.float64)  # [N]
    if flags.size == 0:
        return 0.0
    cum_tp = np.cumsum(flags)
    recall = cum_tp / n_gt
    precision = cum_tp / np.arange(1, flags.size + 1)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]  # max precision at recall >= r
    steps = np.diff(np.concatenate(([0.0], recall)))
    return float(np.sum(steps * envelope))


def _ranked_tp_flags(preds: list[Interval], gts: list[Interval], thresholds: Sequence[float],
                     variant: str) -> np.ndarray:
    """TP flags ``[len(thresholds), P]`` of ``preds`` (already sorted by score) matched greedily."""
    flags = np.zeros((len(thresholds), len(preds)), dtype=bool)
    by_video_gt = group_indices(gts)
    by_video_pred = group_indices(preds)
    for key, pred_rows in by_video_pred.items():
        gt_cols = by_video_gt.get(key)
        if not gt_cols:
            continue
        ious = iou_matrix([preds[r] for r in pred_rows], [gts[c] for c in gt_cols], variant)  # [p, g]
        for ti, threshold in enumerate(thresholds):
            ok = passes(ious, threshold, variant)
            free = np.ones(len(gt_cols), dtype=bool)
            for k, row in enumerate(pred_rows):  # pred_rows keep the score order
                candidates = ok[k] & free
                if candidates.any():
                    best = int(np.argmax(np.where(candidates, ious[k], -1.0)))
                    free[best] = False
                    flags[ti, row] = True
    return flags


def mean_average_precision(predictions: list[Interval], ground_truth: list[Interval],
                           thresholds: Sequence[float] = MAP_THRESHOLDS, variant: str = "megc") -> APResult:
    """AP per type at each temporal IoU threshold, with greedy one-to-one matching by score.

    Args:
        predictions: predicted intervals with ``score`` (all videos).
        ground_truth: labelled intervals (all videos).
        thresholds: IoU thresholds (default 0.1, 0.2, 0.3, 0.4, 0.5).
        variant: IoU convention, ``megc`` (``>=``, inclusive frames) or ``auwgcn`` (``>``, exclusive).

    Returns:
        `APResult`; ``.mean`` is the mAP over thresholds and types with ground truth.
    """
    check_variant(variant)
    check_types(predictions, "prediction")
    check_types(ground_truth, "ground truth")
    thresholds = tuple(sorted(float(t) for t in thresholds))
    ap: dict[str, dict[float, float | None]] = {}
    for kind in EXPRESSION_TYPES:
        preds = sorted((p for p in predictions if p.type == kind), key=lambda p: -p.score)  # stable
        gts = [g for g in ground_truth if g.type == kind]
        flags = _ranked_tp_flags(preds, gts, thresholds, variant)
        ap[kind] = {t: average_precision(flags[i], len(gts)) for i, t in enumerate(thresholds)}
    return APResult(thresholds=thresholds, ap=ap)
