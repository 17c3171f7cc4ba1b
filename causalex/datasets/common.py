"""Shared pieces of the annotation readers: the record type, emotion classes, frame fixing, sheets.

Every dataset reader turns one spreadsheet row into an `AnnotationRecord`: a generic `Interval`
(0-based inclusive frames, ``macro``/``micro``, MEGC emotion class) plus what the generic labels
CSV has no column for (the emotion label as the dataset wrote it, the AU code, the source row and
any repair made to the row), so that nothing in the source is lost.

Repairs applied to every format (`make_interval`), each recorded in ``AnnotationRecord.note``:

- **Frame base.** The sheets number frames from 1 (image ``img1.jpg`` / ``..._0001.jpg`` is frame 1);
  causalex numbers from 0, so ``frame_base`` is subtracted. An onset of exactly ``frame_base - 1``
  (SAMM-LV writes ``0`` for an expression already under way when the video starts) becomes frame 0.
- **Missing offset** (``0`` -- the frame before the first --, ``-1`` or empty; CAS(ME)^2 writes
  ``0`` when the annotators could not place the offset): ``missing_offset="mirror"`` (default)
  sets ``offset = apex + (apex - onset)``, i.e. assumes the offset phase lasts as long as the onset
  phase, which keeps the interval on the time scale of the expression itself (a fixed +N frames,
  as LGSNet's re-export uses, turns short micro-expressions into macro-length ones); ``"apex"``
  ends the interval at the apex (SOFTNet's choice); ``"error"`` refuses the row.
- **Missing apex** (the same codes; SAMM-LV writes ``-1``): the middle of ``[onset, offset]``.
- **Apex outside [onset, offset]** (a handful of real CAS(ME)^2 rows have ``offset < apex``): the
  apex is clamped into the interval; onset and offset, which the MEGC protocol scores, are kept.
- **offset < onset**, a negative frame, a non-numeric frame or an unknown type: `InputError`
  naming the file and the row.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from causalex.errors import input_error, require_file
from causalex.labels import EMOTION_TO_MEGC, MEGC_EMOTIONS, Interval, to_megc_emotion  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

MISSING_OFFSET_RULES = ("mirror", "apex", "error")



@dataclass(frozen=True)
class AnnotationRecord:
    """One annotated expression with what the generic labels CSV cannot hold.

    Attributes:
        interval: the expression in the generic format (0-based inclusive frames).
        emotion_original: the emotion label(s) as written in the source, ``""`` if none.
        aus: the FACS code as written in the source (e.g. ``4+7``, ``L14B``).
        source_row: 1-based row number in the source sheet or file (header rows included), for
            tracing a label back.
        note: repairs applied to the row (missing offset, clamped apex, ...), ``""`` if none.
        comment: free-text notes the source gives for the row (SAMM ``Notes``), ``""`` if none.
    """

    interval: Interval
    emotion_original: str = ""
    aus: str = ""
    source_row: int = 0
    note: str = ""
    comment: str = ""


def cell_text(value: Any) -> str:
    """A spreadsheet cell as stripped text (``""`` for empty; ``6.0`` -> ``6``)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_type(value: Any, path, row: int) -> str:
    """``macro``/``micro`` from the ways datasets write it.

    Accepts ``macro-expression``, ``Macro``, ``Micro - 1/2``, ``MaE``, ``ME``, and the spotting-code
    integers ``1`` (macro) and ``2`` (micro).

    Raises:
        InputError: any other value.
    """
    text = cell_text(value).lower()
    if text.startswith("macro") or text == "mae" or text == "1":
        return "macro"
    if text.startswith("micro") or text == "me" or text == "2":
        return "micro"
    raise input_error(path, f"unknown expression type {cell_text(value)!r} (expected macro or micro)", row)


