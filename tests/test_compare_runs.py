"""The paired subject bootstrap of benchmarks/compare_runs.py, on hand-made per-subject counts."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from compare_runs import f1_rows, main, paired_bootstrap  # noqa: E402

from causalex.labels import EXPRESSION_TYPES  # noqa: E402

MICRO, MACRO = EXPRESSION_TYPES.index("micro"), EXPRESSION_TYPES.index("macro")


def _counts(tp_micro, tp_macro, n_subjects=6):
    """[S, 2, 3] counts: (tp, n_pred, n_gt) per subject and type, 4 ground truths and predictions each."""
    c = np.zeros((n_subjects, 2, 3), np.int64)
    c[:, MICRO] = (tp_micro, 4, 4)
    c[:, MACRO] = (tp_macro, 4, 4)
    return c


def test_f1_rows_pools_counts():
    counts = np.zeros((2, 3), np.int64)
    counts[MICRO], counts[MACRO] = (1, 4, 4), (3, 4, 4)  # micro 1 of 4, macro 3 of 4
    rows = f1_rows(counts)
    assert rows["micro"] == pytest.approx(0.25) and rows["macro"] == pytest.approx(0.75)
    assert rows["overall"] == pytest.approx(0.5)


def test_identical_runs_differ_by_nothing():
    a = [_counts(2, 3), _counts(1, 4, n_subjects=4)]
    stats = paired_bootstrap(a, [x.copy() for x in a], resamples=200, seed=0)
    for row in stats.values():
        assert row["diff"] == 0 and row["lo"] == 0 and row["hi"] == 0 and row["p_le_0"] == 1.0


def test_pooled_corpora_give_pooled_f1_and_a_one_sided_interval():
    a = [_counts(3, 3), _counts(4, 3, n_subjects=3)]
    b = [_counts(2, 3), _counts(2, 3, n_subjects=3)]
    stats = paired_bootstrap(a, b, resamples=500, seed=1)
    tp_a, tp_b, n = 6 * 3 + 3 * 4, 6 * 2 + 3 * 2, 9 * 4  # micro counts pooled over both corpora
    assert stats["micro"]["a"] == pytest.approx(2 * tp_a / (2 * n))
    assert stats["micro"]["diff"] == pytest.approx((tp_a - tp_b) / n)
    assert stats["micro"]["lo"] > 0 and stats["micro"]["p_le_0"] == 0.0  # A wins on every subject
    assert stats["macro"]["diff"] == 0


def test_mismatched_corpora_are_refused():
    with pytest.raises(ValueError, match="same corpora"):
        paired_bootstrap([_counts(1, 1)], [_counts(1, 1, n_subjects=5)], resamples=10, seed=0)


def test_missing_run_is_a_one_line_error(tmp_path, capsys):
    labels = tmp_path / "labels.csv"
    labels.write_text("video,subject,onset,offset,apex,type\nv1,s1,10,40,20,macro\n")
    assert main([str(tmp_path / "run_a"), str(tmp_path / "run_b"), "--labels", str(labels), "--no-append"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "run_a" in err and "does not exist" in err
