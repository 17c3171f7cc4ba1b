"""Challenge scores on hand-worked values: BLEU-4 with smoothing, ROUGE-1, UF1 / UAR, and whole files."""

import math
from pathlib import Path

import pytest

from causalex.megc import read_questions, score_answers
from causalex.megc.scoring import bleu, exact, rouge1, uf1_uar

DATA = Path(__file__).parent / "data" / "megc"


def test_bleu_hand_worked():
    # p1 = 5/6, p2 = 3/5, p3 = 2/4, p4 = 1/3, equal lengths (no brevity penalty): (1/12) ** 0.25
    assert bleu("the cat sat on the mat", "the cat sat on a mat") == pytest.approx((1 / 12) ** 0.25)
    assert bleu("yes", "yes") == pytest.approx(0.1 ** 0.75)  # no 2-4-grams: each smoothed to 0.1 / 1
    assert bleu("yes", "no") == 0.0  # no unigram matches
    assert bleu("a b c d e f", "a b c d") == pytest.approx(math.exp(1 - 6 / 4))  # brevity penalty only
    assert bleu("Positive", "positive") == pytest.approx(0.1 ** 0.75)  # lower-cased
    assert bleu("anything", "") == 0.0


def test_rouge1_hand_worked():
    assert rouge1("brow lowerer, lid tightener", "brow lowerer") == pytest.approx((1.0, 0.5, 2 / 3))
    assert rouge1("The action unit present is: X.", "the ACTION unit") == pytest.approx((1.0, 0.5, 2 / 3))
    assert rouge1("yes", "no") == (0.0, 0.0, 0.0)


def test_uf1_uar_hand_worked():
    pairs = [("negative", "negative"), ("negative", "positive"), ("positive", "positive"), ("surprise", "negative")]
    uf1, uar, classes = uf1_uar(pairs)
    # negative F1 2/(2+1+1), positive 2/(2+1), surprise 0; recalls 1/2, 1, 0
    assert uf1 == pytest.approx((0.5 + 2 / 3 + 0) / 3) and uar == pytest.approx(0.5)
    assert classes == ("negative", "positive", "surprise")
    assert uf1_uar([]) == (0.0, 0.0, ())


def test_exact_compares_au_lists_as_sets():
    assert exact("aus", "brow lowerer, lid tightener", "lid tightener, brow lowerer")
    assert not exact("aus", "brow lowerer, lid tightener", "brow lowerer")
    assert exact("coarse", "Negative.", " negative")


def test_truth_scores_perfectly_and_missing_answers_score_zero():
    truth = read_questions(DATA / "me_vqa_questions.jsonl")
    perfect = {q.qid: {"video_id": q.qid, "answer": q.answer} for q in truth}
    result = score_answers(truth, perfect)
    assert result["classes"]["coarse"]["uf1"] == 1.0 and result["classes"]["fine"]["uar"] == 1.0
    assert result["rouge1_f"] == 1.0 and all(k["exact"] == 1.0 for k in result["kinds"].values())
    one_word = [q for q in truth if len(q.answer.split()) == 1]
    assert 0.1 ** 0.75 <= result["bleu"] < 1.0 and one_word  # one-word answers cap BLEU at 0.178
    del perfect["clip_a__coarse"]
    result = score_answers(truth, {**perfect, "stray": {"video_id": "stray", "answer": "x"}})
    assert result["missing"] == ["clip_a__coarse"] and result["extra"] == 1
    assert result["classes"]["coarse"]["uar"] < 1.0  # the missing answer counts as a wrong class
