"""Question files: the fixtures in the published layout parse, every kind is recognised, bad input is named."""

from pathlib import Path

import pytest

from causalex.errors import InputError
from causalex.megc.facs import au_code, fine_from_aus
from causalex.megc.questions import KINDS, UNKNOWN, classify, read_questions

DATA = Path(__file__).parent / "data" / "megc"


def _expected_kind(qid: str) -> str:
    kind = qid.split("__")[1]
    return kind[:-2] if kind[-2:] in ("_2", "_3") else kind


@pytest.mark.parametrize("name", ["me_vqa_questions.jsonl", "me_lvqa_questions.jsonl"])
def test_fixture_kinds(name):
    questions = read_questions(DATA / name)
    assert questions and all(q.kind == _expected_kind(q.qid) for q in questions), \
        [(q.qid, q.kind) for q in questions if q.kind != _expected_kind(q.qid)]


def test_every_kind_has_a_fixture():
    seen = {q.kind for name in ("me_vqa_questions.jsonl", "me_lvqa_questions.jsonl")
            for q in read_questions(DATA / name)}
    assert set(KINDS) | {UNKNOWN} <= seen


def test_fixture_fields():
    q = read_questions(DATA / "me_vqa_questions.jsonl")[3]
    assert (q.qid, q.video, q.au, q.answer, q.line) == ("clip_a__au_shown", "clip_a", "AU04", "yes", 4)
    assert q.row["subject"] == "1" and q.window is None
    long = {q.qid: q for q in read_questions(DATA / "me_lvqa_questions.jsonl")}
    assert [long[f"long_1__kth_type{s}"].k for s in ("", "_2", "_3")] == [1, 2, -1]
    assert long["long_1__unknown"].reason


@pytest.mark.parametrize("text, kind, au", [
    ("Is AU 15 shown?", "au_shown", "AU15"),
    ("Are the lips part visible on the face?", "au_shown", "AU25"),
    ("Does the action unit eye closure appear?", "au_shown", "AU43"),
    ("On which side is the action unit dimpler?", "au_side", "AU14"),
    ("Which action units are active?", "aus", None),
    ("List all action units in this long video.", "distinct_aus", None),
    ("What emotion does the face show?", "coarse", None),
    ("Is the expression positive, negative or surprise?", "coarse", None),
])
def test_wording_variants(text, kind, au):
    got, info = classify(text)
    assert got == kind and info.get("au") == au


def test_au_names_and_fine_classes():
    assert [au_code(t) for t in ("Brow Lowerer", "AU4", "au 04", "action unit 12", "ear wiggler")] == \
        ["AU04", "AU04", "AU04", "AU12", None]
    assert fine_from_aus("negative", frozenset({"AU09", "AU10"})) == "disgust"
    assert fine_from_aus("negative", frozenset({"AU15", "AU17"})) == "sadness"
    assert fine_from_aus("positive", frozenset()) == "happiness"


@pytest.mark.parametrize("name, line, words", [
    ("bad_not_json.jsonl", 2, "not JSON"),
    ("bad_unknown_au.jsonl", 3, "unknown action unit 'ear wiggler'"),
])
def test_bad_files_name_file_and_line(name, line, words):
    with pytest.raises(InputError, match=rf"{name}, line {line}: {words}"):
        read_questions(DATA / name)


@pytest.mark.parametrize("text, words", [
    ('{"id": "a", "question": "What is the coarse expression class?"}', "names no video"),
    ('{"id": "a", "video": "v"}', "no 'question' text"),
    ('["a"]', "expected a JSON object"),
    ('{"id": "a", "video": "v", "question": "What?", "onset": 5}', "onset and offset"),
    ('{"id": "a", "video": "v", "question": "What?"}\n{"id": "a", "video": "v", "question": "Why?"}', "repeats line 1"),
])
def test_bad_rows(tmp_path, text, words):
    path = tmp_path / "q.jsonl"
    path.write_text(text + "\n")
    with pytest.raises(InputError, match=words):
        read_questions(path)
