"""Protocols (LOSO, k-fold, split), inner validation, threshold selection, losses and config."""

import numpy as np
import pytest
import torch

from causalex.errors import InputError
from causalex.labels import Interval
from causalex.spot.decoding import DecodeConfig
from causalex.train.config import ExperimentConfig, ProtocolConfig
from causalex.train.losses import emotion_loss, make_loss
from causalex.train.protocols import SELECTION_TEST, choose_validation, final_fold, make_folds
from causalex.train.selection import choose_thresholds, fit_durations

SUBJECTS = [f"s{i:02d}" for i in range(1, 9)]
COUNTS = {s: {"macro": 3, "micro": 1 if s in ("s02", "s07") else 0} for s in SUBJECTS}


def test_loso_has_one_fold_per_subject_and_honest_validation():
    folds = make_folds(SUBJECTS, COUNTS, ProtocolConfig())
    assert [f.test_subjects for f in folds] == [[s] for s in SUBJECTS]
    for f in folds:
        assert not set(f.val_subjects) & set(f.test_subjects)
        assert not set(f.train_subjects) & set(f.val_subjects)
        assert set(f.train_subjects) | set(f.val_subjects) | set(f.test_subjects) == set(SUBJECTS)
        assert len(f.val_subjects) >= 2
        if f.test_subjects[0] not in ("s02", "s07"):
            assert {"s02", "s07"} & set(f.val_subjects)  # validation holds a micro-expression when it can


def test_kfold_split_and_select_on_test():
    folds = make_folds(SUBJECTS, COUNTS, ProtocolConfig(protocol="kfold", folds=4))
    tested = sorted(s for f in folds for s in f.test_subjects)
    assert tested == SUBJECTS and len(folds) == 4
    split = make_folds(SUBJECTS, COUNTS, ProtocolConfig(protocol="split", test_subjects=("s03", "s04")))
    assert len(split) == 1 and split[0].test_subjects == ["s03", "s04"]
    optimistic = make_folds(SUBJECTS, COUNTS, ProtocolConfig(select_on_test=True))
    assert all(f.val_subjects == f.test_subjects and f.selection == SELECTION_TEST for f in optimistic)
    final = final_fold(SUBJECTS, COUNTS, ProtocolConfig())
    assert final.test_subjects == [] and set(final.train_subjects + final.val_subjects) == set(SUBJECTS)


def test_protocol_errors():
    with pytest.raises(InputError, match="unknown protocol"):
        make_folds(SUBJECTS, COUNTS, ProtocolConfig(protocol="random"))
    with pytest.raises(InputError, match="not in the data"):
        make_folds(SUBJECTS, COUNTS, ProtocolConfig(protocol="split", test_subjects=("zz",)))
    with pytest.raises(InputError, match="folds"):
        make_folds(SUBJECTS, COUNTS, ProtocolConfig(protocol="kfold", folds=20))
    with pytest.raises(InputError, match="at least 2 subjects"):
        make_folds(["s1"], COUNTS, ProtocolConfig())
    assert choose_validation(["s1"], COUNTS, ProtocolConfig(), np.random.default_rng(0)) == []


def test_bad_selection_settings_fail_before_any_fold():
    with pytest.raises(InputError, match="unknown protocol.selection_metric 'best'"):
        make_folds(["s1", "s2", "s3"], COUNTS, ProtocolConfig(selection_metric="best"))
    with pytest.raises(InputError, match="max_pred_ratio must be >= 0"):
        make_folds(["s1", "s2", "s3"], COUNTS, ProtocolConfig(max_pred_ratio=-2.0))


