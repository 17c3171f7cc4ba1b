"""`error_breakdown`: every outcome of ground truths and predictions, on hand-made intervals."""

import pytest

from causalex.errors import InputError
from causalex.labels import Interval
from causalex.metrics import error_breakdown


def iv(video, onset, offset, kind):
    return Interval(video, onset, (onset + offset) // 2, offset, kind)


TRUTH = [
    iv("a", 0, 9, "micro"),  # found by a micro prediction
    iv("a", 100, 109, "micro"),  # spotted only as macro
    iv("a", 200, 209, "micro"),  # a micro prediction overlaps 3 of 17 frames: boundary
    iv("a", 300, 309, "micro"),  # nothing near: missed
    iv("b", 0, 39, "macro"),  # found
    iv("b", 100, 139, "macro"),  # missed
]
PREDS = [
    iv("a", 0, 9, "micro"),  # matched
    iv("a", 1, 8, "micro"),  # also matches the same expression (one MEGC TP, two matching predictions)
    iv("a", 100, 109, "macro"),  # on a micro expression: other type
    iv("a", 207, 216, "micro"),  # boundary
    iv("a", 500, 509, "micro"),  # false alarm
    iv("b", 2, 38, "macro"),  # matched
    iv("c", 0, 9, "macro"),  # a video without labels: false alarm
]


def test_every_outcome_is_counted():
    errors = error_breakdown(PREDS, TRUTH)
    assert errors.truth["micro"] == {"found": 1, "other_type": 1, "boundary": 1, "missed": 1}
    assert errors.truth["macro"] == {"found": 1, "other_type": 0, "boundary": 0, "missed": 1}
    assert errors.predictions["micro"] == {"matched": 2, "other_type": 0, "boundary": 1, "false_alarm": 1}
    assert errors.predictions["macro"] == {"matched": 1, "other_type": 1, "boundary": 0, "false_alarm": 1}
    assert sum(sum(v.values()) for v in errors.truth.values()) == len(TRUTH)
    assert sum(sum(v.values()) for v in errors.predictions.values()) == len(PREDS)
    assert errors.to_json()["ground_truth"]["micro"]["missed"] == 1


def test_the_iou_convention_decides_a_borderline_match():
    truth, pred = [iv("v", 0, 10, "micro")], [iv("v", 0, 5, "micro")]  # megc 6/11 passes; auwgcn 5/10 does not
    assert error_breakdown(pred, truth).truth["micro"]["found"] == 1
    assert error_breakdown(pred, truth, variant="auwgcn").truth["micro"]["boundary"] == 1
    with pytest.raises(ValueError):
        error_breakdown(pred, truth, variant="other")
    with pytest.raises(InputError):
        error_breakdown([Interval("v", 0, 1, 2, "blink")], truth)