def parse_frame(value: Any, path, row: int, name: str) -> int | None:
    """A frame number from a cell; None when the cell is empty.

    Raises:
        InputError: text that is not a whole number.
    """
    text = cell_text(value)
    if text == "":
        return None
    try:
        number = float(text)
    except ValueError:
        raise input_error(path, f"{name} {text!r} is not a frame number", row) from None
    if not number.is_integer():
        raise input_error(path, f"{name} {text!r} is not a whole frame number", row)
    return int(number)


def make_interval(path, row: int, *, video: str, subject: str, onset: Any, apex: Any, offset: Any,
                  kind: str, emotion: str, frame_base: int, missing_offset: str,
                  note_missing_apex: bool = True) -> tuple[Interval, str]:
    """Build a validated 0-based `Interval` from one row's raw cells (rules in the module docstring).

    Args:
        path, row: where the row comes from (for error messages).
        video, subject: ids of the expression's video and subject.
        onset, apex, offset: raw cells in the source's frame numbering.
        kind: ``macro`` or ``micro`` (already parsed).
        emotion: MEGC class or ``""``.
        frame_base: number of the first frame in the source (1 for the published sheets).
        missing_offset: ``mirror``, ``apex`` or ``error``.
        note_missing_apex: False for layouts without an apex column (no note for the filled apex).

    Returns:
        The interval and a note describing repairs (``""`` if none).

    Raises:
        InputError: as listed in the module docstring.
    """
    if missing_offset not in MISSING_OFFSET_RULES:
        raise ValueError(f"missing_offset must be one of {MISSING_OFFSET_RULES}, got {missing_offset!r}")
    if not video:
        raise input_error(path, "empty video name", row)
    on = parse_frame(onset, path, row, "onset")
    ap = parse_frame(apex, path, row, "apex")
    off = parse_frame(offset, path, row, "offset")
    if on is None:
        raise input_error(path, "onset is empty", row)
    notes = []
    first = frame_base - 1  # lowest value a sheet may hold ("0": under way at the first frame)
    if on < first:
        raise input_error(path, f"onset {on} is before the first frame ({frame_base})", row)
    not_coded = {first, -1}  # the sheets write 0 or -1 for a frame the annotators did not place
    for name, value in (("apex", ap), ("offset", off)):
        if value is not None and value < first and value not in not_coded:
            raise input_error(path, f"{name} {value} is before the first frame ({frame_base})", row)
    ap = None if ap in not_coded else ap
    off = None if off in not_coded else off
    if off is None:
        if missing_offset == "error" or ap is None:
            raise input_error(path, "offset is missing" + ("" if ap is not None else " and so is the apex"), row)
        off = ap + (ap - on) if missing_offset == "mirror" else ap
        notes.append(f"offset missing: set to sheet frame {off} ({missing_offset})")
    if off < on:
        raise input_error(path, f"offset {off} < onset {on}", row)
    if ap is None:
        ap = (on + off) // 2
        if note_missing_apex:
            notes.append(f"apex missing: set to middle sheet frame {ap}")
    elif not on <= ap <= off:
        clamped = min(max(ap, on), off)
        notes.append(f"apex {ap} outside [{on}, {off}]: clamped to sheet frame {clamped}")
        ap = clamped
    shift = frame_base
    on0, ap0, off0 = max(on - shift, 0), max(ap - shift, 0), max(off - shift, 0)
    if on - shift < 0:
        notes.append(f"onset {on} is before frame {frame_base}: set to the first frame")
    return Interval(video=video, onset=on0, apex=ap0, offset=off0, type=kind, emotion=emotion,
                    subject=subject), "; ".join(notes)


