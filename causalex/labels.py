"""Expression intervals and the generic labels / predictions CSV formats.

Generic labels CSV (README, "Formats"): ``subject,video,onset,apex,offset,type,emotion``; frames are 0-based
and inclusive; ``type`` is ``macro`` or ``micro``; ``emotion`` may be empty.
Predictions CSV: ``video,onset,apex,offset,type,score,emotion`` plus ``onset_s,offset_s`` in seconds.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass, replace
from typing import Iterable, NamedTuple

from causalex.errors import input_error, require_file
from causalex.fileio import read_utf8_text, write_text_atomic

EXPRESSION_TYPES = ("macro", "micro")
LABEL_COLUMNS = ("subject", "video", "onset", "apex", "offset", "type", "emotion")
PREDICTION_COLUMNS = ("video", "onset", "apex", "offset", "type", "score", "emotion", "onset_s", "offset_s")
MEGC_EMOTIONS = ("negative", "positive", "surprise", "others")

# Dataset emotion words -> MEGC class. Words not listed map to "others" (and are kept verbatim in
# AnnotationRecord.emotion_original).
EMOTION_TO_MEGC = {
    **dict.fromkeys(("negative", "anger", "angry", "contempt", "disgust", "disgusted", "fear", "fearful",
                     "sadness", "sad", "repression", "pain", "helpless", "helplessness"), "negative"),
    **dict.fromkeys(("positive", "happiness", "happy", "joy"), "positive"),
    **dict.fromkeys(("surprise", "surprised"), "surprise"),
    **dict.fromkeys(("others", "other", "tense", "neutral"), "others"),
}


def megc_classes_of(label: str) -> set[str]:
    """The MEGC classes the known words of one emotion label map to (``disgust/fear`` -> ``{"negative"}``; a
    label with no word of `EMOTION_TO_MEGC` -> empty)."""
    return {EMOTION_TO_MEGC[w] for w in re.split(r"[^a-z]+", label.lower()) if w in EMOTION_TO_MEGC}


def to_megc_emotion(*labels: str) -> str:
    """Map dataset emotion words to a MEGC class (negative/positive/surprise/others).

    The first label that is known wins; several words in one label (``disgust/fear``) must agree.
    Empty labels give ``""``; a non-empty label that is not in `EMOTION_TO_MEGC` gives ``others``.
    """
    seen_text = False
    for label in labels:
        if not re.search(r"[a-z]", label.lower()):
            continue
        seen_text = True
        classes = megc_classes_of(label)
        if len(classes) == 1:
            return classes.pop()
    return "others" if seen_text else ""


@dataclass(frozen=True)
class Interval:
    """One expression: inclusive frame interval ``[onset, offset]`` with its apex.

    Attributes:
        video: video id.
        onset, apex, offset: 0-based frame indices, ``onset <= apex <= offset``.
        type: ``macro`` or ``micro``.
        emotion: emotion class name, empty when unknown.
        subject: subject id (labels only), empty when unknown.
        score: confidence (predictions only), 1.0 for ground truth.
    """

    video: str
    onset: int
    apex: int
    offset: int
    type: str
    emotion: str = ""
    subject: str = ""
    score: float = 1.0

    @property
    def length(self) -> int:
        """Number of frames, both ends included."""
        return self.offset - self.onset + 1

    def shifted(self, onset: int, apex: int, offset: int) -> "Interval":
        """Copy with new frame indices."""
        return replace(self, onset=onset, apex=apex, offset=offset)


def _check_interval(path, row: int, onset: int, apex: int | None, offset: int, kind: str) -> None:
    if onset < 0:
        raise input_error(path, f"onset {onset} is negative", row)
    if offset < onset:
        raise input_error(path, f"offset {offset} < onset {onset}", row)
    if apex is not None and not onset <= apex <= offset:
        raise input_error(path, f"apex {apex} is outside [{onset}, {offset}]", row)
    if kind not in EXPRESSION_TYPES:
        raise input_error(path, f"unknown type {kind!r} (expected macro or micro)", row)


def _read_rows(path: str | os.PathLike, required: Iterable[str]) -> list[tuple[int, dict[str, str]]]:
    require_file(path, "CSV file")
    text = read_utf8_text(path, "text CSV")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise input_error(path, f"missing column(s) {', '.join(missing)} (has {', '.join(header) or 'no header'})")
    rows = []
    for i, raw in enumerate(reader, start=1):
        rows.append((i, {(k or "").strip(): (v or "").strip() for k, v in raw.items() if k is not None}))
    return rows


def _int(path, row: int, name: str, value: str) -> int:
    try:
        f = float(value)
    except ValueError:
        raise input_error(path, f"{name} {value!r} is not a frame number", row) from None
    if not f.is_integer():  # also nan and inf
        raise input_error(path, f"{name} {value!r} is not a whole frame number", row)
    return int(f)


def read_labels_csv(path: str | os.PathLike) -> list[Interval]:
    """Read a generic labels CSV (``subject,video,onset,apex,offset,type,emotion``).

    An empty apex is set to the middle of the interval. A row with empty onset, offset and type lists a
    video without any expression (see `read_labels_file`) and gives no interval.

    Raises:
        InputError: missing file or column, non-integer (or nan, inf) frame, offset < onset, unknown type,
            a row that repeats an earlier one (same video, onset, apex, offset and type).
    """
    return read_labels_file(path).intervals


class LabelsFile(NamedTuple):
    """What a labels CSV holds: its intervals, the CSV data row of each, and every video it names."""

    intervals: list[Interval]
    videos: dict[str, str]  # video -> subject ("" when no row gives one), expression-free videos included
    rows: list[int]  # 1-based data row of each interval (header excluded), for messages


def read_labels_file(path: str | os.PathLike) -> LabelsFile:
    """Read a generic labels CSV: its intervals and every video it names, with the video's subject.

    A row with only subject and video (``s07,v3,,,,,``) names a video that has no expression: it is
    part of the corpus (its false alarms count, its subject is known) but adds no interval.

    Returns:
        `LabelsFile`: intervals, ``{video: subject}`` (``""`` where no row of the video gives one) and the
        CSV row of each interval.

    Raises:
        InputError: as `read_labels_csv`, plus two subjects for one video.
    """
    out: list[Interval] = []
    videos: dict[str, str] = {}
    rows: list[int] = []
    seen: dict[tuple[str, int, int, int, str], int] = {}  # a copy would match a second prediction
    for row, rec in _read_rows(path, ("video", "onset", "offset", "type")):
        if not rec["video"]:
            raise input_error(path, "empty video id", row)
        subject, known = rec.get("subject", ""), videos.get(rec["video"], "")
        if subject and known and subject != known:
            raise input_error(path, f"video {rec['video']!r} has subject {subject!r} here and {known!r} above", row)
        videos[rec["video"]] = subject or known
        if not any(rec.get(c) for c in ("onset", "apex", "offset", "type", "emotion")):
            continue  # a video without expressions
        onset = _int(path, row, "onset", rec["onset"])
        offset = _int(path, row, "offset", rec["offset"])
        apex = _int(path, row, "apex", rec["apex"]) if rec.get("apex") else None
        kind = rec["type"].lower()
        _check_interval(path, row, onset, apex, offset, kind)
        apex = apex if apex is not None else (onset + offset) // 2
        key = (rec["video"], onset, apex, offset, kind)
        if key in seen:
            raise input_error(path, f"repeats row {seen[key]} (video {rec['video']!r}, {onset}-{offset} {kind})", row)
        seen[key] = row
        out.append(Interval(video=rec["video"], onset=onset, apex=apex, offset=offset, type=kind,
                            emotion=rec.get("emotion", ""), subject=rec.get("subject", "")))
        rows.append(row)
    return LabelsFile(out, videos, rows)


def read_predictions_csv(path: str | os.PathLike) -> list[Interval]:
    """Read a predictions CSV (``video,onset,apex,offset,type,score[,emotion,...]``).

    Rows that repeat each other are kept: two predictions may coincide.

    Raises:
        InputError: as `read_labels_csv` (repeated rows aside), plus a non-numeric, nan or infinite score.
    """
    out = []
    for row, rec in _read_rows(path, ("video", "onset", "offset", "type")):
        onset = _int(path, row, "onset", rec["onset"])
        offset = _int(path, row, "offset", rec["offset"])
        apex = _int(path, row, "apex", rec["apex"]) if rec.get("apex") else None
        kind = rec["type"].lower()
        _check_interval(path, row, onset, apex, offset, kind)
        try:
            score = float(rec["score"]) if rec.get("score") else 1.0
        except ValueError:
            raise input_error(path, f"score {rec['score']!r} is not a number", row) from None
        if not math.isfinite(score):
            raise input_error(path, f"score {rec['score']!r} is not a finite number", row)
        out.append(Interval(video=rec["video"], onset=onset, apex=apex if apex is not None else (onset + offset) // 2,
                            offset=offset, type=kind, emotion=rec.get("emotion", ""), score=score))
    return out


def write_labels_csv(path: str | os.PathLike, intervals: Iterable[Interval]) -> None:
    """Write intervals as a generic labels CSV (atomic)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(LABEL_COLUMNS)
    for iv in intervals:
        w.writerow([iv.subject, iv.video, iv.onset, iv.apex, iv.offset, iv.type, iv.emotion])
    write_text_atomic(path, buf.getvalue())


