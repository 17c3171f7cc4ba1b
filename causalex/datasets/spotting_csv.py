"""Annotation CSVs re-exported by public spotting code (AUW-GCN, LGSNet) and the generic labels CSV.

Accepted header layouts (column names matched case-insensitively, order free):

- AUW-GCN ``info_csv/*.csv``: ``subject,video_name,start_frame,apex_frame,end_frame,type_idx,au``
  with ``type_idx`` 1 = macro, 2 = micro; CAS(ME)^2 rows keep the sheet's ``end_frame`` 0 for a
  missing offset and SAMM rows ``apex_frame`` -1 for a missing apex.
- LGSNet ``*_annotation*.csv``: ``subject,video,type,type_idx,startFrame,endFrame,frame_num,length``
  where ``video`` is a path (``./SAMM_longvideos/006_1``) and ``type`` is the dataset's word
  (``macro-expression``, ``Micro``); there is no apex column (the apex becomes the middle frame).
- causalex generic labels: ``subject,video,onset,apex,offset,type,emotion`` (0-based frames).

Frame numbering: the spotting-code files copy the 1-based sheet numbers (both projects add 1 when
turning their 0-based predictions into frame numbers), so ``frame_base`` defaults to 1 for them and
to 0 for the generic layout. Note that such files may already be resampled (AUW-GCN's
``samm_new_25.csv`` holds SAMM frames at 25 fps): convert the labels with the frame rate of the
file, or bring them back with `causalex.resample.resample_intervals`.

A ``video`` path is reduced to its last component; when that is a one- or two-letter task name
(CAS(ME)^3 ``.../001/a``) the parent folder is kept as well (``001_a``). Rows are numbered as data
rows (header excluded) in error messages, like the generic labels reader.
"""

from __future__ import annotations

import csv
import io
import os
import re

from causalex.datasets.common import (AnnotationRecord, finish_records, make_interval, parse_type,
                                      to_megc_emotion)
from causalex.errors import input_error, require_file
from causalex.fileio import read_utf8_text
from causalex.labels import Interval

SPOTTING_CSV_COLUMNS = {
    "video": ("video_name", "video", "vid"),
    "subject": ("subject", "sub"),
    "onset": ("start_frame", "startframe", "onset", "start"),
    "apex": ("apex_frame", "apexframe", "apex"),
    "offset": ("end_frame", "endframe", "offset", "end"),
    "type": ("type",),
    "type_idx": ("type_idx",),
    "emotion": ("emotion",),
    "aus": ("au", "aus", "action units"),
}


def video_id_from_path(text: str) -> str:
    """``./SAMM_longvideos/006_1`` -> ``006_1``; ``/x/001/a`` -> ``001_a``; ``15_0401`` unchanged."""
    parts = [p for p in re.split(r"[\\/]+", text.strip()) if p and p != "."]
    if not parts:
        return ""
    if len(parts) >= 2 and len(parts[-1]) <= 2:
        return f"{parts[-2]}_{parts[-1]}"
    return parts[-1]


def read_spotting_csv_records(path: str | os.PathLike, frame_base: int | None = None,
                              missing_offset: str = "mirror") -> list[AnnotationRecord]:
    """Read an AUW-GCN / LGSNet / generic annotation CSV into annotation records.

    Args:
        path: the CSV file.
        frame_base: number of the first frame in the file; None picks 1 for the spotting-code
            layouts and 0 for the generic labels layout.
        missing_offset: how a missing offset is filled: ``mirror``, ``apex`` or ``error``.

    Raises:
        InputError: missing/empty/non-UTF-8 file, missing columns, bad frames, offset < onset,
            unknown type (naming the data row).
    """
    require_file(path, "annotation CSV")
    text = read_utf8_text(path, "text CSV")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise input_error(path, "empty CSV file (no header)")
    names = [h.strip().lower() for h in header]
    col = {}
    for canon, alts in SPOTTING_CSV_COLUMNS.items():
        hits = [names.index(a) for a in alts if a in names]
        if hits:
            col[canon] = hits[0]
    missing = [c for c in ("video", "onset", "offset") if c not in col]
    if "type" not in col and "type_idx" not in col:
        missing.append("type or type_idx")
    if missing:
        raise input_error(path, f"missing column(s) {', '.join(missing)} (has {', '.join(h.strip() for h in header)})")
    if frame_base is None:
        frame_base = 0 if names[col["onset"]] == "onset" else 1

    records = []
    for i, row in enumerate(reader, start=1):
        if not any(c.strip() for c in row):
            continue
        get = lambda name: row[col[name]].strip() if name in col and col[name] < len(row) else ""  # noqa: E731
        kind_cell = get("type") or get("type_idx")
        subject = get("subject")
        emotion_text = get("emotion")
        interval, note = make_interval(
            path, i, video=video_id_from_path(get("video")), subject=subject, onset=get("onset"), apex=get("apex"),
            offset=get("offset"), kind=parse_type(kind_cell, path, i), emotion=to_megc_emotion(emotion_text),
            frame_base=frame_base, missing_offset=missing_offset, note_missing_apex="apex" in col)
        records.append(AnnotationRecord(interval, emotion_original=emotion_text, aus=get("aus"), source_row=i,
                                        note=note))
    return finish_records(path, records, "(the CSV has a header but no rows)")


def read_spotting_csv(path: str | os.PathLike, frame_base: int | None = None,
                      missing_offset: str = "mirror") -> list[Interval]:
    """Spotting-code annotation CSV -> generic intervals (see `read_spotting_csv_records`)."""
    return [r.interval for r in read_spotting_csv_records(path, frame_base, missing_offset)]
