"""Generic labels / predictions CSV: round trip and one-line errors naming file and row."""

from __future__ import annotations

import pytest

from causalex.errors import InputError
from causalex.labels import (Interval, group_by_video, read_labels_csv, read_predictions_csv, write_labels_csv,
                             write_predictions_csv)


def _write(tmp_path, text, name="labels.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_labels_round_trip(tmp_path):
    ivs = [Interval("v1", 10, 12, 20, "micro", "negative", "s01"), Interval("v1", 40, 50, 90, "macro", "", "s01"),
           Interval("v2", 0, 0, 0, "macro", "positive", "s02")]
    write_labels_csv(tmp_path / "l.csv", ivs)
    assert read_labels_csv(tmp_path / "l.csv") == ivs


def test_missing_apex_is_midpoint_and_type_case_insensitive(tmp_path):
    p = _write(tmp_path, "subject,video,onset,apex,offset,type,emotion\ns1,v,10,,20,Micro,\n")
    (iv,) = read_labels_csv(p)
    assert (iv.apex, iv.type, iv.emotion) == (15, "micro", "")


@pytest.mark.parametrize("row, message", [
    ("s1,v,20,21,10,macro,", "row 1: offset 10 < onset 20"),
    ("s1,v,1,2,3,meso,", "row 1: unknown type 'meso' (expected macro or micro)"),
    ("s1,v,1,9,3,macro,", "row 1: apex 9 is outside [1, 3]"),
    ("s1,v,a,2,3,macro,", "row 1: onset 'a' is not a frame number"),
    ("s1,v,1.5,2,3,macro,", "row 1: onset '1.5' is not a whole frame number"),
    ("s1,,1,2,3,macro,", "row 1: empty video id"),
    ("s1,v,nan,105,110,macro,", "row 1: onset 'nan' is not a whole frame number"),
    ("s1,v,100,105,inf,macro,", "row 1: offset 'inf' is not a whole frame number"),
    ("s1,v,100,-inf,110,macro,", "row 1: apex '-inf' is not a whole frame number"),
])
def test_bad_label_rows_name_file_and_row(tmp_path, row, message):
    p = _write(tmp_path, "subject,video,onset,apex,offset,type,emotion\n" + row + "\n")
    with pytest.raises(InputError) as err:
        read_labels_csv(p)
    assert str(err.value) == f"{p}, {message}"
    assert "\n" not in str(err.value)


def test_missing_file_and_columns(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_labels_csv(tmp_path / "nope.csv")
    p = _write(tmp_path, "video,start,end\nv,1,2\n")
    with pytest.raises(InputError, match=r"missing column\(s\) onset, offset, type"):
        read_labels_csv(p)


def test_predictions_round_trip_with_seconds(tmp_path):
    preds = [Interval("v1", 30, 35, 44, "micro", "surprise", score=0.875), Interval("v2", 0, 1, 2, "macro")]
    write_predictions_csv(tmp_path / "p.csv", preds, fps={"v1": 30.0})
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[0] == "video,onset,apex,offset,type,score,emotion,onset_s,offset_s"
    assert lines[1] == "v1,30,35,44,micro,0.875,surprise,1.0000,1.5000"
    assert lines[2].endswith(",,")
    back = read_predictions_csv(tmp_path / "p.csv")
    assert [(p.video, p.onset, p.offset, p.score) for p in back] == [("v1", 30, 44, 0.875), ("v2", 0, 2, 1.0)]


def test_bad_score(tmp_path):
    p = _write(tmp_path, "video,onset,apex,offset,type,score\nv,1,2,3,macro,high\n", "p.csv")
    with pytest.raises(InputError, match=r"row 1: score 'high' is not a number"):
        read_predictions_csv(p)


def test_group_by_video_sorts_by_onset():
    ivs = [Interval("b", 5, 5, 6, "micro"), Interval("a", 9, 9, 9, "macro"), Interval("a", 1, 1, 2, "macro")]
    g = group_by_video(ivs)
    assert list(g) == ["b", "a"] and [iv.onset for iv in g["a"]] == [1, 9]


def test_labels_file_lists_expression_free_videos_and_keeps_csv_rows(tmp_path):
    from causalex.labels import read_labels_file

    path = tmp_path / "labels.csv"
    path.write_text("subject,video,onset,apex,offset,type,emotion\ns1,quiet,,,,,\ns2,v2,1,2,3,micro,\n,v2,5,6,9,macro,\n")
    doc = read_labels_file(path)
    assert doc.videos == {"quiet": "s1", "v2": "s2"} and doc.rows == [2, 3]
    assert [iv.onset for iv in doc.intervals] == [1, 5]
    path.write_text("subject,video,onset,apex,offset,type,emotion\ns1,v1,,45,,,happy\n")  # half a label
    with pytest.raises(InputError, match=r"row 1: onset '' is not a frame number"):
        read_labels_file(path)
    path.write_text("subject,video,onset,apex,offset,type,emotion\ns1,v1,,,,,\ns2,v1,1,2,3,micro,\n")
    with pytest.raises(InputError, match=r"row 2: video 'v1' has subject 's2' here and 's1' above"):
        read_labels_file(path)


@pytest.mark.parametrize("cells, message", [
    ("nan,2,3,macro,0.5", "row 2: onset 'nan' is not a whole frame number"),
    ("1,2,inf,macro,0.5", "row 2: offset 'inf' is not a whole frame number"),
    ("1,2,3,macro,nan", "row 2: score 'nan' is not a finite number"),
    ("1,2,3,macro,-inf", "row 2: score '-inf' is not a finite number"),
])
def test_nan_in_predictions_is_input_error(tmp_path, cells, message):
    p = _write(tmp_path, "video,onset,apex,offset,type,score\nv,1,2,3,macro,0.9\nv," + cells + "\n", "p.csv")
    with pytest.raises(InputError) as err:
        read_predictions_csv(p)
    assert str(err.value) == f"{p}, {message}"


def test_duplicate_label_row_names_both_rows(tmp_path):
    head = "subject,video,onset,apex,offset,type,emotion\n"
    p = _write(tmp_path, head + "s01,s01_v01,100,105,110,macro,positive\ns01,s01_v01,200,205,210,micro,\n"
               "s01,s01_v01,100,105,110,Macro,\n")  # emotion and case aside, the same expression
    with pytest.raises(InputError) as err:
        read_labels_csv(p)
    assert str(err.value) == f"{p}, row 3: repeats row 1 (video 's01_v01', 100-110 macro)"
    p.write_text(head + "s01,v,100,,110,macro,\ns01,v,100,105,110,macro,\n")  # empty apex is the midpoint
    with pytest.raises(InputError, match=r"row 2: repeats row 1 "):
        read_labels_csv(p)
    p.write_text(head + "s01,v,100,105,110,macro,\ns01,v,100,106,110,macro,\ns01,v,100,105,110,micro,\n"
                 "s01,w,100,105,110,macro,\n")  # apex, type or video differs: not a repeat
    assert len(read_labels_csv(p)) == 4


def test_identical_prediction_rows_are_kept(tmp_path):
    p = _write(tmp_path, "video,onset,apex,offset,type,score\nv,1,2,3,macro,0.5\nv,1,2,3,macro,0.5\n", "p.csv")
    assert read_predictions_csv(p) == [Interval("v", 1, 2, 3, "macro", score=0.5)] * 2
