"""MEGC spotting scores: TP, precision, recall and F1 per expression type and overall.

Counting rule (README "Protocol"; official MEGC2020 baseline): a ground-truth interval is *found* when a
prediction of the same video and type matches it (IoU >= 0.5 for ``megc``); TP = found ground truths,
precision = TP / #predictions, recall = TP / #ground truths, counts pooled over all videos. Two
predictions on one ground truth therefore give 1 TP and 2 predictions. One prediction finds at most one
ground truth (TP is the size of a maximum one-to-one matching): where one prediction covers two ground
truths with IoU >= 0.5 each, the MEGC2020 baseline code counts both and its precision and F1 exceed 1;
here it counts one. Otherwise the two rules agree.

The ``auwgcn`` variant reproduces the AUW-GCN evaluation code: exclusive-length IoU with a strict
``> 0.5`` (see `causalex.metrics.overlap`) and TP counted per *prediction* (a prediction is a TP when
it matches some ground truth), so duplicates count twice there and recall may exceed 1.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from causalex.errors import input_error
from causalex.labels import EXPRESSION_TYPES, Interval
from causalex.metrics.overlap import SPOTTING_IOU, check_types, check_variant, matched_groups, passes

if TYPE_CHECKING:
    from causalex.metrics.average_precision import APResult
    from causalex.metrics.recognition import STRSResult

logger = logging.getLogger(__name__)
SCORE_ROWS = ("micro", "macro", "overall")


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def f1_score(precision: float, recall: float) -> float:
    """Harmonic mean of precision and recall (0 when both are 0)."""
    return _ratio(2 * precision * recall, precision + recall)


@dataclass(frozen=True)
class TypeScore:
    """Spotting counts and scores of one row (``micro``, ``macro`` or ``overall``)."""

    tp: int
    n_pred: int
    n_gt: int
    precision: float
    recall: float
    f1: float

    @classmethod
    def from_counts(cls, tp: int, n_pred: int, n_gt: int) -> "TypeScore":
        """Scores from counts; a zero denominator gives 0."""
        precision, recall = _ratio(tp, n_pred), _ratio(tp, n_gt)
        return cls(tp, n_pred, n_gt, precision, recall, f1_score(precision, recall))

    def to_json(self) -> dict:
        """``{"tp", "n_pred", "n_gt", "precision", "recall", "f1"}``."""
        return {"tp": self.tp, "n_pred": self.n_pred, "n_gt": self.n_gt,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class SpottingResult:
    """Spotting scores per type and overall, with optional mAP and STRS extras.

    Attributes:
        micro, macro: scores of one expression type.
        overall: both types pooled (TP, #predictions and #ground truths summed).
        variant: ``megc`` or ``auwgcn``.
        map: mean average precision at several IoU thresholds, when computed.
        strs: spot-then-recognise score, when computed and the labels carry emotions.
    """

    micro: TypeScore
    macro: TypeScore
    overall: TypeScore
    variant: str = "megc"
    map: "APResult | None" = None
    strs: "STRSResult | None" = None

    def __getitem__(self, row: str) -> TypeScore:
        if row not in SCORE_ROWS:
            raise KeyError(f"unknown score row {row!r} (choose from {', '.join(SCORE_ROWS)})")
        return getattr(self, row)

    def to_json(self) -> dict:
        """``{"micro": {...}, "macro": {...}, "overall": {...}, "variant": ...}`` plus ``map``/``strs``."""
        out: dict = {row: self[row].to_json() for row in SCORE_ROWS}
        out["variant"] = self.variant
        if self.map is not None:
            out["map"] = self.map.to_json()
        if self.strs is not None:
            out["strs"] = self.strs.to_json()
        return out


def max_one_to_one(ok: np.ndarray) -> int:
    """Size of a maximum matching of predictions to ground truths, each used at most once.

    Shapes: ``ok: [P, G]`` bool (prediction p may find ground truth g). Augmenting paths (Kuhn): groups are
    one video and type, so P and G are small.
    """
    owner = [-1] * ok.shape[1]  # prediction matched to each ground truth

    def augment(p: int, seen: set[int]) -> bool:
        for g in np.flatnonzero(ok[p]):
            if g not in seen:
                seen.add(g)
                if owner[g] < 0 or augment(owner[g], seen):
                    owner[g] = p
                    return True
        return False

    return sum(augment(p, set()) for p in range(ok.shape[0]))


def best_matches(predictions: Sequence[Interval], ground_truth: Sequence[Interval],
                 variant: str = "megc", threshold: float = SPOTTING_IOU) -> dict[int, int]:
    """For every found ground truth, the prediction that matches it best.

    The best prediction has the highest IoU; ties go to the higher score, then to the earlier one.

    Returns:
        ``{ground-truth index: prediction index}`` for found ground truths only.
    """
    out: dict[int, int] = {}
    for pred_idx, gt_idx, ious in matched_groups(predictions, ground_truth, variant):
        ok = passes(ious, threshold, variant)  # [P, G]
        for col in np.flatnonzero(ok.any(axis=0)):
            rows = np.flatnonzero(ok[:, col])
            best = max(rows, key=lambda r: (ious[r, col], predictions[pred_idx[r]].score, -r))
            out[gt_idx[col]] = pred_idx[best]
    return out


def evaluate_spotting(predictions: list[Interval], ground_truth: list[Interval],
                      variant: str = "megc") -> SpottingResult:
    """Score predicted intervals against ground truth with the MEGC rule (or the AUW-GCN variant).

    Args:
        predictions: predicted intervals of all videos (``video`` and ``type`` must be set).
        ground_truth: labelled intervals of all videos.
        variant: ``megc`` (default, the MEGC2020 rule) or ``auwgcn`` (see module doc).

    Returns:
        `SpottingResult` with ``micro``, ``macro`` and ``overall`` rows (no extras).

    Raises:
        ValueError: unknown variant. InputError: an interval with an unknown type.
    """
    check_variant(variant)
    check_types(predictions, "prediction")
    check_types(ground_truth, "ground truth")
    tp = dict.fromkeys(EXPRESSION_TYPES, 0)
    for pred_idx, gt_idx, ious in matched_groups(predictions, ground_truth, variant):
        ok = passes(ious, SPOTTING_IOU, variant)  # [P, G]
        found = max_one_to_one(ok) if variant == "megc" else int(ok.any(axis=1).sum())
        tp[ground_truth[gt_idx[0]].type] += found
    rows = {}
    for kind in EXPRESSION_TYPES:
        n_pred = sum(iv.type == kind for iv in predictions)
        n_gt = sum(iv.type == kind for iv in ground_truth)
        rows[kind] = TypeScore.from_counts(tp[kind], n_pred, n_gt)
    overall = TypeScore.from_counts(sum(r.tp for r in rows.values()), len(predictions), len(ground_truth))
    logger.debug("spotting (%s): TP %d of %d predictions, %d ground truths", variant, overall.tp,
                 overall.n_pred, overall.n_gt)
    return SpottingResult(micro=rows["micro"], macro=rows["macro"], overall=overall, variant=variant)


def check_videos(predictions: Sequence[Interval], ground_truth: Sequence[Interval],
                 known_videos: Iterable[str] | None = None, path: str | os.PathLike | None = None) -> None:
    """Raise `InputError` when a prediction names a video that is not in the labels.

    Args:
        predictions: predicted intervals, in file order (the row reported is the 1-based position).
        ground_truth: labelled intervals; their videos are known.
        known_videos: further videos known to exist (e.g. videos without any expression).
        path: the predictions file, named in the message (rows are reported only when it is given).

    Raises:
        InputError: ``<path>, row N: video 'x' is not in the labels`` for the first unknown video.
    """
    known = {iv.video for iv in ground_truth} | set(known_videos or ())
    for row, iv in enumerate(predictions, start=1):
        if iv.video not in known:
            raise input_error(path if path is not None else "predictions",
                              f"video {iv.video!r} is not in the labels", row if path is not None else None)
