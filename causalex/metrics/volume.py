"""Prediction volume checks: a type predicted never, or far more often than it occurs.

A model whose threshold sits above every score it gives predicts nothing of a type, and one whose
threshold sits in the noise floods: both give an F1 near 0 and say nothing on their own. `volume_warnings`
compares the number of predictions of each type with the number expected (the ground truths where labels
exist, else the training label rate times the duration) and words a warning for each type that is silent or
floods. `train` (per fold), `spot` (per run) and `evaluate` print them.
"""

from __future__ import annotations

import logging
from typing import Iterable

from causalex.labels import EXPRESSION_TYPES, Interval

log = logging.getLogger(__name__)

FLOOD_RATIO = 5.0  # more than this many predictions per expected expression (and at least FLOOD_MIN) floods
FLOOD_MIN = 10  # fewer predictions than this never count as a flood (a handful is noise, not a flood)
SILENT_MIN_EXPECTED = 1.0  # no prediction of a type is reported when at least this many were expected


def count_types(intervals: Iterable[Interval]) -> dict[str, int]:
    """Intervals per expression type (``{"micro": n, "macro": n}``)."""
    out = dict.fromkeys(EXPRESSION_TYPES, 0)
    for iv in intervals:
        out[iv.type] = out.get(iv.type, 0) + 1
    return out


def volume_warnings(n_pred: dict[str, int], expected: dict[str, float], where: str, basis: str,
                    ratio: float = FLOOD_RATIO) -> list[str]:
    """Warnings for types predicted never though expected, or far more often than expected.

    Args:
        n_pred: predictions per type.
        expected: expressions expected per type.
        where: what predicted, e.g. ``"fold s03"`` or ``"predictions.csv"`` (starts each message).
        basis: where ``expected`` comes from, e.g. ``"ground truths"`` or ``"at the training rate"``.
        ratio: the flood factor.

    Returns:
        One message per problem (empty when the volume is plausible).
    """
    out = []
    for kind in EXPRESSION_TYPES:
        got, want = int(n_pred.get(kind, 0)), float(expected.get(kind, 0.0))
        if got == 0 and want >= SILENT_MIN_EXPECTED:
            out.append(f"{where}: no {kind} prediction where {want:.3g} {kind}-expression(s) were expected ({basis}): "
                       f"{kind} F1 is 0 (is the {kind} threshold above every score?)")
        elif got >= FLOOD_MIN and got > ratio * max(want, 1.0):
            many = f", {got / want:.0f} times as many" if want >= 1.0 else ""
            out.append(f"{where}: {got} {kind} predictions where {want:.3g} were expected ({basis}){many}: "
                       f"the {kind} threshold sits in the noise")
    return out


def log_volume_warnings(messages: list[str]) -> None:
    """Log each message as a warning."""
    for message in messages:
        log.warning("%s", message)
