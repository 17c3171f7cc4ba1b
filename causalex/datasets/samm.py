"""SAMM Long Videos annotations (``SAMM_LongVideos_V1/V2/V3_Release.xlsx``).

Layout: the first sheet starts with free-text notes (about ten rows, their number differs between
releases), then a header row ``Subject, Filename, Inducement Code, Onset, Apex, Offset, Duration,
Type, Action Units, Notes`` and one expression per row. ``Filename`` is
``<subject>_<video>_<expression>`` (``006_1_3``), ``Type`` is ``Macro`` or ``Micro - 1/2``, an apex
of ``-1`` means it was not coded, and an onset of ``0`` marks an expression already under way when
the video starts. The header row is located by its column names, not by position.

Frames are 1-based image numbers of ``SAMM_longvideos/006_1/006_1_<nnnn>.jpg`` (the last offset of a
video equals its frame count) at 200 fps; they are converted to 0-based. The video id is
``<subject>_<video>`` (``006_1``), the subject id the zero-padded subject (``006``). The release has
no emotion column; if a sheet has one (``Emotion`` / ``Estimated Emotion``) it is mapped to MEGC
classes, otherwise the emotion is left empty.
"""

from __future__ import annotations

import os

from causalex.datasets.common import (AnnotationRecord, cell_text, find_header, finish_records, load_workbook,
                                      make_interval, parse_type, rows_below_header, sheet_rows, to_megc_emotion)
from causalex.errors import input_error
from causalex.labels import Interval

SAMM_FPS = 200.0

SAMM_COLUMNS = {
    "subject": ("subject",),
    "filename": ("filename",),
    "onset": ("onset", "onset frame"),
    "apex": ("apex", "apex frame"),
    "offset": ("offset", "offset frame"),
    "type": ("type",),
    "aus": ("action units", "au", "aus"),
    "emotion": ("emotion", "estimated emotion"),
    "notes": ("notes",),
}


def read_samm_records(path: str | os.PathLike, missing_offset: str = "mirror",
                      frame_base: int = 1) -> list[AnnotationRecord]:
    """Read a SAMM-LV release workbook into annotation records (layout in the module docstring).

    Args:
        path: the ``.xlsx`` workbook.
        missing_offset: how a missing offset is filled: ``mirror``, ``apex`` or ``error``.
        frame_base: number of the first image in the sheet (1 in the published workbook).

    Raises:
        InputError: missing/unreadable workbook, no header row, bad filename or frames,
            offset < onset, unknown type (naming the row).
    """
    workbook = load_workbook(path)
    try:
        rows = sheet_rows(workbook, index=0)
    finally:
        workbook.close()
    head, col = find_header(rows, path, ("subject", "filename", "onset", "offset", "type"), SAMM_COLUMNS)
    records = []
    for line, get in rows_below_header(rows, head, col):
        filename = cell_text(get("filename"))
        parts = filename.split("_")
        if len(parts) < 2 or not parts[0]:
            raise input_error(path, f"filename {filename!r} is not <subject>_<video>_<n>", line)
        subject = cell_text(get("subject")) or parts[0]
        subject = subject.zfill(3) if subject.isdigit() else subject
        emotion_text = cell_text(get("emotion"))
        interval, note = make_interval(
            path, line, video=f"{parts[0]}_{parts[1]}", subject=subject, onset=get("onset"),
            apex=get("apex"), offset=get("offset"), kind=parse_type(get("type"), path, line),
            emotion=to_megc_emotion(emotion_text), frame_base=frame_base, missing_offset=missing_offset)
        records.append(AnnotationRecord(interval, emotion_original=emotion_text, aus=cell_text(get("aus")),
                                        source_row=line, note=note, comment=cell_text(get("notes"))))
    return finish_records(path, records, "below the header")


def read_samm_xlsx(path: str | os.PathLike, missing_offset: str = "mirror", frame_base: int = 1) -> list[Interval]:
    """SAMM-LV workbook -> generic intervals (see `read_samm_records`)."""
    return [r.interval for r in read_samm_records(path, missing_offset, frame_base)]
