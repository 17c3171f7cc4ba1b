"""CAS(ME)^3 Part A annotations (``cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx`` and the MaE file).

Layout: a header row (the first row of sheet ``label`` / ``Sheet1``; located by its names), then
one expression per row with columns ``Subject`` (``spNO.1``), ``Filename`` (the task video, ``a`` to
``m``), ``Onset``, ``Apex``, ``Offset``, ``AU``, ``Objective class``, ``emotion`` (``happy``,
``disgust``, ``fear``, ``anger``, ``sad``, ``surprise``, ``others``) and, in combined sheets, a
type column (``Macro``/``Micro``/``MaE``/``ME``). The macro-expression release names its columns
``sub``, ``seq``, ``onset``, ``apex``, ``offset``, ``emotion``; both spellings are accepted.

The ME and MaE releases are separate files without a type column: the type then comes from the
``expression_type`` argument, or from the file name (``MaE`` -> macro, ``ME`` -> micro).

Frames are the jpg indices of ``<subject>/<filename>/color/<n>.jpg`` at 30 fps, taken as 1-based
like the other datasets and converted to 0-based (pass ``frame_base=0`` if your copy's first image
is ``0.jpg``). The video id is ``<subject>_<filename>`` (``spNO.1_a``), the subject id the subject
column. The objective class is kept in ``AnnotationRecord.comment``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from causalex.datasets.common import (AnnotationRecord, cell_text, find_header, finish_records, load_workbook,
                                      make_interval, parse_type, rows_below_header, sheet_rows, to_megc_emotion)
from causalex.errors import input_error
from causalex.labels import EXPRESSION_TYPES, Interval

CASME3_FPS = 30.0

CASME3_COLUMNS = {
    "subject": ("subject", "sub"),
    "filename": ("filename", "seq", "video"),
    "onset": ("onset", "onset frame"),
    "apex": ("apex", "apex frame"),
    "offset": ("offset", "offset frame"),
    "aus": ("au", "aus", "action units"),
    "objective": ("objective class", "objective"),
    "emotion": ("emotion", "estimated emotion"),
    "type": ("type", "expression type"),
}


def type_from_file_name(path: str | os.PathLike) -> str | None:
    """``macro`` for a ``..._MaE_...`` file, ``micro`` for a ``..._ME_...`` file, else None."""
    name = Path(path).name.lower().replace("cas(me)", "")
    if "mae" in name:
        return "macro"
    if re.search(r"(^|[^a-z])me([^a-z]|$)", name):
        return "micro"
    return None


def read_casme3_records(path: str | os.PathLike, expression_type: str | None = None, missing_offset: str = "mirror",
                        frame_base: int = 1) -> list[AnnotationRecord]:
    """Read a CAS(ME)^3 Part A label workbook into annotation records (layout in the module docstring).

    Args:
        path: the ``.xlsx`` workbook.
        expression_type: ``macro``/``micro`` for sheets without a type column (default: from the
            file name).
        missing_offset: how a missing offset is filled: ``mirror``, ``apex`` or ``error``.
        frame_base: number of the first image in the sheet.

    Raises:
        InputError: missing/unreadable workbook, no header row, no way to tell the type, bad frames,
            offset < onset, unknown type (naming the row).
    """
    if expression_type is not None and expression_type not in EXPRESSION_TYPES:
        raise ValueError(f"expression_type must be one of {EXPRESSION_TYPES}, got {expression_type!r}")
    workbook = load_workbook(path)
    try:
        rows = sheet_rows(workbook, index=0)
    finally:
        workbook.close()
    head, col = find_header(rows, path, ("subject", "filename", "onset", "offset"), CASME3_COLUMNS)
    default_type = expression_type or type_from_file_name(path)
    if "type" not in col and default_type is None:
        raise input_error(path, "no type column and the file name does not say ME or MaE; pass the expression type")
    records = []
    for line, get in rows_below_header(rows, head, col):
        subject, filename = cell_text(get("subject")), cell_text(get("filename"))
        if not subject or not filename:
            raise input_error(path, "empty subject or filename", line)
        kind = parse_type(get("type"), path, line) if cell_text(get("type")) else default_type
        if kind is None:
            raise input_error(path, "empty type and no default type", line)
        emotion_text = cell_text(get("emotion"))
        interval, note = make_interval(
            path, line, video=f"{subject}_{filename}", subject=subject, onset=get("onset"), apex=get("apex"),
            offset=get("offset"), kind=kind, emotion=to_megc_emotion(emotion_text), frame_base=frame_base,
            missing_offset=missing_offset)
        objective = cell_text(get("objective"))
        records.append(AnnotationRecord(interval, emotion_original=emotion_text, aus=cell_text(get("aus")),
                                        source_row=line, note=note,
                                        comment=f"objective class {objective}" if objective else ""))
    return finish_records(path, records, "below the header")


def read_casme3_xlsx(path: str | os.PathLike, expression_type: str | None = None, missing_offset: str = "mirror",
                     frame_base: int = 1) -> list[Interval]:
    """CAS(ME)^3 Part A workbook -> generic intervals (see `read_casme3_records`)."""
    return [r.interval for r in read_casme3_records(path, expression_type, missing_offset, frame_base)]
