"""Answering ME-VQA / ME-LVQA questions from spotted events, their AUs and emotions.

Clip questions (coarse / fine class, the AUs, is AU X shown, left or right, the chained answer) are about
the video's main event (`VideoEvidence.main_event`); long-video questions (counts, distinct AUs, the type
of the k-th event) use every event of the video, in onset order. A question causalex cannot answer from
data is still answered, and noted with the reason: an unknown kind gets the challenge baseline's fallback
(``no`` to a yes/no question, else the chained description of the main event), left/right gets
``cannot tell`` (causalex's AU series carry no sided AUs), an AU the series lacks gets ``no``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from causalex.errors import InputError
from causalex.megc.evidence import Event, VideoEvidence
from causalex.megc.facs import au_list_text, au_name
from causalex.megc.questions import (AU_SHOWN, AU_SIDE, AUS, CHAINED, COARSE, COUNT_ALL, COUNT_MACRO, COUNT_MICRO,
                                     DISTINCT_AUS, FINE, KTH_TYPE, UNKNOWN, Question)

CANNOT_TELL = "cannot tell"
TYPE_WORDS = {"micro": "micro-expression", "macro": "macro-expression"}
_YES_NO_RE = re.compile(r"^\s*(?:is|are|does|do|was|were|did|has|have|can)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    """One answer, in the submission's fields, with how it was reached.

    Attributes:
        qid, video, question, answer: the submission row (``video_id`` is the question id).
        kind: the question's kind.
        note: why the answer does not come from data (empty when it does).
        line: the question's line in its file.
    """

    qid: str
    video: str
    question: str
    answer: str
    kind: str
    note: str = ""
    line: int = 0

    def to_row(self) -> dict[str, str]:
        """The submission row ``{video_id, video, question, answer}``."""
        return {"video_id": self.qid, "video": self.video, "question": self.question, "answer": self.answer}


def chained_text(event: Event) -> str:
    """The chained answer: AUs, then the fine class, then the coarse class (ME-VQA's wording)."""
    aus = sorted(event.aus)
    head = (f"The action unit present is: {au_name(aus[0])}" if len(aus) == 1
            else f"The action units present are: {au_list_text(aus) or 'none'}")
    return f"{head}. Therefore, the fine-grained expression class is {event.fine}, and the coarse expression " \
           f"class is {event.coarse}."


def _kth(events: list[Event], k: int) -> Event | None:
    if k == -1:
        return events[-1] if events else None
    return events[k - 1] if 1 <= k <= len(events) else None


def _answer_one(q: Question, ev: VideoEvidence) -> tuple[str, str]:
    """``(answer, note)`` for one question of a known video."""
    events = ev.events
    if q.kind == COUNT_ALL:
        return str(len(events)), ""
    if q.kind in (COUNT_MICRO, COUNT_MACRO):
        kind = "micro" if q.kind == COUNT_MICRO else "macro"
        return str(sum(e.type == kind for e in events)), ""
    if q.kind == DISTINCT_AUS:
        aus = frozenset().union(*(e.aus for e in events)) if events else frozenset()
        if ev.series is None:
            return au_list_text(sorted(aus)) or "none", "no AU series for this video: AUs unknown"
        return au_list_text(sorted(aus)) or "none", ""
    if q.kind == KTH_TYPE:
        event = _kth(events, q.k or 0)
        if event is None:
            return "none", f"the video has {len(events)} spotted events, no event {q.k}"
        return TYPE_WORDS[event.type], ""
    event = ev.main_event(q.window)
    if event is None:
        return "", "no event"
    note = "" if event.spotted else "no spotted event covers the clip: classes from its AUs"
    if q.kind == COARSE:
        return event.coarse, note
    if q.kind == FINE:
        return event.fine, note
    if q.kind == AUS:
        if ev.series is None:
            return "none", "no AU series for this video: AUs unknown"
        return au_list_text(sorted(event.aus)) or "none", note
    if q.kind == AU_SHOWN:
        if ev.series is None or q.au not in ev.series.au_names:
            return "no", f"{q.au} is not in the video's AU series: answered no"
        return ("yes" if q.au in event.aus else "no"), note
    if q.kind == AU_SIDE:
        return CANNOT_TELL, "the AU series has no left/right AU columns"
    if q.kind == CHAINED:
        return chained_text(event), note
    # unknown kind: the baseline's fallback
    if _YES_NO_RE.match(q.text):
        return "no", f"unknown question kind ({q.reason}): answered no"
    return chained_text(event), f"unknown question kind ({q.reason}): answered with the chained description"


def answer_questions(questions: list[Question], evidence: dict[str, VideoEvidence],
                     source: str = "questions") -> list[Answer]:
    """Answer every question (in file order) from per-video evidence.

    Args:
        questions: from `causalex.megc.questions.read_questions`.
        evidence: from `causalex.megc.evidence.build_evidence`.
        source: the question file, for messages.

    Raises:
        InputError: a question about a video that has neither predictions nor an AU series (naming the
            file and line).
    """
    out = []
    for q in questions:
        ev = evidence.get(q.video)
        if ev is None:
            raise InputError(f"{source}, line {q.line}: video {q.video!r} has no predictions and no AU series "
                             f"(give its predictions, or its series with --series)")
        answer, note = _answer_one(q, ev)
        if q.kind == UNKNOWN and not note:
            note = f"unknown question kind ({q.reason})"
        out.append(Answer(q.qid, q.video, q.text, answer, q.kind, note, q.line))
    return out