def test_choose_thresholds_finds_the_separating_score():
    truth = [Interval("v", 10 * i, 10 * i + 2, 10 * i + 5, "macro") for i in range(5)]
    good = [Interval("v", t.onset, t.apex, t.offset, "macro", score=0.8) for t in truth]
    bad = [Interval("v", 200 + 10 * i, 201 + 10 * i, 205 + 10 * i, "macro", score=0.3) for i in range(5)]
    micro_truth = [Interval("w", 5, 6, 8, "micro")]
    micro_pred = [Interval("w", 5, 6, 8, "micro", score=0.6)]
    choice = choose_thresholds(good + bad + micro_pred, truth + micro_truth, {"micro": 0.5, "macro": 0.5},
                               smooth=1)
    assert 0.3 < choice.thresholds["macro"] <= 0.8 and choice.thresholds["micro"] <= 0.6
    assert choice.f1 == pytest.approx(1.0) and choice.counts["macro"] == (5, 5, 5)
    mean = choose_thresholds(good + bad + micro_pred, truth + micro_truth, {}, smooth=1, objective="type_mean")
    assert mean.score == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown selection objective"):
        choose_thresholds([], [], {}, objective="best")


def test_auto_batch_size_keeps_enough_steps_for_small_corpora():
    from causalex.train.config import OptimConfig, auto_batch_size

    auto = OptimConfig()  # batch_size 0 = auto, min_steps 30
    assert auto_batch_size(900, auto) == 16  # large corpus: the largest batch
    assert auto_batch_size(130, auto) == 4  # small corpus: 32 steps per epoch
    assert auto_batch_size(10, auto) == 2  # never below 2
    assert auto_batch_size(130, OptimConfig(batch_size=8)) == 8  # an explicit size is kept


def test_ties_choose_the_fewest_predictions():
    truth = [Interval("v", 0, 2, 5, "macro"), Interval("w", 100, 101, 103, "micro")]
    # nothing matches any ground truth: every threshold pair scores 0, so the highest thresholds win
    preds = [Interval("v", 40 + 10 * i, 41 + 10 * i, 45 + 10 * i, kind, score=0.1 + 0.08 * i)
             for i in range(10) for kind in ("macro", "micro")]
    for objective in ("overall", "type_mean"):
        choice = choose_thresholds(preds, truth, {"micro": 0.5, "macro": 0.5}, objective=objective)
        assert choice.f1 == 0.0
        assert choice.thresholds == {"micro": pytest.approx(0.98), "macro": pytest.approx(0.98)}
        assert choice.counts["macro"][1] == 0 and choice.counts["micro"][1] == 0
    # a found micro-expression fixes the micro threshold; the macro one still predicts least
    preds.append(Interval("w", 100, 101, 103, "micro", score=0.5))
    choice = choose_thresholds(preds, truth, {}, smooth=1, objective="type_mean")
    assert choice.counts["micro"][0] == 1 and choice.counts["macro"][1] == 0


def test_rate_guard_refuses_a_flood_of_micro_predictions():
    # two validation micro-expressions; the model finds one of them only among 40 low-scoring candidates,
    # so the best micro F1 (2 / 41) sits at a threshold that predicts 40 intervals for 2
    macro_truth = [Interval("v", 100 * i, 100 * i + 5, 100 * i + 20, "macro") for i in range(4)]
    macro_pred = [Interval(t.video, t.onset, t.apex, t.offset, "macro", score=0.9) for t in macro_truth]
    micro_truth = [Interval("w", 0, 3, 8, "micro"), Interval("w", 500, 503, 508, "micro")]
    flood = [Interval("w", 20 + 12 * i, 23 + 12 * i, 28 + 12 * i, "micro", score=0.12) for i in range(39)]
    flood.append(Interval("w", 0, 3, 8, "micro", score=0.12))
    preds = macro_pred + flood
    free = choose_thresholds(preds, macro_truth + micro_truth, {}, smooth=1, objective="type_mean")
    assert free.counts["micro"] == (1, 40, 2) and free.guarded == ()
    guarded = choose_thresholds(preds, macro_truth + micro_truth, {}, smooth=1, objective="type_mean",
                                max_pred_ratio=3.0)
    assert guarded.counts["micro"][1] == 0 and guarded.guarded == ("micro",)
    assert guarded.counts["macro"] == (4, 4, 4) and guarded.thresholds["macro"] == free.thresholds["macro"]
    assert guarded.score < free.score  # the guarded epoch ranks lower in the epoch choice
    # a model that finds both at a modest rate is untouched by the guard
    fine = macro_pred + [Interval("w", 0, 3, 8, "micro", score=0.4), Interval("w", 500, 503, 508, "micro", score=0.4),
                         Interval("w", 200, 203, 208, "micro", score=0.4)]
    a = choose_thresholds(fine, macro_truth + micro_truth, {}, smooth=1, objective="type_mean")
    b = choose_thresholds(fine, macro_truth + micro_truth, {}, smooth=1, objective="type_mean", max_pred_ratio=3.0)
    assert a.thresholds == b.thresholds and b.guarded == ()
    with pytest.raises(ValueError, match="max_pred_ratio must be >= 0"):
        choose_thresholds(fine, macro_truth + micro_truth, {}, max_pred_ratio=-1.0)


