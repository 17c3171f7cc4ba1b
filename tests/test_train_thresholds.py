"""Threshold choice with little validation evidence: the rate fallback, pooled evidence, the deployment
selection and the prediction volume warnings."""

import numpy as np
import pytest

from causalex.labels import Interval
from causalex.metrics.volume import count_types, volume_warnings
from causalex.train.config import ExperimentConfig
from causalex.train.deployment import deployment_selection, median_epoch
from causalex.train.protocols import SELECTION_INNER, SELECTION_NONE
from causalex.train.selection import (SOURCE_CONFIGURED, SOURCE_RATE, SOURCE_VALIDATION, ValidationEvidence,
                                      choose_from_evidence, choose_thresholds, rate_threshold_index)

MACRO_TRUTH = [Interval("v", 100 * i, 100 * i + 5, 100 * i + 20, "macro") for i in range(6)]
MACRO_PRED = [Interval(t.video, t.onset, t.apex, t.offset, "macro", score=0.9) for t in MACRO_TRUTH]


def _micro_candidates(scores, video="w"):
    """Micro candidates at distinct places (none matching any label below unless placed there)."""
    return [Interval(video, 1000 + 20 * i, 1002 + 20 * i, 1006 + 20 * i, "micro", score=s) for i, s in enumerate(scores)]


def test_one_missed_validation_micro_expression_no_longer_selects_a_threshold_above_every_score():
    # the case: one validation micro-expression, missed; micro apex peaks near 0.8
    truth = MACRO_TRUTH + [Interval("w", 0, 3, 8, "micro")]
    preds = MACRO_PRED + _micro_candidates([0.82, 0.79, 0.77, 0.4, 0.3, 0.2, 0.1])
    old = choose_thresholds(preds, truth, {"micro": 0.5, "macro": 0.5}, objective="type_mean")
    assert old.thresholds["micro"] == pytest.approx(0.98) and old.counts["micro"][1] == 0  # nothing predicted
    # with the training rate known (3 micro-expressions expected on these videos), the threshold keeps 3
    new = choose_thresholds(preds, truth, {"micro": 0.5, "macro": 0.5}, objective="type_mean",
                            expected={"micro": 3.0, "macro": 6.0})
    assert new.sources == {"micro": SOURCE_RATE, "macro": SOURCE_VALIDATION}
    assert new.counts["micro"][1] == 3 and new.thresholds["micro"] == pytest.approx(0.76)
    assert new.counts["macro"] == (6, 6, 6)


def test_nothing_found_at_any_threshold_takes_the_rate_threshold_for_both_types():
    # a 2-epoch model: plenty of validation expressions, none found at any threshold
    truth = MACRO_TRUTH + [Interval("w", 50 * i, 50 * i + 2, 50 * i + 6, "micro") for i in range(5)]
    preds = ([Interval("v", 2000 + 40 * i, 2005 + 40 * i, 2020 + 40 * i, "macro", score=0.05 + 0.05 * i)
              for i in range(12)] + _micro_candidates([0.1 + 0.05 * i for i in range(10)]))
    assert choose_thresholds(preds, truth, {}, objective="type_mean").thresholds == {"micro": pytest.approx(0.98),
                                                                                     "macro": pytest.approx(0.98)}
    choice = choose_thresholds(preds, truth, {}, objective="type_mean", expected={"micro": 4.0, "macro": 5.0})
    assert choice.sources == {"micro": SOURCE_RATE, "macro": SOURCE_RATE}
    assert choice.counts["micro"][1] == 4 and choice.counts["macro"][1] == 5


def test_enough_validation_evidence_is_tuned_on_f1_as_before():
    truth = MACRO_TRUTH + [Interval("w", 50 * i, 50 * i + 2, 50 * i + 6, "micro") for i in range(4)]
    found = [Interval("w", 50 * i, 50 * i + 2, 50 * i + 6, "micro", score=0.6) for i in range(4)]
    preds = MACRO_PRED + found + _micro_candidates([0.3] * 8)
    a = choose_thresholds(preds, truth, {}, smooth=1, objective="type_mean")
    b = choose_thresholds(preds, truth, {}, smooth=1, objective="type_mean", expected={"micro": 40.0, "macro": 6.0})
    assert a.thresholds == b.thresholds and b.sources["micro"] == SOURCE_VALIDATION
    assert b.counts["micro"] == (4, 4, 4)
    # a type absent from validation and from the training rate keeps its configured threshold
    c = choose_thresholds(MACRO_PRED, MACRO_TRUTH, {"micro": 0.3}, expected={"micro": 0.0, "macro": 6.0})
    assert c.sources["micro"] == SOURCE_CONFIGURED and c.thresholds["micro"] == pytest.approx(0.3)


