"""Readers for published micro-/macro-expression annotation files -> generic intervals.

Formats (``read_annotations(path, fmt)``; details in each module's docstring):

=========  =============================================  ====  =====================
``fmt``    file                                           fps   module
=========  =============================================  ====  =====================
casme2     ``CAS(ME)^2code_final.xlsx``                   30    `causalex.datasets.casme2`
samm       ``SAMM_LongVideos_V*_Release.xlsx``            200   `causalex.datasets.samm`
casme3     ``cas(me)3_part_A_*_label_JpgIndex_*.xlsx``    30    `causalex.datasets.casme3`
csv        AUW-GCN / LGSNet / generic labels CSV          --    `causalex.datasets.spotting_csv`
=========  =============================================  ====  =====================

All readers return 0-based inclusive frames, ``macro``/``micro`` types and MEGC emotion classes
(negative/positive/surprise/others, empty when the source has none); the original label, AU code,
source row and any repair are kept in `AnnotationRecord` and written as extra columns by
`write_annotations_csv`, after the seven generic columns (so `causalex.labels.read_labels_csv`
reads the file unchanged).
"""

from __future__ import annotations

import csv
import io
import os
from typing import Any, Callable, Iterable

from causalex.datasets.casme2 import CASME2_FPS, read_casme2_records, read_casme2_xlsx
from causalex.datasets.casme3 import CASME3_FPS, read_casme3_records, read_casme3_xlsx
from causalex.datasets.common import MEGC_EMOTIONS, MISSING_OFFSET_RULES, AnnotationRecord, to_megc_emotion
from causalex.datasets.samm import SAMM_FPS, read_samm_records, read_samm_xlsx
from causalex.datasets.spotting_csv import read_spotting_csv, read_spotting_csv_records
from causalex.fileio import write_text_atomic
from causalex.labels import LABEL_COLUMNS, Interval

ANNOTATION_FORMATS: dict[str, Callable[..., list[AnnotationRecord]]] = {
    "casme2": read_casme2_records,
    "samm": read_samm_records,
    "casme3": read_casme3_records,
    "csv": read_spotting_csv_records,
}
DATASET_FPS = {"casme2": CASME2_FPS, "samm": SAMM_FPS, "casme3": CASME3_FPS}
EXTRA_COLUMNS = ("emotion_original", "aus", "source_row", "note", "comment")

__all__ = [
    "ANNOTATION_FORMATS", "DATASET_FPS", "EXTRA_COLUMNS", "MEGC_EMOTIONS", "MISSING_OFFSET_RULES", "AnnotationRecord",
    "read_annotations", "write_annotations_csv", "to_megc_emotion", "read_casme2_xlsx", "read_samm_xlsx",
    "read_casme3_xlsx", "read_spotting_csv",
]


def read_annotations(path: str | os.PathLike, fmt: str, **options: Any) -> list[AnnotationRecord]:
    """Read an annotation file of format ``fmt`` (a key of `ANNOTATION_FORMATS`).

    Args:
        path: the workbook or CSV.
        fmt: ``casme2``, ``samm``, ``casme3`` or ``csv``.
        **options: passed to the format's reader (``missing_offset``, ``frame_base``, and
            ``expression_type`` for ``casme3``); None values are dropped.

    Raises:
        ValueError: unknown format (the message lists the valid ones).
        InputError: any problem with the file.
    """
    if fmt not in ANNOTATION_FORMATS:
        raise ValueError(f"unknown annotation format {fmt!r}; choose one of {', '.join(ANNOTATION_FORMATS)}")
    return ANNOTATION_FORMATS[fmt](path, **{k: v for k, v in options.items() if v is not None})


def write_annotations_csv(path: str | os.PathLike, records: Iterable[AnnotationRecord]) -> None:
    """Write records as a generic labels CSV plus the `EXTRA_COLUMNS` (atomic)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(LABEL_COLUMNS + EXTRA_COLUMNS)
    for r in records:
        iv: Interval = r.interval
        w.writerow([iv.subject, iv.video, iv.onset, iv.apex, iv.offset, iv.type, iv.emotion,
                    r.emotion_original, r.aus, r.source_row, r.note, r.comment])
    write_text_atomic(path, buf.getvalue())
