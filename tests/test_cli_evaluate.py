"""`causalex evaluate`: the table, the JSON file, the variant switch and one-line errors (exit 2)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from causalex_cli.main import app

runner = CliRunner()

LABELS = """subject,video,onset,apex,offset,type,emotion
s1,v1,0,4,9,micro,negative
s1,v1,20,25,29,macro,positive
s2,v2,0,5,10,micro,surprise
"""
# v1 micro [0,9] exact (IoU 1, megc and auwgcn); v1 macro [22,31] vs [20,29]: megc 8/12, auwgcn 7/11;
# v2 micro [0,5] vs [0,10]: megc 6/11 (found), auwgcn 5/10 = 0.5 (not > 0.5: missed); v2 [40,49] FP.
PREDICTIONS = """video,onset,apex,offset,type,score,emotion
v1,0,4,9,micro,0.9,negative
v1,22,25,31,macro,0.8,negative
v2,0,3,5,micro,0.7,surprise
v2,40,45,49,micro,0.6,
"""


@pytest.fixture
def files(tmp_path):
    labels, preds = tmp_path / "labels.csv", tmp_path / "preds.csv"
    labels.write_text(LABELS)
    preds.write_text(PREDICTIONS)
    return labels, preds


def test_table_and_json(files, tmp_path):
    labels, preds = files
    out = tmp_path / "res" / "scores.json"
    res = runner.invoke(app, ["evaluate", str(preds), "--labels", str(labels), "--json", str(out)])
    assert res.exit_code == 0, res.output
    for word in ("micro", "macro", "overall", "N_pred", "mAP@0.1:0.5", "STRS"):
        assert word in res.stdout
    js = json.loads(out.read_text())
    # megc: micro TP 2 of 3 predictions, 2 GT -> P 2/3, R 1, F1 0.8; macro 1/1/1; overall 3/4/3 -> F1 6/7
    assert js["micro"] == {"tp": 2, "n_pred": 3, "n_gt": 2, "precision": pytest.approx(2 / 3),
                           "recall": 1.0, "f1": pytest.approx(0.8)}
    assert (js["macro"]["tp"], js["macro"]["f1"]) == (1, 1.0)
    assert js["overall"]["f1"] == pytest.approx(6 / 7) and js["variant"] == "megc"
    # STRS is on micro-expressions: pairs (negative, negative), (surprise, surprise) -> recognition F1 1;
    # STRS = micro F1 0.8 x 1 (the macro pair (positive, negative) is left out)
    assert js["strs"]["recognition_f1"] == pytest.approx(1.0) and js["strs"]["row"] == "micro"
    assert js["strs"]["strs"] == pytest.approx(0.8)
    from causalex.labels import read_labels_csv, read_predictions_csv
    from causalex.metrics.recognition import strs
    both = strs(read_predictions_csv(preds), read_labels_csv(labels), row="overall")
    # both types: pairs (negative, negative), (positive, negative), (surprise, surprise): classes negative,
    # positive, surprise: P = (1/2 + 0 + 1)/3 = 1/2, R = (1 + 0 + 1)/3 = 2/3 -> F1 = 4/7; x overall F1 6/7
    assert both.recognition_f1 == pytest.approx(4 / 7) and both.strs == pytest.approx(24 / 49)
    # micro ranked: TP (0.9), TP (0.7), FP (0.6) with 2 GT -> AP 1; macro AP 1 -> mAP 1
    assert js["map"]["mean"] == pytest.approx(1.0)
    # where F1 is lost: the v2 prediction at [40, 49] lies on no expression
    assert "where F1 is lost" in res.stdout
    assert js["errors"]["predictions"]["micro"] == {"matched": 2, "other_type": 0, "boundary": 0, "false_alarm": 1}
    assert js["errors"]["ground_truth"]["macro"]["found"] == 1


def test_auwgcn_variant(files, tmp_path):
    labels, preds = files
    out = tmp_path / "auw.json"
    res = runner.invoke(app, ["evaluate", str(preds), "--labels", str(labels), "--variant", "auwgcn", "-o", str(out)])
    assert res.exit_code == 0, res.output
    js = json.loads(out.read_text())
    # v2 micro IoU exactly 0.5 is not a match under auwgcn: micro TP 1 of 3 predictions, 2 GT
    assert (js["variant"], js["micro"]["tp"], js["micro"]["n_pred"]) == ("auwgcn", 1, 3)


def test_no_emotions_no_strs(files, tmp_path):
    labels, preds = files
    labels.write_text("video,onset,offset,type\nv1,0,9,micro\nv2,0,10,micro\n")
    out = tmp_path / "s.json"
    res = runner.invoke(app, ["evaluate", str(preds), "--labels", str(labels), "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "STRS" not in res.stdout and "strs" not in json.loads(out.read_text())


def _bad(args, out, *expected):
    res = runner.invoke(app, [*args, "--json", str(out)])
    assert res.exit_code == 2, res.output
    message = res.stderr.strip()
    assert len(message.splitlines()) == 1 and "Traceback" not in res.output
    for part in expected:
        assert part in message
    assert not out.exists() and not list(out.parent.glob(f".{out.name}*"))


def test_missing_files(files, tmp_path):
    labels, preds = files
    out = tmp_path / "out.json"
    _bad(["evaluate", str(tmp_path / "nope.csv"), "--labels", str(labels)], out, "nope.csv", "does not exist")
    _bad(["evaluate", str(preds), "--labels", str(tmp_path / "gone.csv")], out, "gone.csv", "does not exist")


@pytest.mark.parametrize("old, new, problem", [
    ("s1,v1,20,25,29", "s1,v1,20,25,19", "offset 19 < onset 20"),
    ("29,macro", "29,mega", "unknown type 'mega'"),
])
def test_bad_labels_row(files, tmp_path, old, new, problem):
    labels, preds = files
    labels.write_text(LABELS.replace(old, new))
    _bad(["evaluate", str(preds), "--labels", str(labels)], tmp_path / "out.json", "labels.csv, row 2", problem)


def test_predictions_for_unknown_video(files, tmp_path):
    labels, preds = files
    preds.write_text(PREDICTIONS.replace("v2,40,45,49", "v7,40,45,49"))
    _bad(["evaluate", str(preds), "--labels", str(labels)], tmp_path / "out.json",
         "preds.csv, row 4", "video 'v7' is not in the labels")


def test_bad_variant_is_usage_error(files, tmp_path):
    labels, preds = files
    out = tmp_path / "out.json"
    res = runner.invoke(app, ["evaluate", str(preds), "--labels", str(labels), "--variant", "iou", "--json", str(out)])
    assert res.exit_code == 2 and not out.exists()


def test_json_onto_an_input_is_refused(files):
    labels, preds = files
    before = labels.read_text()
    res = runner.invoke(app, ["evaluate", str(preds), "--labels", str(labels), "--json", str(labels)])
    assert res.exit_code == 2
    assert "is also an input" in res.output and labels.read_text() == before


def test_files_given_in_the_wrong_roles_are_refused(files, tmp_path):
    labels, preds = files
    other = tmp_path / "other_preds.csv"
    other.write_text(PREDICTIONS)
    _bad(["evaluate", str(preds), "--labels", str(other)], tmp_path / "out.json", "other_preds.csv",
         "is a predictions CSV")
    _bad(["evaluate", str(labels), "--labels", str(labels)], tmp_path / "out.json", "labels.csv", "is a labels CSV")


def test_repeated_prediction_rows_are_refused_or_dropped_with_a_warning(files, tmp_path):
    labels, preds = files
    preds.write_text(PREDICTIONS + "v1,0,4,9,micro,0.5,negative\n")
    _bad(["evaluate", str(preds), "--labels", str(labels)], tmp_path / "out.json", "preds.csv, row 5",
         "repeats row 1", "--drop-duplicates")
    out = tmp_path / "scores.json"
    res = runner.invoke(app, ["evaluate", str(preds), "--labels", str(labels), "--drop-duplicates", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "dropped 1 repeated prediction row" in res.stderr
    assert json.loads(out.read_text())["micro"]["n_pred"] == 3  # the copy is not counted


def test_a_type_never_predicted_or_flooded_is_warned_about(files, tmp_path):
    labels, preds = files
    flood = "".join(f"v2,{100 + 12 * i},{102 + 12 * i},{105 + 12 * i},micro,0.1,\n" for i in range(20))
    preds.write_text(PREDICTIONS.replace("v1,22,25,31,macro,0.8,negative\n", "") + flood)
    res = runner.invoke(app, ["evaluate", str(preds), "--labels", str(labels)])
    assert res.exit_code == 0, res.output
    warning = " ".join(res.stderr.split())
    assert "no macro prediction where 1 macro-expression(s) were expected" in warning
    assert "23 micro predictions where 2 were expected" in warning
