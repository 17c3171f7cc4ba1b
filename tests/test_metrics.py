"""MEGC evaluation on hand-worked cases: IoU conventions, spotting counts, mAP and STRS.

Frames are 0-based and inclusive; expected numbers are worked out by hand in the comments.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from causalex.errors import InputError
from causalex.labels import Interval
from causalex.metrics import (
    average_precision,
    check_videos,
    class_averaged_scores,
    evaluate_predictions,
    evaluate_spotting,
    format_table,
    iou,
    mean_average_precision,
    strs,
)


def iv(onset: int, offset: int, kind: str = "micro", video: str = "v1", emotion: str = "",
       score: float = 1.0) -> Interval:
    return Interval(video=video, onset=onset, apex=(onset + offset) // 2, offset=offset, type=kind,
                    emotion=emotion, score=score)


def counts(score) -> tuple[int, int, int]:
    return score.tp, score.n_pred, score.n_gt


# ---------------------------------------------------------------- IoU

@pytest.mark.parametrize("a, b, megc, auwgcn", [
    # partial overlap [0,9] vs [5,14]: megc inter 5 (frames 5..9), union 10+10-5=15 -> 1/3;
    # auwgcn lengths 9 and 9, inter 9-5=4, union 14 -> 2/7
    ((0, 9), (5, 14), 1 / 3, 4 / 14),
    # touching at frame 4: megc inter 1, union 5+5-1=9 -> 1/9; auwgcn inter 4-4=0 -> 0
    ((0, 4), (4, 8), 1 / 9, 0.0),
    # adjacent, no shared frame: both 0
    ((0, 4), (5, 9), 0.0, 0.0),
    # nested [2,6] in [0,9]: megc inter 5, union 10 -> 0.5; auwgcn inter 6-2=4, union 9+4-4=9 -> 4/9
    ((0, 9), (2, 6), 0.5, 4 / 9),
    # one frame, identical: megc 1/1; auwgcn lengths 0, union 0 -> defined 0
    ((3, 3), (3, 3), 1.0, 0.0),
    # one frame inside two frames: megc inter 1, union 1+2-1=2 -> 0.5; auwgcn inter min(3,4)-3=0 -> 0
    ((3, 3), (3, 4), 0.5, 0.0),
    # identical long intervals: 1 under both
    ((10, 30), (10, 30), 1.0, 1.0),
])
def test_iou_both_variants(a, b, megc, auwgcn):
    x, y = iv(*a), iv(*b)
    assert iou(x, y) == pytest.approx(megc)
    assert iou(y, x, variant="megc") == pytest.approx(megc)  # symmetric
    assert iou(x, y, variant="auwgcn") == pytest.approx(auwgcn)


def test_unknown_variant_lists_choices():
    with pytest.raises(ValueError, match="megc, auwgcn"):
        iou(iv(0, 1), iv(0, 1), variant="iou")
    with pytest.raises(ValueError, match="unknown evaluation variant"):
        evaluate_spotting([], [], variant="MEGC")


# ---------------------------------------------------------------- spotting counts

def test_iou_exactly_half_counts_for_megc_only():
    # megc: GT [0,9] (10 frames), pred [0,4] (5 frames): inter 5, union 10 -> IoU 0.5 >= 0.5 -> found.
    res = evaluate_spotting([iv(0, 4)], [iv(0, 9)])
    assert counts(res.micro) == (1, 1, 1) and res.micro.f1 == 1.0
    # auwgcn: GT [0,10] (length 10), pred [0,5] (length 5): inter 5, union 10 -> 0.5, not > 0.5 -> missed.
    res = evaluate_spotting([iv(0, 5)], [iv(0, 10)], variant="auwgcn")
    assert counts(res.micro) == (0, 1, 1) and res.micro.f1 == 0.0
    # the same pair under megc: 6 frames in 11, inter 6, union 11 -> 6/11 > 0.5 -> found.
    assert evaluate_spotting([iv(0, 5)], [iv(0, 10)]).micro.tp == 1
    # auwgcn just above: pred [0,6] -> inter 6, union 10 -> 0.6 > 0.5 -> found.
    assert evaluate_spotting([iv(0, 6)], [iv(0, 10)], variant="auwgcn").micro.tp == 1


def test_one_prediction_finds_at_most_one_ground_truth():
    # pred [0,9] covers GT [0,4] and GT [5,9] with IoU 0.5 each: one TP (the MEGC2020 code counts 2, precision 2)
    res = evaluate_spotting([iv(0, 9)], [iv(0, 4), iv(5, 9)])
    assert counts(res.micro) == (1, 1, 2) and res.micro.precision == 1.0 and res.micro.f1 == pytest.approx(2 / 3)
    # the matching is maximal: pred A may find GT 1 or 2, pred B only GT 1 -> both found (a greedy A->1 finds 1)
    res = evaluate_spotting([iv(0, 9), iv(0, 5)], [iv(0, 4), iv(5, 9)])
    assert counts(res.micro) == (2, 2, 2)


def test_touching_nested_and_one_frame_intervals():
    # touching [0,4] vs GT [4,8]: IoU 1/9 -> missed; nested [22,26] in GT [20,29]: inter 5,
    # union 10 -> 0.5 -> found; one-frame pred [40,40] vs one-frame GT [40,40]: IoU 1 -> found.
    # TP 2 of 3 predictions and 3 ground truths: P = R = 2/3, F1 = 2/3.
    gt = [iv(4, 8), iv(20, 29), iv(40, 40)]
    preds = [iv(0, 4), iv(22, 26), iv(40, 40)]
    res = evaluate_spotting(preds, gt)
    assert counts(res.micro) == (2, 3, 3)
    assert res.micro.precision == pytest.approx(2 / 3) and res.micro.f1 == pytest.approx(2 / 3)
    # auwgcn: touching 0, nested 4/9, one-frame 0 -> nothing found.
    assert evaluate_spotting(preds, gt, variant="auwgcn").micro.tp == 0


def test_duplicate_predictions_give_one_tp_two_predictions():
    # Both [0,9] (IoU 1) and [1,9] (IoU 9/10) match GT [0,9]: 1 found GT, 2 predictions.
    # P = 1/2, R = 1/1, F1 = 2 * 0.5 * 1 / 1.5 = 2/3.
    res = evaluate_spotting([iv(0, 9), iv(1, 9)], [iv(0, 9)])
    assert counts(res.micro) == (1, 2, 1)
    assert (res.micro.precision, res.micro.recall) == (0.5, 1.0)
    assert res.micro.f1 == pytest.approx(2 / 3)
    # AUW-GCN code counts a TP per matching prediction: 2 TP of 2 predictions, recall 2/1.
    res = evaluate_spotting([iv(0, 9), iv(1, 9)], [iv(0, 9)], variant="auwgcn")
    assert counts(res.micro) == (2, 2, 1) and res.micro.recall == 2.0


def test_type_mismatch_is_not_a_match():
    # A macro prediction on a micro GT with IoU 1: micro 0 TP / 0 pred / 1 GT; macro 0 / 1 / 0.
    res = evaluate_spotting([iv(0, 9, "macro")], [iv(0, 9, "micro")])
    assert counts(res.micro) == (0, 0, 1) and counts(res.macro) == (0, 1, 0)
    assert counts(res.overall) == (0, 1, 1) and res.overall.f1 == 0.0


def test_predictions_in_other_videos_do_not_match():
    res = evaluate_spotting([iv(0, 9, video="v2")], [iv(0, 9, video="v1")])
    assert counts(res.micro) == (0, 1, 1)


def test_counts_are_pooled_over_videos_and_types():
    gt = [iv(10, 19, "micro", "v1"), iv(100, 149, "macro", "v1"),
          iv(0, 9, "micro", "v2"), iv(50, 99, "macro", "v2")]
    preds = [
        iv(12, 21, "micro", "v1"),    # inter 12..19 = 8, union 10+10-8 = 12 -> 0.667: found
        iv(100, 129, "macro", "v1"),  # inter 30, union 50+30-30 = 50 -> 0.6: found
        iv(5, 14, "micro", "v2"),     # inter 5, union 15 -> 1/3: missed
        iv(200, 249, "macro", "v2"),  # no overlap
        iv(300, 309, "micro", "v2"),  # no overlap
    ]
    res = evaluate_spotting(preds, gt)
    # micro: TP 1, 3 predictions, 2 GT -> P 1/3, R 1/2, F1 = 2*(1/6)/(5/6) = 0.4
    assert counts(res.micro) == (1, 3, 2) and res.micro.f1 == pytest.approx(0.4)
    # macro: TP 1, 2 predictions, 2 GT -> P = R = F1 = 0.5
    assert counts(res.macro) == (1, 2, 2) and res.macro.f1 == pytest.approx(0.5)
    # overall: TP 2, 5 predictions, 4 GT -> P 0.4, R 0.5, F1 = 2*0.2/0.9 = 4/9
    assert counts(res.overall) == (2, 5, 4)
    assert res.overall.precision == pytest.approx(0.4) and res.overall.f1 == pytest.approx(4 / 9)
    js = res.to_json()
    assert set(js) == {"micro", "macro", "overall", "variant"}
    assert js["overall"] == {"tp": 2, "n_pred": 5, "n_gt": 4, "precision": pytest.approx(0.4),
                             "recall": 0.5, "f1": pytest.approx(4 / 9)}
    assert res["overall"] is res.overall


def test_zero_divisions_give_zero():
    res = evaluate_spotting([], [iv(0, 9)])  # no predictions: P = 0 (0/0), R = 0/1
    assert counts(res.micro) == (0, 0, 1) and (res.micro.precision, res.micro.recall, res.micro.f1) == (0, 0, 0)
    res = evaluate_spotting([], [])
    assert res.overall.f1 == 0.0 and counts(res.macro) == (0, 0, 0)


def test_unknown_type_is_input_error():
    with pytest.raises(InputError, match="unknown type 'mini'"):
        evaluate_spotting([iv(0, 9, "mini")], [iv(0, 9)])


def test_check_videos_names_file_row_and_video():
    gt = [iv(0, 9, video="v1")]
    preds = [iv(0, 9, video="v1"), iv(0, 9, video="ghost"), iv(5, 9, video="other")]
    with pytest.raises(InputError) as err:
        check_videos(preds, gt, None, "preds.csv")
    assert str(err.value) == "preds.csv, row 2: video 'ghost' is not in the labels"
    check_videos(preds, gt, {"ghost", "other"}, "preds.csv")  # known videos without expressions


# ---------------------------------------------------------------- mAP

def test_average_precision_all_point_interpolation():
    # TP, FP, TP with 2 GT: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1; envelope 1, 2/3, 2/3
    # -> AP = 0.5*1 + 0*2/3 + 0.5*2/3 = 5/6
    assert average_precision([True, False, True], 2) == pytest.approx(5 / 6)
    # same list with 4 GT: recall 1/4, 1/4, 1/2 -> 0.25*1 + 0.25*2/3 = 5/12
    assert average_precision([True, False, True], 4) == pytest.approx(5 / 12)
    # envelope lifts an early low precision: FP, TP, TP with 2 GT: precision 0, 1/2, 2/3 at recall
    # 0, 1/2, 1 -> envelope at 1/2 is 2/3 -> AP = 0.5*2/3 + 0.5*2/3 = 2/3
    assert average_precision([False, True, True], 2) == pytest.approx(2 / 3)
    assert average_precision([], 3) == 0.0 and average_precision([True], 0) is None


def test_map_worked_example():
    gt = [iv(0, 9), iv(20, 29)]
    preds = [
        iv(25, 34, score=0.7),  # vs [20,29]: inter 25..29 = 5, union 15 -> IoU 1/3
        iv(0, 9, score=0.9),    # vs [0,9]: IoU 1
        iv(50, 59, score=0.8),  # no overlap
    ]
    # ranked by score: [0,9] TP, [50,59] FP, [25,34] TP only while threshold <= 1/3.
    # thresholds 0.1..0.3: flags TP,FP,TP -> AP 5/6; thresholds 0.4, 0.5: TP,FP,FP -> AP 0.5*1 = 0.5
    # mean = (3*5/6 + 2*0.5)/5 = 3.5/5 = 0.7; macro has no GT -> None, overall mean = micro mean.
    res = mean_average_precision(preds, gt)
    assert res.ap["micro"] == {0.1: pytest.approx(5 / 6), 0.2: pytest.approx(5 / 6), 0.3: pytest.approx(5 / 6),
                               0.4: pytest.approx(0.5), 0.5: pytest.approx(0.5)}
    assert res.type_mean("micro") == pytest.approx(0.7) and res.mean == pytest.approx(0.7)
    assert res.ap["macro"][0.5] is None and res.type_mean("macro") is None
    js = res.to_json()
    assert js["micro"]["ap"]["0.3"] == pytest.approx(5 / 6) and js["mean"] == pytest.approx(0.7)


def test_map_matches_each_ground_truth_once_and_prefers_highest_iou():
    # duplicate: [0,9] s0.9 TP, [0,9] s0.8 FP (GT taken), [20,29] s0.7 TP -> AP 5/6 at every threshold
    res = mean_average_precision([iv(0, 9, score=0.9), iv(0, 9, score=0.8), iv(20, 29, score=0.7)],
                                 [iv(0, 9), iv(20, 29)])
    assert all(v == pytest.approx(5 / 6) for v in res.ap["micro"].values())
    # GT listed as g2=[5,14], g1=[0,9]. A=[0,9] (s0.9): IoU g1 1, g2 1/3 -> takes g1 (highest IoU).
    # B=[7,16] (s0.8): IoU g2 = 8/12 = 0.667, g1 = 3/17 -> takes g2. Both TP: AP 1 at 0.1..0.5.
    # (Taking the first GT over the threshold would give A g2 at 0.3 and leave B a FP: AP 0.5.)
    res = mean_average_precision([iv(7, 16, score=0.8), iv(0, 9, score=0.9)], [iv(5, 14), iv(0, 9)])
    assert all(v == pytest.approx(1.0) for v in res.ap["micro"].values())


def test_map_averages_types_that_have_ground_truth():
    # micro: one exact hit -> AP 1; macro: GT but no prediction -> AP 0; mean over types = 0.5.
    res = mean_average_precision([iv(0, 9)], [iv(0, 9), iv(0, 49, "macro")])
    assert res.type_mean("micro") == 1.0 and res.type_mean("macro") == 0.0 and res.mean == 0.5


# ---------------------------------------------------------------- STRS

def _strs_case():
    gt = [iv(0, 9, emotion="negative"), iv(20, 29, emotion="positive"), iv(40, 49, emotion="positive"),
          iv(60, 69, emotion="surprise"), iv(80, 89)]
    preds = [iv(0, 9, emotion="negative"), iv(20, 29, emotion="negative"), iv(40, 49, emotion="Positive"),
             iv(80, 89, emotion="positive"), iv(100, 109, emotion="others")]
    return preds, gt


def test_strs_worked_example():
    preds, gt = _strs_case()
    # spotting: found [0,9], [20,29], [40,49], [80,89]; TP 4, 5 predictions, 5 GT -> F1 0.8.
    # pairs (GT with emotion only; [80,89] has none, [60,69] was not spotted):
    #   (negative, negative), (positive, negative), (positive, positive)
    # negative: P = 1/2 (2 predicted negative), R = 1/1; positive: P = 1/1, R = 1/2
    # P = R = 0.75 -> recognition F1 0.75; STRS = 0.8 * 0.75 = 0.6
    res = strs(preds, gt)
    assert res.spotting_f1 == pytest.approx(0.8)
    assert (res.recognition_precision, res.recognition_recall) == (pytest.approx(0.75), pytest.approx(0.75))
    assert res.recognition_f1 == pytest.approx(0.75) and res.strs == pytest.approx(0.6)
    assert res.n_pairs == 3 and res.classes == ("negative", "positive")


def test_strs_uses_the_best_matching_prediction():
    # GT [0,9] negative; [0,4] says positive (IoU 0.5), [0,9] says negative (IoU 1) -> pair
    # (negative, negative): recognition F1 1. Spotting: TP 1, 2 predictions -> F1 2/3 = STRS.
    gt = [iv(0, 9, emotion="negative")]
    res = strs([iv(0, 4, emotion="positive", score=0.9), iv(0, 9, emotion="negative", score=0.1)], gt)
    assert res.recognition_f1 == 1.0 and res.strs == pytest.approx(2 / 3)


def test_strs_without_emotions_or_spotted_pairs():
    assert strs([iv(0, 9)], [iv(0, 9)]) is None  # no GT emotion: nothing to recognise
    res = strs([iv(50, 59, emotion="negative")], [iv(0, 9, emotion="negative")])
    assert res.n_pairs == 0 and res.strs == 0.0 and res.classes == ()


def test_class_averaged_scores_of_label_pairs():
    # classes a, b, c (every label seen, true or predicted, as the STRS reference code)
    # a: 1 hit, predicted a twice, true a once -> P 1/2, R 1; b: predicted 0 times, true twice -> P 0, R 0
    # c: predicted once, never true -> P 0, R 0.  P = 1/6, R = 1/3, F1 = 2 * (1/18) / (1/2) = 2/9
    p, r, f1, classes = class_averaged_scores([("a", "a"), ("b", "a"), ("b", "c")])
    assert (p, r, f1, classes) == (pytest.approx(1 / 6), pytest.approx(1 / 3), pytest.approx(2 / 9), ("a", "b", "c"))
    # a predicted class that no true label has lowers the score (it would be left out if classes were true ones)
    assert class_averaged_scores([("negative", "negative"), ("positive", "surprise")])[2] == pytest.approx(1 / 3)


# ---------------------------------------------------------------- full result and table

def test_evaluate_predictions_fills_extras_and_table():
    preds, gt = _strs_case()
    res = evaluate_predictions(preds, gt)
    js = res.to_json()
    assert set(js) == {"micro", "macro", "overall", "variant", "map", "strs"}
    assert js["strs"]["strs"] == pytest.approx(0.6)
    # scores all 1.0, ranked in input order: TP TP TP TP FP, 5 GT -> AP 4/5 at every threshold
    assert js["map"]["mean"] == pytest.approx(0.8)
    text = format_table(res)
    lines = text.splitlines()
    assert lines[0].startswith("MEGC spotting (megc")
    assert "mAP@0.1:0.5" in lines[1]
    overall = next(line for line in lines if line.startswith("overall")).split()
    assert overall == ["overall", "4", "5", "5", "0.8000", "0.8000", "0.8000", "0.8000"]
    assert lines[-1].startswith("STRS (micro) 0.6000")
    # without extras there is no mAP column and no STRS line
    plain = format_table(evaluate_spotting(preds, gt))
    assert "mAP" not in plain and "STRS" not in plain


def test_strs_reads_dataset_emotion_words_as_training_does():
    from causalex.metrics.recognition import strs

    truth = [Interval("v", 0, 5, 10, "macro", "Happiness"), Interval("v", 30, 35, 40, "macro", "disgust/fear"),
             Interval("v", 60, 65, 70, "micro", "curious")]
    preds = [Interval("v", 0, 5, 10, "macro", "positive", score=0.9),
             Interval("v", 30, 35, 40, "macro", "negative", score=0.8),
             Interval("v", 60, 65, 70, "micro", "others", score=0.7)]
    result = strs(preds, truth, row="overall")  # macro-expressions too
    assert result.classes == ("negative", "others", "positive") and result.recognition_f1 == 1.0
    assert strs(preds, truth).classes == ("others",)  # the STRS definition: micro-expressions only
    custom = [replace(p, emotion=e) for p, e in zip(preds, ("happiness", "fear", "curious"))]  # a custom model
    result = strs(custom, truth, row="overall")
    assert result.classes == ("curious", "disgust/fear", "fear", "happiness") and result.recognition_f1 < 1.0


def test_map_of_unscored_predictions_warns_that_it_depends_on_order(caplog):
    from causalex.metrics import evaluate_predictions

    truth = [iv(0, 9), iv(20, 29)]
    with caplog.at_level("WARNING"):
        evaluate_predictions([iv(0, 9, score=1.0), iv(40, 49, score=1.0)], truth)
    assert "all 2 predictions have the same score (1)" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING"):
        evaluate_predictions([iv(0, 9, score=0.9), iv(40, 49, score=0.4)], truth)
    assert "same score" not in caplog.text