def test_type_without_validation_truth_keeps_default_threshold():
    truth = [Interval("v", 0, 2, 5, "macro")]
    preds = [Interval("v", 0, 2, 5, "macro", score=0.9), Interval("v", 50, 52, 55, "micro", score=0.9)]
    choice = choose_thresholds(preds, truth, {"micro": 0.3, "macro": 0.5})
    assert choice.thresholds["micro"] == pytest.approx(0.3)


def test_fit_durations_from_labels():
    labels = [Interval("v", 0, 1, n - 1, "micro") for n in (6, 8, 10, 12, 14)]
    fitted = fit_durations(labels, {"v": 30.0}, DecodeConfig(), margin=0.0)
    assert fitted.micro.min_duration_s == pytest.approx(np.percentile([0.2, 8 / 30, 1 / 3, 0.4, 14 / 30], 2))
    assert fitted.macro == DecodeConfig().macro  # too few macro labels: defaults kept


def test_focal_loss_prefers_correct_logits_and_ignores_masked_frames():
    loss = make_loss("focal", gamma=2.0, label_smoothing=0.0)
    targets = torch.zeros(1, 4, 8)
    targets[0, 1] = 1.0
    weights = torch.ones(8)
    mask = torch.ones(1, 4, dtype=torch.bool)
    right = torch.full((1, 4, 8), -6.0)
    right[0, 1] = 6.0
    assert loss(right, targets, mask, weights) < loss(-right, targets, mask, weights)
    one_wrong = right.clone()
    one_wrong[0, 1] = -6.0  # only frame 1 is wrong: masking it removes the loss
    mask_one = torch.tensor([[True, False, True, True]])
    assert loss(one_wrong, targets, mask_one, weights) < 0.01 < loss(one_wrong, targets, mask, weights)
    smooth = make_loss("focal", gamma=2.0, label_smoothing=0.2)
    assert smooth(right, targets, mask, weights) > loss(right, targets, mask, weights)
    with pytest.raises(ValueError, match="valid: bce, boundary, focal"):
        make_loss("hinge")
    logits = torch.zeros(1, 4, 3)
    assert emotion_loss(logits, torch.full((1, 4), -1), mask).item() == 0.0
    assert emotion_loss(logits, torch.tensor([[0, 1, 2, -1]]), mask).item() > 0


def test_config_round_trip_overrides_and_unknown_fields():
    cfg = ExperimentConfig()
    assert ExperimentConfig.from_dict(cfg.to_dict()) == cfg
    small = cfg.merged({"optim": {"epochs": 3}, "decode": {"micro": {"threshold": 0.1}}})
    assert small.optim.epochs == 3 and small.decode.micro.threshold == 0.1 and small.optim.lr == cfg.optim.lr
    with pytest.raises(ValueError, match="unknown OptimConfig field"):
        cfg.merged({"optim": {"epoch": 3}})
    with pytest.raises(ValueError, match="unknown config section"):
        ExperimentConfig.from_dict({"optimiser": {}})
