"""Checks of `causalex evaluate`'s two files: each in its role, and no prediction counted twice.

A labels CSV has a ``subject`` column and no ``score``; a predictions CSV (what `spot` and `train` write)
has a ``score`` and no ``subject``. Given the wrong way round both still parse, and the scores come out
as nonsense, so `check_file_roles` refuses them by their header. A prediction repeated row for row (same
video, onset, offset and type) would count twice under the MEGC rule (two predictions, one found ground
truth), which lowers precision for what is a copy, not a second guess: `repeated_predictions` finds them,
and evaluate refuses them unless asked to keep the best-scored copy of each (``--drop-duplicates``).
"""

from __future__ import annotations

import csv
import logging
import os
from pathlib import Path

from causalex.errors import input_error
from causalex.labels import Interval

log = logging.getLogger(__name__)


def _header(path: str | os.PathLike) -> set[str]:
    """Column names of a CSV's first line (empty when unreadable: the readers report that)."""
    try:
        with Path(path).open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            first = fh.readline()
    except OSError:
        return set()
    return {c.strip().lower() for c in next(csv.reader([first]), [])}


def check_file_roles(predictions: str | os.PathLike, labels: str | os.PathLike) -> None:
    """Refuse a labels CSV given as predictions, or a predictions CSV given as labels (by their headers).

    Raises:
        InputError: naming the file and what it looks like.
    """
    pred_cols, label_cols = _header(predictions), _header(labels)
    if "score" in label_cols and "subject" not in label_cols:
        raise input_error(labels, "is a predictions CSV (it has a score column and no subject), not labels: --labels "
                                  "takes the labels CSV (subject,video,onset,apex,offset,type,emotion)")
    if "subject" in pred_cols and "score" not in pred_cols:
        raise input_error(predictions, "is a labels CSV (it has a subject column and no score), not predictions: "
                                       "pass the predictions CSV first and the labels with --labels")


def repeated_predictions(predictions: list[Interval]) -> list[tuple[int, int]]:
    """``(row, earlier row)`` of every prediction that repeats an earlier one's video, onset, offset and type
    (rows 1-based, in file order)."""
    seen: dict[tuple[str, int, int, str], int] = {}
    out = []
    for row, iv in enumerate(predictions, start=1):
        key = (iv.video, iv.onset, iv.offset, iv.type)
        if key in seen:
            out.append((row, seen[key]))
        else:
            seen[key] = row
    return out


def check_repeated_predictions(predictions: list[Interval], path: str | os.PathLike, drop: bool = False) -> list[Interval]:
    """The predictions without repeats: refused, or (``drop``) each kept once with its best score and a warning.

    Raises:
        InputError: a repeated prediction without ``drop`` (naming its row and the row it repeats).
    """
    repeats = repeated_predictions(predictions)
    if not repeats:
        return predictions
    row, first = repeats[0]
    iv = predictions[row - 1]
    if not drop:
        raise input_error(path, f"repeats row {first} (video {iv.video!r}, {iv.onset}-{iv.offset} {iv.type}; "
                                f"{len(repeats)} repeated row(s) in all): a copy would count as a second prediction; "
                                "remove the copies or pass --drop-duplicates", row)
    best: dict[tuple[str, int, int, str], Interval] = {}
    for p in predictions:
        key = (p.video, p.onset, p.offset, p.type)
        if key not in best or p.score > best[key].score:
            best[key] = p
    log.warning("%s: dropped %d repeated prediction row(s) (same video, onset, offset and type as an earlier row; "
                "the best score kept)", path, len(repeats))
    kept_ids = {id(p) for p in best.values()}
    return [p for p in predictions if id(p) in kept_ids]
