"""MEGC evaluation: spotting F1 (MEGC rule or AUW-GCN variant), mAP at IoU thresholds, and STRS.

Modules: `overlap` (IoU conventions), `spotting` (TP/P/R/F1), `average_precision` (mAP),
`recognition` (STRS), `report` (full evaluation and text table), `errors` (where F1 is lost).
"""

from causalex.metrics.average_precision import MAP_THRESHOLDS, APResult, average_precision, mean_average_precision
from causalex.metrics.errors import ErrorBreakdown, error_breakdown
from causalex.metrics.overlap import VARIANTS, iou, iou_matrix
from causalex.metrics.recognition import STRSResult, class_averaged_scores, recognition_pairs, strs
from causalex.metrics.report import evaluate_predictions, format_table, table_rows
from causalex.metrics.spotting import SpottingResult, TypeScore, best_matches, check_videos, evaluate_spotting

__all__ = [
    "MAP_THRESHOLDS", "VARIANTS", "APResult", "ErrorBreakdown", "error_breakdown", "STRSResult", "SpottingResult", "TypeScore", "average_precision",
    "best_matches", "check_videos", "class_averaged_scores", "evaluate_predictions", "evaluate_spotting",
    "format_table", "iou", "iou_matrix", "mean_average_precision", "recognition_pairs", "strs", "table_rows",
]
