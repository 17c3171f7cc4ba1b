"""ME-VQA / ME-LVQA question files: reading the JSONL and telling which kind each question is.

A question file has one JSON object a line. The fields causalex reads (README, "Formats"):
``id`` (question id; ``video_id`` is read too), the video it is about (``video``, else ``image_id``,
else ``filename``), ``question``, and optionally ``answer`` (truth files), ``dataset``, ``subject``, and
``onset`` / ``offset`` (a causalex extension: the clip's frames inside a long video). Other fields are
kept and ignored.

Kinds (`KINDS`) are recognised from templates that tolerate wording variants (case, punctuation,
"AU12" / "AU 12" / "lip corner puller", singular or plural, "shown" / "present" / "visible"):
the ME-VQA kinds (coarse class, fine class, the action units, is AU X shown, is AU X on the left or right,
the chained AUs-fine-coarse answer) and the ME-LVQA kinds (how many expressions / micro / macro,
the distinct AUs, the type of the k-th expression). Anything else is ``unknown`` with a reason.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from causalex.errors import InputError, require_file
from causalex.fileio import read_utf8_text
from causalex.megc.facs import ALIASES, FACS_NAMES, au_code, normalise_words

COARSE, FINE, AUS, AU_SHOWN, AU_SIDE, CHAINED = "coarse", "fine", "aus", "au_shown", "au_side", "chained"
COUNT_ALL, COUNT_MICRO, COUNT_MACRO, DISTINCT_AUS, KTH_TYPE = "count", "count_micro", "count_macro", "distinct_aus", "kth_type"
UNKNOWN = "unknown"
KINDS = (COARSE, FINE, AUS, AU_SHOWN, AU_SIDE, CHAINED, COUNT_ALL, COUNT_MICRO, COUNT_MACRO, DISTINCT_AUS, KTH_TYPE)
CLASS_KINDS = (COARSE, FINE)  # scored with UF1 / UAR
VIDEO_FIELDS = ("video", "image_id", "filename")

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "last": -1}
_NAMES_LONGEST = sorted({*FACS_NAMES.values(), *ALIASES}, key=len, reverse=True)
_AU_NUMBER_RE = re.compile(r"\b(?:au|action unit)\s*(\d{1,2})\b")
# "... action unit <X> shown / located / present ..." or "is <X> shown ...": X is the AU the question names.
_AU_PHRASE_RE = re.compile(r"\b(?:action unit|au)\s+(?P<au>[a-z][a-z ]*?)\s+(?:is |are )?(?:shown|located|present|"
                           r"visible|active|activated|appear\w*|occur\w*|seen|on|in)\b")


@dataclass
class Question:
    """One question of a question file.

    Attributes:
        qid: question id (``id``), unique in the file.
        video: the video (or clip) it is about.
        text: the question as written.
        kind: one of `KINDS`, or ``unknown``.
        line: 1-based line in the file, for messages.
        au: the AU code a question about one AU names (``AU12``), else None.
        k: the event number of a k-th-event question (1-based; -1 for the last), else None.
        window: ``(onset, offset)`` frames of the clip inside a long video, when the row gives them.
        answer: the answer the file gives (truth files), else None.
        reason: why the kind is unknown (empty otherwise).
        row: the whole JSON object, as read.
    """

    qid: str
    video: str
    text: str
    kind: str
    line: int
    au: str | None = None
    k: int | None = None
    window: tuple[int, int] | None = None
    answer: str | None = None
    reason: str = ""
    row: dict[str, Any] = field(default_factory=dict)


def _where(path: str | os.PathLike, line: int) -> str:
    return f"{path}, line {line}"


def find_au(words: str) -> tuple[str | None, str | None]:
    """The AU a normalised question names: ``(code, None)``, ``(None, name)`` for a name FACS does not know,
    or ``(None, None)`` when the question names none."""
    m = _AU_NUMBER_RE.search(words)
    if m:
        code = au_code(f"au{m.group(1)}")
        return (code, None) if code else (None, f"AU{m.group(1)}")
    for name in _NAMES_LONGEST:
        if re.search(rf"\b{re.escape(name)}\b", words):
            return au_code(name), None
    m = _AU_PHRASE_RE.search(words)
    if m and m.group("au").strip() not in ("the", "a", "an", "shown", "present"):
        return None, m.group("au").strip()
    return None, None


def _ordinal(words: str) -> int | None:
    m = re.search(r"\b(\d+)(?:st|nd|rd|th)\b", words)
    if m:
        return int(m.group(1))
    for word, k in ORDINALS.items():
        if re.search(rf"\b{word}\b", words):
            return k
    m = re.search(r"\b(?:expression|event) (?:number |no )?(\d+)\b", words)
    return int(m.group(1)) if m else None


def classify(text: str) -> tuple[str, dict[str, Any]]:
    """The kind of a question and what it names: ``(kind, {"au": ..., "au_unknown": ..., "k": ..., "reason": ...})``.

    Args:
        text: the question as written.
    """
    words = normalise_words(text).replace(",", " ")
    words = re.sub(r"\s+", " ", words)
    info: dict[str, Any] = {}
    has_au = bool(re.search(r"\baction units?\b|\baus?\b", words))
    if has_au and "fine" in words and "coarse" in words:
        return CHAINED, info
    if re.search(r"\b(?:how many|number of|count)\b", words):
        if "micro" in words:
            return COUNT_MICRO, info
        if "macro" in words:
            return COUNT_MACRO, info
        if re.search(r"\b(?:expressions?|events?)\b", words):
            return COUNT_ALL, info
        if has_au:
            info["reason"] = "counts action units, which no challenge asks; only expression counts are known"
        return UNKNOWN, info
    k = _ordinal(words)
    if k is not None and re.search(r"\b(?:type|kind|micro or macro|macro or micro)\b", words):
        info["k"] = k
        return KTH_TYPE, info
    if re.search(r"\bleft or (?:the )?right\b|\bright or (?:the )?left\b|\bwhich side\b", words):
        info["au"], info["au_unknown"] = find_au(words)
        if info["au"] or info["au_unknown"]:
            return AU_SIDE, info
        info["reason"] = "asks for a side but names no action unit"
        return UNKNOWN, info
    if re.match(r"^(?:is|are|does|do|was|were|did|has)\b", words) and re.search(
            r"\b(?:shown|present|visible|active|activated|appear\w*|occur\w*|seen|show\w*|move\w*)\b", words):
        info["au"], info["au_unknown"] = find_au(words)
        if info["au"] or info["au_unknown"]:
            return AU_SHOWN, info
    if has_au and re.search(r"\b(?:what|which|list|name)\b", words):
        return (DISTINCT_AUS if re.search(r"\b(?:distinct|different|unique|all)\b", words) else AUS), info
    if "coarse" in words or ("positive" in words and "negative" in words):
        return COARSE, info
    if "fine" in words or re.search(r"\bspecific (?:emotion|expression)\b", words):
        return FINE, info
    if re.search(r"\b(?:what|which)\b.*\bemotion\b", words):
        return COARSE, info
    info["reason"] = "matches no ME-VQA / ME-LVQA question template"
    return UNKNOWN, info


def _window(path, line: int, row: dict[str, Any]) -> tuple[int, int] | None:
    if row.get("onset") is None and row.get("offset") is None:
        return None
    try:
        onset, offset = int(row["onset"]), int(row["offset"])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{_where(path, line)}: onset and offset must both be whole frame numbers, got "
                         f"{row.get('onset')!r} and {row.get('offset')!r}") from None
    if onset < 0 or offset < onset:
        raise InputError(f"{_where(path, line)}: clip frames {onset}-{offset} are not an interval")
    return onset, offset


def parse_question(path: str | os.PathLike, line: int, row: Any) -> Question:
    """One JSON object of a question file as a `Question` (its kind classified).

    Raises:
        InputError: not an object, no question text, no video field, an AU name FACS does not know,
            bad clip frames; the message names the file and line.
    """
    where = _where(path, line)
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(row).__name__}")
    text = row.get("question")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: no 'question' text")
    video = next((str(row[f]) for f in VIDEO_FIELDS if row.get(f) not in (None, "")), None)
    if video is None:
        raise InputError(f"{where}: names no video (fields {', '.join(VIDEO_FIELDS)})")
    qid = row.get("id", row.get("video_id"))
    kind, info = classify(text)
    if info.get("au_unknown"):
        raise InputError(f"{where}: unknown action unit {info['au_unknown']!r} in {text.strip()!r} "
                         f"(known: FACS names such as 'brow lowerer', or AU01..AU46)")
    answer = row.get("answer")
    return Question(qid=str(qid) if qid not in (None, "") else f"{video}_{line}", video=video, text=text.strip(),
                    kind=kind, line=line, au=info.get("au"), k=info.get("k"), window=_window(path, line, row),
                    answer=None if answer is None else str(answer), reason=info.get("reason", ""), row=row)


def read_jsonl(path: str | os.PathLike) -> list[tuple[int, Any]]:
    """``(line, object)`` for every non-blank line of a JSONL file.

    Raises:
        InputError: missing file, or a line that is not JSON (naming the file and line).
    """
    require_file(path, "JSONL file")
    out = []
    for line, text in enumerate(read_utf8_text(path, "JSONL text").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            out.append((line, json.loads(text)))
        except json.JSONDecodeError as exc:
            raise InputError(f"{_where(path, line)}: not JSON ({exc.msg} at column {exc.colno})") from None
    if not out:
        raise InputError(f"{path}: no questions (the file is empty)")
    return out


def read_questions(path: str | os.PathLike) -> list[Question]:
    """Read an ME-VQA / ME-LVQA question (or truth) file.

    Raises:
        InputError: as `read_jsonl` and `parse_question`, plus a question id used twice.
    """
    out: list[Question] = []
    seen: dict[str, int] = {}
    for line, row in read_jsonl(path):
        q = parse_question(path, line, row)
        if q.qid in seen:
            raise InputError(f"{_where(path, line)}: question id {q.qid!r} repeats line {seen[q.qid]}")
        seen[q.qid] = line
        out.append(q)
    return out