def write_predictions_csv(path: str | os.PathLike, intervals: Iterable[Interval],
                          fps: dict[str, float] | None = None) -> None:
    """Write predicted intervals as a predictions CSV (atomic).

    Args:
        path: destination.
        intervals: predictions (``score`` is written with 6 significant digits).
        fps: frames per second of each video, for the ``onset_s``/``offset_s`` columns (left empty
            for videos not in the dict).
    """
    fps = fps or {}
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PREDICTION_COLUMNS)
    for iv in intervals:
        rate = fps.get(iv.video)
        on_s = f"{iv.onset / rate:.4f}" if rate else ""
        off_s = f"{(iv.offset + 1) / rate:.4f}" if rate else ""
        w.writerow([iv.video, iv.onset, iv.apex, iv.offset, iv.type, f"{iv.score:.6g}", iv.emotion, on_s, off_s])
    write_text_atomic(path, buf.getvalue())


def group_by_video(intervals: Iterable[Interval]) -> dict[str, list[Interval]]:
    """Intervals grouped by video id, each list sorted by onset."""
    out: dict[str, list[Interval]] = {}
    for iv in intervals:
        out.setdefault(iv.video, []).append(iv)
    for v in out.values():
        v.sort(key=lambda iv: (iv.onset, iv.offset))
    return out
