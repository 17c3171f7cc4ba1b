"""Where spotting F1 is lost: every ground truth and every prediction sorted into one outcome.

The MEGC counts say how many expressions were found; this breakdown says why the others were not:

* a ground truth is **found** (a prediction of its type passes the IoU rule), **found as the other
  type** (only a prediction of the other type passes: a micro-expression spotted as macro or back),
  a **boundary** miss (some prediction overlaps it, none well enough) or **missed** (no prediction
  overlaps it at all: the detector did not fire);
* a prediction **matches** an expression of its type, lies on an expression of the **other type**,
  only **partly overlaps** one (a boundary error), or is a **false alarm** on a stretch without any
  labelled expression (a blink, a twitch, a head movement, noise).

Counts are per type. A prediction that matches is not always a true positive of the MEGC count
(two predictions matching one expression count once there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from causalex.labels import EXPRESSION_TYPES, Interval, group_by_video
from causalex.metrics.overlap import SPOTTING_IOU, check_types, check_variant, iou_matrix, passes

TRUTH_OUTCOMES = ("found", "other_type", "boundary", "missed")
PREDICTION_OUTCOMES = ("matched", "other_type", "boundary", "false_alarm")
OUTCOME_TITLES = {"found": "found", "matched": "match", "other_type": "other type", "boundary": "near",
                  "missed": "missed", "false_alarm": "false alarm"}  # short column titles


@dataclass
class ErrorBreakdown:
    """Outcome counts per expression type.

    Attributes:
        truth: ``{type: {outcome: n}}`` over `TRUTH_OUTCOMES`.
        predictions: ``{type: {outcome: n}}`` over `PREDICTION_OUTCOMES`.
        variant: IoU convention used.
    """

    truth: dict[str, dict[str, int]]
    predictions: dict[str, dict[str, int]]
    variant: str

    def to_json(self) -> dict:
        """Plain dict (JSON)."""
        return {"variant": self.variant, "ground_truth": self.truth, "predictions": self.predictions}


def _outcomes(rows: Sequence[Interval], cols: Sequence[Interval], names: tuple[str, ...], variant: str,
              threshold: float) -> dict[str, dict[str, int]]:
    """Sort every interval of ``rows`` by its best overlap with ``cols`` of the same and the other type."""
    out = {kind: dict.fromkeys(names, 0) for kind in EXPRESSION_TYPES}
    by_video = group_by_video(cols)
    for iv in rows:
        others = by_video.get(iv.video, [])
        ious = iou_matrix([iv], others, variant)[0] if others else np.zeros(0)  # [C]
        same = np.array([o.type == iv.type for o in others], bool)
        if passes(ious[same], threshold, variant).any():
            outcome = names[0]
        elif passes(ious[~same], threshold, variant).any():
            outcome = "other_type"
        elif (ious > 0).any():
            outcome = "boundary"
        else:
            outcome = names[-1]
        out[iv.type][outcome] += 1
    return out


def error_breakdown(predictions: list[Interval], ground_truth: list[Interval], variant: str = "megc",
                    threshold: float = SPOTTING_IOU) -> ErrorBreakdown:
    """Sort ground truths and predictions into the outcomes of the module doc.

    Args:
        predictions: predicted intervals of all videos.
        ground_truth: labelled intervals of all videos.
        variant: ``megc`` or ``auwgcn`` (IoU convention of `causalex.metrics.overlap`).
        threshold: IoU a match needs.
    """
    check_variant(variant)
    check_types(predictions, "prediction")
    check_types(ground_truth, "ground truth")
    return ErrorBreakdown(truth=_outcomes(ground_truth, predictions, TRUTH_OUTCOMES, variant, threshold),
                          predictions=_outcomes(predictions, ground_truth, PREDICTION_OUTCOMES, variant, threshold),
                          variant=variant)
