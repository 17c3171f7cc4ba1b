"""The demo summary's "What the numbers say" section: every sentence follows the run's own numbers."""

from __future__ import annotations

import pytest

from causalex.demo.reading import SEED_SPREAD_SECTION, reading_markdown


def _cell(value: float) -> dict:
    return {"mean": value}


def _doc(model_a=0.70, model_b=0.60, thr_a=0.40, thr_b=0.35, reliance=None) -> dict:
    scores = [{"key": key, "scores": {"overall": {"f1": f1}}}
              for key, f1 in (("model_a", model_a), ("model_b", model_b), ("threshold_a", thr_a),
                              ("threshold_b", thr_b), ("model_b_without_bias_aus", 0.65))]
    reliance = reliance or {"AU14": 0.08, "AU23": 0.02, "AU04": 0.03, "AU12": -0.01}
    return {"scores": scores,
            "corpora": {"A": {"subjects": 8, "macro": 96, "micro": 36, "bias": {"aus": ["AU14", "AU23"]}}},
            "bias": {"reliance": {"causal": {"in_domain": {au: _cell(v) for au, v in reliance.items()}}},
                     "summary": {v: {"overall": {"in_domain": _cell(i), "cross_domain": _cell(c)}}
                                 for v, i, c in (("causal", 0.66, 0.61), ("none", 0.68, 0.53))}}}


def test_reading_states_the_run_numbers_and_the_caveat():
    text = "\n".join(reading_markdown(_doc()))
    assert "0.700" in text and "0.400" in text and "(+0.300)" in text
    assert "scores 0.600 (-0.100 against A)" in text and "0.350 on B, so it stays above" in text
    assert "largest loss is on AU14, one of A's bias AUs" in text and "--exclude-aus AU14,AU23" in text
    assert "AU14 +0.080, AU04 +0.030, AU23 +0.020, AU12 -0.010" in text  # sorted by cost
    assert "on B 0.610 vs 0.530" in text
    assert "without A's bias AUs (AU14 + AU23, known here from the simulator" in text
    assert "scores 0.650 on B, against 0.600 with every AU (+0.050)" in text
    assert "8 subjects and 132 expressions" in text and SEED_SPREAD_SECTION in text


def test_reading_says_when_the_model_falls_below_the_baseline_and_reads_no_bias():
    text = "\n".join(reading_markdown(_doc(model_b=0.10, thr_b=0.30, reliance={"AU14": 0.01, "AU12": 0.09})))
    assert "it falls below the threshold spotter there: what it learned on A did not carry over" in text
    assert "largest loss is on AU12, not one of A's bias AUs (AU14 + AU23), though the model leans on them too " \
           "(AU14 +0.010)" in text and "--exclude-aus" not in text


def test_reading_when_no_removal_costs_anything():
    text = "\n".join(reading_markdown(_doc(reliance={"AU14": 0.0, "AU12": -0.02})))
    assert "no single AU's removal costs F1" in text and "largest loss" not in text


def test_reading_of_a_run_without_scores_is_empty():
    doc = _doc()
    doc["scores"], doc["bias"] = [], {"reliance": {}, "summary": {}}
    assert reading_markdown(doc) == []


@pytest.mark.parametrize("missing", ["model_b", "threshold_a"])
def test_reading_skips_the_spotting_lines_when_a_row_is_missing(missing):
    doc = _doc()
    doc["scores"] = [r for r in doc["scores"] if r["key"] != missing]
    text = "\n".join(reading_markdown(doc))
    assert "trained spotter" not in text and "One AU removed at test time" in text


def test_reading_says_what_the_selection_left_out_against_the_truth():
    from causalex.demo.reading import _graph_sentence

    summary = {"causal": {"overall": {"in_domain": {"mean": 0.8}, "cross_domain": {"mean": 0.7}}},
               "none": {"overall": {"in_domain": {"mean": 0.8}, "cross_domain": {"mean": 0.6}}}}
    doc = {"bias": {"summary": summary, "causal_selection": {"left_out": {"AU14": "corpus-specific", "AU02": "x"},
                                                            "test_series_read_before_training": True}},
           "corpora": {"A": {"bias": {"aus": ["AU14", "AU23"]}}}}
    text = " ".join(_graph_sentence(doc))
    assert "left out AU14, AU02: 1 of A's 2 bias AUs, and AU02 that is not one" in text
    assert "with B's AU series as an unlabelled context" in text
    doc["bias"]["causal_selection"]["left_out"] = {"AU14": "", "AU23": ""}
    assert "exactly A's bias AUs" in " ".join(_graph_sentence(doc))
