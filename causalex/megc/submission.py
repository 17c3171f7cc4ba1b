"""MEGC submission files: ME-VQA / ME-LVQA answers (JSONL) and spot-then-recognise results (CSV).

Answers: one JSON object a line, ``{"video_id", "video", "question", "answer"}`` in the question file's order
(``video_id`` is the question's ``id``, as the MEGC2025 ME-VQA submissions write it).
STR: ``subject,video,onset,offset,emotion`` (0-based inclusive frames, the coarse MEGC class), one row per
spotted micro-expression (``types`` widens it), sorted by subject, video and onset; the layout MEGC STR
participants submitted (one file per dataset, e.g. ``cas_pred.csv``).
Both are written atomically (`causalex.fileio.write_text_atomic`).
"""

from __future__ import annotations

import csv
import io
import json
import os
from typing import Iterable

from causalex.errors import InputError
from causalex.labels import Interval, to_megc_emotion
from causalex.megc.answer import Answer
from causalex.megc.questions import read_jsonl

ANSWER_FIELDS = ("video_id", "video", "question", "answer")
STR_COLUMNS = ("subject", "video", "onset", "offset", "emotion")


def answers_jsonl(answers: Iterable[Answer]) -> str:
    """The answers as JSONL text (UTF-8, non-ASCII kept)."""
    return "".join(json.dumps(a.to_row(), ensure_ascii=False) + "\n" for a in answers)


def write_answers(path: str | os.PathLike, answers: Iterable[Answer]) -> None:
    """Write the answers submission (JSONL, atomic)."""
    from causalex.fileio import write_text_atomic

    write_text_atomic(path, answers_jsonl(answers))


def read_answers(path: str | os.PathLike) -> dict[str, dict[str, str]]:
    """Read an answers file: ``{video_id: row}``.

    Raises:
        InputError: as `causalex.megc.questions.read_jsonl`, a row that is not an object or lacks
            ``video_id`` / ``answer``, a ``video_id`` given twice (naming the file and line).
    """
    out: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    for line, row in read_jsonl(path):
        where = f"{path}, line {line}"
        if not isinstance(row, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(row).__name__}")
        qid = row.get("video_id", row.get("id"))
        if qid in (None, "") or "answer" not in row:
            raise InputError(f"{where}: an answer row needs 'video_id' and 'answer' (has {', '.join(row) or 'nothing'})")
        qid = str(qid)
        if qid in out:
            raise InputError(f"{where}: video_id {qid!r} repeats line {lines[qid]}")
        out[qid], lines[qid] = {k: "" if v is None else str(v) for k, v in row.items()}, line
    return out


def str_rows(predictions: Iterable[Interval], subjects: dict[str, str], types: tuple[str, ...] = ("micro",)
             ) -> list[tuple[str, str, int, int, str]]:
    """``(subject, video, onset, offset, emotion)`` rows of the STR submission.

    Args:
        predictions: spotted intervals with their predicted emotions.
        subjects: video -> subject (``""`` where unknown).
        types: expression types to submit (MEGC STR: micro only).
    """
    rows = [(subjects.get(p.video, ""), p.video, p.onset, p.offset, to_megc_emotion(p.emotion) if p.emotion else "")
            for p in predictions if p.type in types]
    return sorted(rows, key=lambda r: (r[0], r[1], r[2], r[3]))


def write_str_csv(path: str | os.PathLike, rows: list[tuple[str, str, int, int, str]]) -> None:
    """Write the STR submission CSV (atomic)."""
    from causalex.fileio import write_text_atomic

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(STR_COLUMNS)
    w.writerows(rows)
    write_text_atomic(path, buf.getvalue())
