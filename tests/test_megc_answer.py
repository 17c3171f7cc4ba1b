"""Answers from spotted events and AU series: the fixtures' true answers, every kind, and bad input."""

from pathlib import Path

import numpy as np
import pytest

from causalex.errors import InputError
from causalex.labels import Interval
from causalex.megc import answer_questions, build_evidence, read_questions
from causalex.megc.evidence import RiseRule, rising_aus
from causalex.megc.questions import AU_SIDE, UNKNOWN, parse_question
from causalex.megc.scoring import exact
from causalex.series import AUSeries

DATA = Path(__file__).parent / "data" / "megc"
AUS = ["AU01", "AU02", "AU04", "AU06", "AU07", "AU12", "AU15", "AU17", "AU45"]


def _series(video: str, n: int, bumps: list[tuple[int, int, dict[str, float]]], seed: int = 0) -> AUSeries:
    """AU series with small noise and a raised-cosine bump per (onset, offset, {AU: height})."""
    rng = np.random.default_rng(seed)
    values = 0.3 + 0.02 * rng.standard_normal((n, len(AUS)))
    for onset, offset, heights in bumps:
        shape = np.sin(np.linspace(0, np.pi, offset - onset + 1))
        for au, h in heights.items():
            values[onset:offset + 1, AUS.index(au)] += h * shape
    return AUSeries(values, np.ones(n, bool), 30.0, AUS, video, scale="intensity_0_5")


def _corpus():
    series = [_series("clip_a", 60, [(20, 35, {"AU04": 1.5, "AU07": 1.0}), (5, 8, {"AU45": 3.0})]),
              _series("clip_b", 60, [(15, 40, {"AU12": 2.0, "AU06": 0.3})]),
              _series("long_1", 300, [(40, 52, {"AU01": 1.0, "AU02": 0.9}), (120, 180, {"AU12": 2.0}),
                                      (230, 240, {"AU15": 1.0, "AU17": 0.8})])]
    preds = [Interval("clip_a", 18, 27, 38, "micro", "negative", score=0.9),
             Interval("clip_a", 50, 53, 56, "micro", "positive", score=0.2),
             Interval("clip_b", 14, 28, 42, "macro", "positive", score=0.8),
             Interval("long_1", 38, 45, 54, "micro", "surprise", score=0.7),
             Interval("long_1", 118, 150, 182, "macro", "positive", score=0.9),
             Interval("long_1", 228, 235, 242, "micro", "negative", score=0.6)]
    return preds, series


@pytest.mark.parametrize("name", ["me_vqa_questions.jsonl", "me_lvqa_questions.jsonl"])
def test_fixture_answers_are_right(name):
    preds, series = _corpus()
    questions = read_questions(DATA / name)
    answers = answer_questions(questions, build_evidence(preds, series), source=name)
    assert [a.qid for a in answers] == [q.qid for q in questions]
    for q, a in zip(questions, answers):
        if q.kind == AU_SIDE:
            assert a.answer == "cannot tell" and "left/right" in a.note
        elif q.kind == UNKNOWN:
            assert a.note.startswith("unknown question kind")
        else:
            assert exact(q.kind, q.answer, a.answer) and not a.note, (q.qid, a.answer, a.note)


def test_unknown_kinds_get_the_baseline_fallback():
    preds, series = _corpus()
    answers = {a.qid: a for a in answer_questions(read_questions(DATA / "me_lvqa_questions.jsonl"),
                                                  build_evidence(preds, series))}
    assert answers["long_1__unknown"].answer == "no"  # a yes/no question
    assert answers["long_1__unknown_2"].answer.startswith("The action unit present is: lip corner puller")


def test_rising_aus_ignores_blinks_and_small_co_movements():
    s = _series("v", 60, [(20, 35, {"AU04": 1.5, "AU07": 1.0, "AU45": 1.6, "AU12": 0.3})])
    assert rising_aus(s, 20, 35) == {"AU04", "AU07"}
    assert rising_aus(s, 20, 35, RiseRule(ignore=())) == {"AU04", "AU07", "AU45"}
    assert rising_aus(s, 45, 55) <= {a for a in AUS} and len(rising_aus(s, 45, 55)) <= 1  # noise only


def test_clip_window_and_series_only_video():
    preds, series = _corpus()
    series.append(_series("quiet", 90, [(30, 40, {"AU12": 1.5})]))
    ev = build_evidence(preds, series)
    rows = [{"id": "w1", "video": "long_1", "question": "What is the coarse expression class?", "onset": 225,
             "offset": 245},
            {"id": "w2", "video": "long_1", "question": "What are the action units?", "onset": 36, "offset": 56},
            {"id": "n1", "video": "quiet", "question": "How many expressions appear?"},
            {"id": "n2", "video": "quiet", "question": "What is the coarse expression class?", "onset": 28,
             "offset": 42}]
    answers = answer_questions([parse_question("q.jsonl", i + 1, r) for i, r in enumerate(rows)], ev)
    assert [a.answer for a in answers] == ["negative", "inner brow raiser, outer brow raiser", "0", "positive"]
    assert answers[3].note.startswith("no spotted event covers the clip")


def test_video_with_no_predictions_is_named():
    preds, series = _corpus()
    q = parse_question("questions.jsonl", 7, {"id": "x", "video": "ghost", "question": "How many expressions?"})
    with pytest.raises(InputError, match=r"questions.jsonl, line 7: video 'ghost' has no predictions"):
        answer_questions([q], build_evidence(preds, series), source="questions.jsonl")


def test_answers_without_series_say_so():
    preds, _ = _corpus()
    q = parse_question("q", 1, {"id": "x", "video": "clip_a", "question": "Is AU4 shown on the face?"})
    a = answer_questions([q], build_evidence(preds, []))[0]
    assert a.answer == "no" and "not in the video's AU series" in a.note
