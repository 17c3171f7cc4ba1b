"""Full evaluation (spotting + mAP + STRS) and its plain-text table."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Sequence

from causalex.labels import Interval
from causalex.metrics.average_precision import MAP_THRESHOLDS, mean_average_precision
from causalex.metrics.recognition import strs
from causalex.metrics.spotting import SCORE_ROWS, SpottingResult, evaluate_spotting

log = logging.getLogger(__name__)
VARIANT_RULES = {"megc": "IoU >= 0.5, inclusive frames", "auwgcn": "IoU > 0.5, length offset-onset"}


def evaluate_predictions(predictions: list[Interval], ground_truth: list[Interval], variant: str = "megc",
                         thresholds: Sequence[float] = MAP_THRESHOLDS) -> SpottingResult:
    """Spotting scores with the mAP and (when the labels carry emotions) STRS extras filled in.

    Args:
        predictions: predicted intervals (all videos).
        ground_truth: labelled intervals (all videos).
        variant: ``megc`` or ``auwgcn``.
        thresholds: IoU thresholds of the mAP.
    """
    spotting = evaluate_spotting(predictions, ground_truth, variant)
    if len(predictions) > 1 and len({p.score for p in predictions}) == 1:
        log.warning("all %d predictions have the same score (%g): their mAP ranks them in file order, so it "
                    "depends on that order (a predictions CSV without a score column reads as 1.0)",
                    len(predictions), predictions[0].score)
    return replace(spotting, map=mean_average_precision(predictions, ground_truth, thresholds, variant),
                   strs=strs(predictions, ground_truth, variant, spotting=spotting))


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def map_label(result: SpottingResult) -> str:
    """Column title of the mAP, e.g. ``mAP@0.1:0.5``."""
    t = result.map.thresholds if result.map is not None else MAP_THRESHOLDS
    return f"mAP@{t[0]:g}:{t[-1]:g}" if len(t) > 1 else f"mAP@{t[0]:g}"


def table_rows(result: SpottingResult) -> tuple[list[str], list[list[str]]]:
    """Header and rows (strings) of the score table; the mAP column only when mAP was computed."""
    header = ["type", "TP", "N_pred", "N_gt", "precision", "recall", "F1"]
    if result.map is not None:
        header.append(map_label(result))
    rows = []
    for name in SCORE_ROWS:
        s = result[name]
        row = [name, str(s.tp), str(s.n_pred), str(s.n_gt), _fmt(s.precision), _fmt(s.recall), _fmt(s.f1)]
        if result.map is not None:
            row.append(_fmt(result.map.mean if name == "overall" else result.map.type_mean(name)))
        rows.append(row)
    return header, rows


def strs_line(result: SpottingResult) -> str | None:
    """One line describing the STRS, or None when it was not computed."""
    s = result.strs
    if s is None:
        return None
    return (f"STRS ({s.row}) {s.strs:.4f} = spotting F1 {s.spotting_f1:.4f} x recognition F1 {s.recognition_f1:.4f} "
            f"(P {s.recognition_precision:.4f}, R {s.recognition_recall:.4f}; {s.n_pairs} spotted with emotion; "
            f"classes: {', '.join(s.classes) or 'none'})")


def format_table(result: SpottingResult) -> str:
    """Plain-text table of a result: a title line, the score rows and the STRS line if any."""
    header, rows = table_rows(result)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    out = [f"MEGC spotting ({result.variant}: {VARIANT_RULES.get(result.variant, result.variant)})",
           line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]
    if (extra := strs_line(result)) is not None:
        out.append(extra)
    return "\n".join(out)
