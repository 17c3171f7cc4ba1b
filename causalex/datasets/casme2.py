"""CAS(ME)^2 annotations (``CAS(ME)^2code_final.xlsx``, also the ``(Updated)`` release).

Layout of the workbook (no header rows anywhere):

- Sheet 1 (``CASFEcode_final`` or ``CASMEcode_final``), one expression per row, columns
  A participant number (1, 2, ...), B clip name ``<expression video><n>_<k>`` such as
  ``anger1_1`` / ``disgust1_10``, C onset, D apex, E offset, F AUs (``4+7``), G estimated emotion
  (``negative``/``positive``/``surprise``/``others``), H type (``macro-expression`` /
  ``micro-expression``), I self-reported emotion (``disgust``, ``happiness``, ...).
- ``naming rule1``: A folder number (15), B folder name (``s15``), C participant number (1).
- ``naming rule2``: A video code (``0401``, sometimes stored as the number 401), B expression
  video name (``anger1``).

Frames are the 1-based image numbers of ``rawpic/s15/15_0401girlcrashing/img<n>.jpg`` at 30 fps;
they are converted to 0-based. An offset of 0 means the annotators could not place the offset; see
`causalex.datasets.common` for how it is filled. The video id is ``<folder number>_<video code>``
(``15_0401``, the prefix of the raw video ``15_0401girlcrashing.avi``) and the subject id is the
folder name (``s15``). The emotion is the MEGC class of column G, or of column I when G is not a
known word; both originals are kept as ``estimated/self-reported`` in ``emotion_original``.
"""

from __future__ import annotations

import os

from causalex.datasets.common import (AnnotationRecord, cell_text, find_sheet, finish_records, load_workbook,
                                      make_interval, parse_type, sheet_rows, to_megc_emotion)
from causalex.errors import input_error
from causalex.labels import Interval

CASME2_FPS = 30.0


def _naming_rules(workbook, path) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    rule1 = sheet_rows(workbook, find_sheet(workbook, path, "namingrule1", "rule1", fallback=1))
    rule2 = sheet_rows(workbook, find_sheet(workbook, path, "namingrule2", "rule2", fallback=2))
    subjects = {}  # participant number -> (folder number, folder name)
    for row in rule1:
        if len(row) >= 3 and cell_text(row[2]):
            subjects[cell_text(row[2])] = (cell_text(row[0]), cell_text(row[1]))
    videos = {}  # expression video name -> 4-digit code
    for row in rule2:
        if len(row) >= 2 and cell_text(row[1]):
            code = cell_text(row[0])
            videos[cell_text(row[1]).lower()] = code.zfill(4) if code.isdigit() else code
    if not subjects or not videos:
        raise input_error(path, "naming rule sheets are empty (need participant -> folder and name -> code)")
    return subjects, videos


def read_casme2_records(path: str | os.PathLike, missing_offset: str = "mirror",
                        frame_base: int = 1) -> list[AnnotationRecord]:
    """Read a CAS(ME)^2 code workbook into annotation records (layout in the module docstring).

    Args:
        path: the ``.xlsx`` workbook.
        missing_offset: how an offset of 0 is filled: ``mirror``, ``apex`` or ``error``.
        frame_base: number of the first image in the sheet (1 in the published workbook).

    Raises:
        InputError: missing/unreadable workbook, unknown participant or video name, bad frames,
            offset < onset, unknown type (naming the row).
    """
    workbook = load_workbook(path)
    try:
        subjects, videos = _naming_rules(workbook, path)
        rows = sheet_rows(workbook, index=0)
    finally:
        workbook.close()
    records = []
    for i, row in enumerate(rows, start=1):
        cells = [cell_text(c) for c in row] + [""] * 9
        if not any(cells[:9]):
            continue  # blank line
        participant, clip = cells[0], cells[1]
        if participant not in subjects:
            raise input_error(path, f"participant {participant!r} is not in the naming rule1 sheet", i)
        folder_number, folder = subjects[participant]
        video_name = clip.rsplit("_", 1)[0].lower()
        if video_name not in videos:
            raise input_error(path, f"clip {clip!r}: video {video_name!r} is not in the naming rule2 sheet", i)
        interval, note = make_interval(
            path, i, video=f"{folder_number}_{videos[video_name]}", subject=folder, onset=row[2], apex=row[3],
            offset=row[4], kind=parse_type(cells[7], path, i), emotion=to_megc_emotion(cells[6], cells[8]),
            frame_base=frame_base, missing_offset=missing_offset)
        original = "/".join(x for x in (cells[6], cells[8]) if x)
        records.append(AnnotationRecord(interval, emotion_original=original, aus=cells[5], source_row=i, note=note))
    return finish_records(path, records, "in the first sheet")


def read_casme2_xlsx(path: str | os.PathLike, missing_offset: str = "mirror", frame_base: int = 1) -> list[Interval]:
    """CAS(ME)^2 workbook -> generic intervals (see `read_casme2_records`)."""
    return [r.interval for r in read_casme2_records(path, missing_offset, frame_base)]
