"""Temporal overlap of expression intervals under the two IoU conventions.

``megc`` (default, the MEGC2020 baseline rule, README "Protocol"): frames are inclusive, an interval
``[s, e]`` has ``e - s + 1`` frames, ``inter = min(e1, e2) - max(s1, s2) + 1`` (0 when negative),
``union = len1 + len2 - inter``, and a match needs ``IoU >= threshold``.

``auwgcn`` (the evaluation code released with AUW-GCN, ICME 2023): interval length is
``offset - onset`` with no ``+1``, ``inter = max(min(e1, e2) - max(s1, s2), 0)``, and a match needs
the strict ``IoU > threshold``. A one-frame interval has length 0 there; IoU with an empty union is 0.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from causalex.errors import input_error
from causalex.labels import EXPRESSION_TYPES, Interval

VARIANTS = ("megc", "auwgcn")
SPOTTING_IOU = 0.5
# Tolerance for comparing a float IoU with a threshold, so that e.g. 5/10 counts as exactly 0.5.
_EPS = 1e-9


def check_variant(variant: str) -> str:
    """Return ``variant`` if it is a known IoU convention, else raise ``ValueError`` listing the choices."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown evaluation variant {variant!r} (choose from {', '.join(VARIANTS)})")
    return variant


def check_types(intervals: Iterable[Interval], what: str) -> None:
    """Raise `InputError` when an interval's type is not ``macro`` or ``micro``."""
    for i, iv in enumerate(intervals, start=1):
        if iv.type not in EXPRESSION_TYPES:
            raise input_error(None, f"{what} {i} (video {iv.video!r}) has unknown type {iv.type!r} "
                                    f"(expected {' or '.join(EXPRESSION_TYPES)})")


def iou(a: Interval, b: Interval, variant: str = "megc") -> float:
    """Temporal IoU of two intervals (their video and type are not looked at).

    Args:
        a, b: intervals with inclusive frame bounds ``onset <= offset``.
        variant: ``megc`` (inclusive frames) or ``auwgcn`` (length ``offset - onset``), see module doc.

    Returns:
        IoU in [0, 1]; 0 when the intervals do not overlap (or, for ``auwgcn``, when the union is empty).
    """
    return float(iou_matrix([a], [b], variant)[0, 0])


def iou_matrix(first: Sequence[Interval], second: Sequence[Interval], variant: str = "megc") -> np.ndarray:
    """IoU of every interval of ``first`` with every interval of ``second``.

    Shapes:
        returns ``[len(first), len(second)]`` float64.
    """
    check_variant(variant)
    extra = 1 if variant == "megc" else 0
    s1 = np.array([iv.onset for iv in first], dtype=np.int64)[:, None]  # [P, 1]
    e1 = np.array([iv.offset for iv in first], dtype=np.int64)[:, None]
    s2 = np.array([iv.onset for iv in second], dtype=np.int64)[None, :]  # [1, G]
    e2 = np.array([iv.offset for iv in second], dtype=np.int64)[None, :]
    inter = np.maximum(np.minimum(e1, e2) - np.maximum(s1, s2) + extra, 0)  # [P, G]
    union = (e1 - s1 + extra) + (e2 - s2 + extra) - inter
    out = np.zeros(inter.shape, dtype=np.float64)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def passes(iou_values: np.ndarray | float, threshold: float, variant: str = "megc") -> np.ndarray:
    """Whether IoU values count as a match: ``>= threshold`` for ``megc``, ``> threshold`` for ``auwgcn``."""
    values = np.asarray(iou_values, dtype=np.float64)
    if check_variant(variant) == "megc":
        return values >= threshold - _EPS
    return values > threshold + _EPS


def group_indices(intervals: Sequence[Interval]) -> dict[tuple[str, str], list[int]]:
    """Indices of ``intervals`` grouped by ``(video, type)``, in input order."""
    out: dict[tuple[str, str], list[int]] = {}
    for i, iv in enumerate(intervals):
        out.setdefault((iv.video, iv.type), []).append(i)
    return out


def matched_groups(predictions: Sequence[Interval], ground_truth: Sequence[Interval], variant: str = "megc"):
    """Yield, for each ``(video, type)`` having both predictions and ground truths, the IoU table.

    Yields:
        ``(pred_idx, gt_idx, ious)`` with ``pred_idx: [P]`` and ``gt_idx: [G]`` indices into the inputs
        and ``ious: [P, G]``.
    """
    preds = group_indices(predictions)
    for key, gt_idx in group_indices(ground_truth).items():
        pred_idx = preds.get(key)
        if pred_idx:
            yield pred_idx, gt_idx, iou_matrix([predictions[i] for i in pred_idx],
                                                [ground_truth[j] for j in gt_idx], variant)