def test_rate_threshold_index_keeps_at_least_the_expected_count():
    n_pred = np.array([9, 7, 5, 3, 3, 1, 0])
    assert rate_threshold_index(n_pred, 3.0) == 4
    assert rate_threshold_index(n_pred, 0.2) == 5  # at least one
    assert rate_threshold_index(n_pred, 50.0) == 0  # never enough: the lowest threshold


def test_pooled_evidence_tunes_where_each_fold_alone_has_too_little():
    # three folds, each with one micro-expression found at 0.6 and a decoy at 0.3
    parts = []
    for k in range(3):
        truth = [Interval(f"w{k}", 0, 3, 8, "micro")]
        preds = [Interval(f"w{k}", 0, 3, 8, "micro", score=0.6), *_micro_candidates([0.3], video=f"w{k}")]
        parts.append(ValidationEvidence.from_intervals(preds, truth, expected={"micro": 1.0, "macro": 0.0}))
        alone = choose_from_evidence(parts[-1], {}, smooth=1)
        assert alone.sources["micro"] == SOURCE_RATE
    pooled = ValidationEvidence.pooled(parts)
    assert pooled.expected == {"micro": 3.0, "macro": 0.0}
    choice = choose_from_evidence(pooled, {}, smooth=1)
    assert choice.sources["micro"] == SOURCE_VALIDATION and choice.counts["micro"] == (3, 3, 3)
    assert 0.3 < choice.thresholds["micro"] <= 0.6
    back = ValidationEvidence.from_json(pooled.to_json())
    assert choose_from_evidence(back, {}, smooth=1).thresholds == choice.thresholds
    assert ValidationEvidence.pooled([]) is None


def test_deployment_selection_takes_the_median_epoch_and_pooled_thresholds():
    assert median_epoch([3, 8, 5]) == 5 and median_epoch([4, 5]) == 5 and median_epoch([]) is None
    records = [{"best_epoch": e, "selection": SELECTION_INNER} for e in (4, 9, 6)]
    records.append({"best_epoch": 18, "selection": SELECTION_NONE})  # a fold that selected nothing does not vote
    ev = ValidationEvidence.from_intervals(MACRO_PRED, MACRO_TRUTH, expected={"micro": 0.0, "macro": 6.0})
    chosen = deployment_selection(records, [ev, ev], ExperimentConfig())
    assert chosen.epoch == 6 and chosen.thresholds["macro"] <= 0.9 and chosen.sources["macro"] == SOURCE_VALIDATION
    assert "median" in chosen.description and "2 fold(s) pooled" in chosen.description
    none = deployment_selection([{"best_epoch": 18, "selection": SELECTION_NONE}], [], ExperimentConfig())
    assert none.epoch is None and none.thresholds is None and "configured" in none.description


def test_volume_warnings_name_silent_and_flooding_types():
    preds = _micro_candidates([0.5] * 54)
    truth = [Interval("w", 0, 3, 8, "micro")] * 4 + MACRO_TRUTH
    messages = volume_warnings(count_types(preds), count_types(truth), "fold s03", "ground truths")
    assert len(messages) == 2
    assert any("54 micro predictions where 4 were expected" in m for m in messages)
    assert any("no macro prediction where 6" in m for m in messages)
    assert volume_warnings({"micro": 4, "macro": 6}, {"micro": 4, "macro": 6}, "x", "y") == []
    assert volume_warnings({"micro": 8, "macro": 0}, {"micro": 0.0, "macro": 0.0}, "x", "y") == []  # a handful
    flood = volume_warnings({"micro": 394, "macro": 0}, {"micro": 0.0, "macro": 0.0}, "x", "y")
    assert flood == ["x: 394 micro predictions where 0 were expected (y): the micro threshold sits in the noise"]


def test_plan_line_and_time_left():
    from causalex.train.estimate import FoldClock, format_seconds, plan_line

    line = plan_line(6, 18, True, True, 12)
    assert line.startswith("training plan: 6 folds x 18 epochs + the deployment model (up to 18) = up to 126 epochs")
    assert "discovered again in every fold" in line
    assert "= up to 18 epochs" in plan_line(1, 18, False, False, 3)
    assert "time estimate" in line and "time estimate" not in plan_line(6, 18, True, True, 12, parallel=True)
    clock = FoldClock(3, final_model=True)
    clock.fold_started()
    assert "left for 3 more" in clock.fold_done(1)
    assert clock.fold_done(2) is None  # said once
    assert [format_seconds(s) for s in (42, 210, 7200)] == ["42 s", "3.5 min", "2.0 h"]