def finish_records(path, records: list[AnnotationRecord], where: str) -> list[AnnotationRecord]:
    """Refuse an empty result, drop rows that repeat an earlier one, log what was repaired or dropped.

    A repeated expression (same video, frames and type) would be a second ground truth that a second
    prediction could match, and the labels reader refuses it; the first of the rows is kept.

    Raises:
        InputError: no records (``where`` says where rows were expected).
    """
    if not records:
        raise input_error(path, f"no annotation rows {where}")
    first: dict[tuple, int] = {}
    kept, repeats = [], []
    for r in records:
        iv = r.interval
        key = (iv.video, iv.onset, iv.apex, iv.offset, iv.type)
        if key in first:
            repeats.append(f"{r.source_row} (= {first[key]})")
            continue
        first[key] = r.source_row
        kept.append(r)
    if repeats:
        log.warning("%s: dropped %d row(s) that repeat an earlier expression: source row %s", path, len(repeats),
                    ", ".join(repeats))
    records = kept
    fixed = [r for r in records if r.note]
    if fixed:
        log.warning("%s: repaired %d of %d rows (missing offset/apex, clamped apex); see the note column",
                    path, len(fixed), len(records))
    return records


def load_workbook(path: str | os.PathLike):
    """Open an .xlsx workbook read-only (values, not formulas).

    Raises:
        InputError: missing file, not an .xlsx workbook.
    """
    import openpyxl

    require_file(path, "annotation workbook")
    if str(path).lower().endswith(".xls"):
        raise input_error(path, "old .xls workbooks are not supported; save it as .xlsx first")
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile / openpyxl raise several types for a non-workbook
        raise input_error(path, f"not a readable .xlsx workbook ({type(exc).__name__})") from exc


def sheet_rows(workbook, name: str | None = None, index: int = 0) -> list[tuple]:
    """All rows of a sheet (by name, else by position) as tuples of cell values."""
    sheet = workbook[name] if name is not None else workbook.worksheets[index]
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]


def find_sheet(workbook, path, *keys: str, fallback: int | None = None):
    """The sheet whose name contains one of ``keys`` (case and spaces ignored), else ``fallback``.

    Raises:
        InputError: no such sheet.
    """
    names = workbook.sheetnames
    squash = [re.sub(r"\s+", "", n.lower()) for n in names]
    for key in keys:
        for name, flat in zip(names, squash):
            if key in flat:
                return name
    if fallback is not None and fallback < len(names):
        return names[fallback]
    raise input_error(path, f"no sheet named like {' / '.join(keys)} (has {', '.join(names)})")


def find_header(rows: list[tuple], path, required: tuple[str, ...], aliases: dict[str, tuple[str, ...]],
                scan: int = 30) -> tuple[int, dict[str, int]]:
    """Locate a header row below free-text notes and map canonical names to column indices.

    Args:
        rows: sheet rows.
        path: for error messages.
        required: canonical names that must be found.
        aliases: canonical name -> accepted header texts (compared lower-case, spaces squashed).
        scan: how many top rows to search.

    Returns:
        ``(header_row_index, {canonical: column})``.

    Raises:
        InputError: no row holds all required columns.
    """
    norm = {canon: {re.sub(r"\s+", " ", a.lower()) for a in alts} for canon, alts in aliases.items()}
    for i, row in enumerate(rows[:scan]):
        cells = [re.sub(r"\s+", " ", cell_text(c).lower()) for c in row]
        found = {}
        for canon, alts in norm.items():
            for j, c in enumerate(cells):
                if c in alts:
                    found.setdefault(canon, j)
                    break
        if all(r in found for r in required):
            return i, found
    wanted = ", ".join(aliases[r][0] for r in required)
    raise input_error(path, f"no header row with columns {wanted} in the first {scan} rows")


def rows_below_header(rows: list[tuple], head: int, col: dict[str, int]) -> Iterator[tuple[int, Callable]]:
    """Yield ``(sheet_row_number, get)`` for each non-blank row below the header row ``head``.

    ``get(name)`` returns the row's cell of canonical column ``name``, or None when the sheet has no
    such column or the row is short.
    """
    for i in range(head + 1, len(rows)):
        row = rows[i]
        if not any(cell_text(c) for c in row):
            continue

        def get(name: str, row: tuple = row) -> Any:
            j = col.get(name)
            return row[j] if j is not None and j < len(row) else None

        yield i + 1, get
