"""Annotation readers (CAS(ME)^2, SAMM-LV, CAS(ME)^3, spotting-code CSVs) and `causalex labels`."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

from causalex.datasets import (ANNOTATION_FORMATS, AnnotationRecord, read_annotations, read_casme2_xlsx,
                               read_casme3_xlsx, read_samm_xlsx, read_spotting_csv, to_megc_emotion,
                               write_annotations_csv)
from causalex.datasets.spotting_csv import video_id_from_path
from causalex.errors import InputError
from causalex.labels import Interval, read_labels_csv, write_labels_csv
from causalex_cli.main import app

DATA = Path(__file__).parent / "data"
_spec = importlib.util.spec_from_file_location("annotation_fixtures", DATA / "make_annotation_fixtures.py")
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)


def _iv(r: AnnotationRecord) -> tuple:
    i = r.interval
    return i.subject, i.video, i.onset, i.apex, i.offset, i.type, i.emotion


# ---------------------------------------------------------------- CAS(ME)^2


def test_casme2_rows_ids_and_zero_based_frames():
    recs = read_annotations(DATA / "casme2_code_final.xlsx", "casme2")
    assert [_iv(r) for r in recs] == [
        ("s15", "15_0101", 1194, 1217, 1265, "macro", "negative"),
        ("s15", "15_0102", 698, 702, 706, "micro", "others"),
        ("s15", "15_0401", 2154, 2162, 2170, "macro", "negative"),  # offset 0 -> apex + (apex - onset)
        ("s16", "16_0502", 177, 189, 201, "macro", "positive"),  # video code stored as the number 502
        ("s16", "16_0502", 1220, 1223, 1223, "macro", "positive"),  # apex after offset -> clamped
        ("s16", "16_0502", 1762, 1774, 1786, "macro", "surprise"),  # apex 0 -> middle
        ("s16", "16_0101", 551, 558, 564, "micro", "surprise"),  # estimated empty -> self-report
    ]
    assert recs[0].emotion_original == "negative/disgust" and recs[0].aus == "4+7" and recs[0].source_row == 1
    assert "offset missing" in recs[2].note and "clamped" in recs[4].note and "apex missing" in recs[5].note
    assert recs[0].note == ""
    assert [r.interval for r in recs] == read_casme2_xlsx(DATA / "casme2_code_final.xlsx")


def test_casme2_missing_offset_rules():
    apex_rule = read_annotations(DATA / "casme2_code_final.xlsx", "casme2", missing_offset="apex")
    assert (apex_rule[2].interval.apex, apex_rule[2].interval.offset) == (2162, 2162)
    with pytest.raises(InputError, match=r"casme2_code_final\.xlsx, row 3: offset is missing"):
        read_annotations(DATA / "casme2_code_final.xlsx", "casme2", missing_offset="error")
    with pytest.raises(ValueError, match="missing_offset"):
        read_annotations(DATA / "casme2_code_final.xlsx", "casme2", missing_offset="guess")


@pytest.mark.parametrize("row, problem", [
    ((1, "disgust1_1", 1300, 1310, 1266, "4", "negative", "macro-expression", "disgust"), "offset 1266 < onset 1300"),
    ((1, "disgust1_1", 10, 12, 20, "4", "negative", "mega-expression", "disgust"), "unknown expression type"),
    ((9, "disgust1_1", 10, 12, 20, "4", "negative", "macro-expression", "disgust"), "participant '9'"),
    ((1, "fear7_1", 10, 12, 20, "4", "negative", "macro-expression", "fear"), "video 'fear7'"),
    ((1, "disgust1_1", "ten", 12, 20, "4", "negative", "macro-expression", "disgust"), "onset 'ten' is not a frame"),
    ((1, "disgust1_1", 10.5, 12, 20, "4", "negative", "macro-expression", "disgust"), "not a whole frame"),
    ((1, "disgust1_1", 10, 0, 0, "4", "negative", "macro-expression", "disgust"), "offset is missing and so is"),
])
def test_casme2_bad_rows_name_file_and_row(tmp_path, row, problem):
    path = fx.write_casme2(tmp_path / "code.xlsx", code=fx.CASME2_CODE[:2] + [row])
    with pytest.raises(InputError, match=problem) as err:
        read_casme2_xlsx(path)
    assert str(err.value).startswith(f"{path}, row 3: ") and "\n" not in str(err.value)


def test_casme2_bad_workbooks(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        read_casme2_xlsx(tmp_path / "none.xlsx")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a zip")
    with pytest.raises(InputError, match="not a readable .xlsx workbook"):
        read_casme2_xlsx(fake)
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"\.xls workbooks are not supported"):
        read_casme2_xlsx(old)
    empty = fx.write_casme2(tmp_path / "empty.xlsx", code=[])
    with pytest.raises(InputError, match="no annotation rows"):
        read_casme2_xlsx(empty)
    no_rules = fx.write_xlsx(tmp_path / "norules.xlsx", {"CASFEcode_final": fx.CASME2_CODE})
    with pytest.raises(InputError, match="no sheet named like namingrule1"):
        read_casme2_xlsx(no_rules)


# ---------------------------------------------------------------- SAMM-LV


def test_samm_header_below_notes_and_sheet_conventions():
    recs = read_annotations(DATA / "samm_longvideos_release.xlsx", "samm")
    assert [_iv(r) for r in recs] == [
        ("006", "006_1", 565, 650, 742, "macro", ""),
        ("006", "006_1", 323, 365, 402, "micro", ""),  # "Micro - 1/2"
        ("006", "006_2", 79, 126, 173, "micro", ""),  # numeric subject 6 -> 006; apex -1 -> middle
        ("011", "011_6", 0, 3299, 4122, "macro", ""),  # onset 0: under way at the first frame
    ]
    assert recs[0].source_row == len(fx.SAMM_NOTES) + 2 and recs[0].aus == "4(B/C)+7B"
    assert recs[2].comment == "apex not coded" and "apex missing" in recs[2].note
    assert "first frame" in recs[3].note
    assert [r.interval for r in recs] == read_samm_xlsx(DATA / "samm_longvideos_release.xlsx")


def test_samm_releases_with_other_note_blocks(tmp_path):
    path = fx.write_samm(tmp_path / "v1.xlsx", notes=[("SAMM Long Videos V1",)])
    assert len(read_samm_xlsx(path)) == len(fx.SAMM_ROWS)
    no_header = fx.write_xlsx(tmp_path / "nohead.xlsx", {"s": fx.SAMM_ROWS})
    with pytest.raises(InputError, match="no header row with columns subject, filename"):
        read_samm_xlsx(no_header)


@pytest.mark.parametrize("row, problem", [
    (("006", "006_1_9", 1, 500, 450, 400, 0, "Macro", "4", None), "offset 400 < onset 500"),
    (("006", "006_1_9", 1, 500, 510, 520, 0, "Nano", "4", None), "unknown expression type 'Nano'"),
    (("006", "0061", 1, 500, 510, 520, 0, "Macro", "4", None), "is not <subject>_<video>_<n>"),
    (("006", "006_1_9", 1, -4, 510, 520, 0, "Macro", "4", None), "onset -4 is before the first frame"),
    (("006", "006_1_9", 1, 500, 510, -7, 0, "Macro", "4", None), "offset -7 is before the first frame"),
])
def test_samm_bad_rows(tmp_path, row, problem):
    path = fx.write_samm(tmp_path / "samm.xlsx", rows=[fx.SAMM_ROWS[0], row])
    with pytest.raises(InputError, match=problem) as err:
        read_samm_xlsx(path)
    assert f", row {len(fx.SAMM_NOTES) + 3}: " in str(err.value)


# ---------------------------------------------------------------- CAS(ME)^3


def test_casme3_rows_types_and_emotions():
    recs = read_annotations(DATA / "casme3_partA_label.xlsx", "casme3")
    assert [_iv(r) for r in recs] == [
        ("spNO.1", "spNO.1_a", 348, 350, 353, "micro", "negative"),
        ("spNO.1", "spNO.1_a", 30, 44, 58, "macro", "positive"),
        ("spNO.2", "spNO.2_k", 178, 185, 193, "micro", "surprise"),
        ("spNO.2", "spNO.2_d", 615, 639, 668, "macro", "others"),
        ("spNO.3", "spNO.3_m", 1533, 1539, 1544, "micro", "negative"),
    ]
    assert recs[4].emotion_original == "sad" and recs[4].comment == "objective class 7" and recs[4].aus == "R14"
    zero_based = read_casme3_xlsx(DATA / "casme3_partA_label.xlsx", frame_base=0)
    assert zero_based[0].onset == 349


def test_casme3_type_from_file_name_or_argument(tmp_path):
    header = fx.CASME3_HEADER[:-1]
    rows = [r[:-1] for r in fx.CASME3_ROWS]
    me = fx.write_casme3(tmp_path / "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx", rows=rows, header=header)
    assert {iv.type for iv in read_casme3_xlsx(me)} == {"micro"}
    mae_header = ("sub", "seq", "onset", "apex", "offset", "AU", "Objective class", "emotion")
    mae = fx.write_casme3(tmp_path / "cas(me)3_part_A_MaE_label_JpgIndex_v2_emotion.xlsx", rows=rows,
                          header=mae_header)
    assert {iv.type for iv in read_casme3_xlsx(mae)} == {"macro"}
    plain = fx.write_casme3(tmp_path / "labels.xlsx", rows=rows, header=header)
    with pytest.raises(InputError, match="no type column"):
        read_casme3_xlsx(plain)
    assert {iv.type for iv in read_casme3_xlsx(plain, expression_type="macro")} == {"macro"}


# ---------------------------------------------------------------- spotting-code CSVs


def test_auwgcn_csv():
    recs = read_annotations(DATA / "auwgcn_annotations.csv", "csv")
    assert [_iv(r) for r in recs] == [
        ("casme_015", "casme_015_0401", 556, 571, 607, "macro", ""),
        ("casme_015", "casme_015_0402", 2154, 2162, 2170, "macro", ""),  # end_frame 0 kept from the sheet
        ("casme_015", "casme_015_0102", 698, 702, 706, "micro", ""),
        ("samm_006", "samm_006_1", 69, 79, 91, "macro", ""),
        ("samm_010", "samm_010_1", 10, 17, 25, "macro", ""),  # apex -1
    ]


def test_repeated_expressions_are_dropped_with_a_warning(tmp_path, caplog):
    lines = (DATA / "auwgcn_annotations.csv").read_text().splitlines()
    src = tmp_path / "repeats.csv"
    src.write_text("\n".join([*lines, lines[1], lines[3]]) + "\n")  # data rows 1 and 3 again, as rows 6 and 7
    with caplog.at_level("WARNING"):
        recs = read_annotations(src, "csv")
    assert [_iv(r) for r in recs] == [_iv(r) for r in read_annotations(DATA / "auwgcn_annotations.csv", "csv")]
    assert "dropped 2 row(s) that repeat an earlier expression: source row 6 (= 1), 7 (= 3)" in caplog.text
    out = tmp_path / "labels.csv"
    write_labels_csv(out, [r.interval for r in recs])
    assert len(read_labels_csv(out)) == len(recs)  # the converted file reads (repeats are refused there)


def test_lgsnet_csv_paths_and_no_apex():
    recs = read_annotations(DATA / "lgsnet_annotations.csv", "csv")
    assert [r.interval.video for r in recs] == ["006_1", "006_1", "15_0102eatingworms", "001_a"]
    assert [r.interval.type for r in recs] == ["macro", "micro", "micro", "macro"]
    assert recs[0].interval.apex == (565 + 742) // 2 and recs[0].note == ""  # no apex column: no repair note
    assert video_id_from_path("./SAMM_longvideos/006_1") == "006_1"
    assert video_id_from_path(r"C:\data\001\b") == "001_b"


def test_generic_labels_csv_round_trips_through_the_annotation_writer(tmp_path):
    recs = read_annotations(DATA / "casme2_code_final.xlsx", "casme2")
    out = tmp_path / "labels.csv"
    write_annotations_csv(out, recs)
    assert read_labels_csv(out) == [r.interval for r in recs]
    again = read_spotting_csv(out)  # generic layout: 0-based, read unchanged
    assert again == [r.interval for r in recs]
    header = out.read_text().splitlines()[0]
    assert header == "subject,video,onset,apex,offset,type,emotion,emotion_original,aus,source_row,note,comment"


def test_plain_generic_labels_frame_zero_is_a_frame(tmp_path):
    path = tmp_path / "l.csv"
    write_labels_csv(path, [Interval("v", 0, 0, 0, "micro", "positive", "s1")])
    assert read_spotting_csv(path) == [Interval("v", 0, 0, 0, "micro", "positive", "s1")]


@pytest.mark.parametrize("content, problem", [
    ("", "empty CSV file"),
    ("subject,video_name,start_frame,apex_frame\ns,v,1,2\n", "missing column"),
    ("video_name,start_frame,end_frame,type_idx\n", "header but no rows"),
    ("video_name,start_frame,end_frame,type_idx\nv,1,5,2\nv,x,5,2\n", "row 2: onset 'x' is not a frame"),
    ("video_name,start_frame,end_frame,type_idx\nv,1,5,3\n", "row 1: unknown expression type '3'"),
    ("video_name,start_frame,end_frame,type_idx\nv,9,5,1\n", "row 1: offset 5 < onset 9"),
])
def test_spotting_csv_bad_files(tmp_path, content, problem):
    path = tmp_path / "a.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=problem):
        read_spotting_csv(path)


# ---------------------------------------------------------------- shared pieces


def test_megc_emotion_mapping():
    assert to_megc_emotion("happiness") == to_megc_emotion("Happy") == "positive"
    assert to_megc_emotion("repression") == to_megc_emotion("sad") == to_megc_emotion("Anger") == "negative"
    assert to_megc_emotion("surprise") == "surprise"
    assert to_megc_emotion("tense") == to_megc_emotion("Others") == to_megc_emotion("curious") == "others"
    assert to_megc_emotion("") == ""
    assert to_megc_emotion("", "disgust") == "negative"  # falls through to the next label
    assert to_megc_emotion("disgust/fear") == "negative" and to_megc_emotion("happy/sad") == "others"


def test_unknown_format():
    with pytest.raises(ValueError, match="casme2, samm, casme3, csv"):
        read_annotations(DATA / "auwgcn_annotations.csv", "megc")
    assert set(ANNOTATION_FORMATS) == {"casme2", "samm", "casme3", "csv"}


# ---------------------------------------------------------------- CLI

runner = CliRunner()


@pytest.mark.parametrize("src, fmt, n", [
    ("casme2_code_final.xlsx", "casme2", 7), ("samm_longvideos_release.xlsx", "samm", 4),
    ("casme3_partA_label.xlsx", "casme3", 5), ("auwgcn_annotations.csv", "csv", 5),
])
def test_cli_convert(tmp_path, src, fmt, n):
    out = tmp_path / "labels.csv"
    result = runner.invoke(app, ["labels", "convert", str(DATA / src), "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert len(read_labels_csv(out)) == n
    assert f"{n} intervals" in " ".join(result.output.split())


def test_cli_convert_bad_input_is_one_line_exit_2(tmp_path):
    result = runner.invoke(app, ["labels", "convert", str(tmp_path / "none.xlsx"), "-f", "samm", "-o",
                                 str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "does not exist" in result.output and not (tmp_path / "o.csv").exists()
    bad = fx.write_casme2(tmp_path / "bad.xlsx",
                          code=[(1, "disgust1_1", 30, 31, 20, "4", "negative", "macro-expression", "disgust")])
    result = runner.invoke(app, ["labels", "convert", str(bad), "-f", "casme2", "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "row 1: offset 20 < onset 30" in " ".join(result.output.split())
    assert not (tmp_path / "o.csv").exists()
    result = runner.invoke(app, ["labels", "convert", str(bad), "-f", "samm", "--type", "micro", "-o",
                                 str(tmp_path / "o.csv")])
    assert result.exit_code == 2 and "--type applies to --format casme3 only" in " ".join(result.output.split())
    result = runner.invoke(app, ["labels", "convert", str(bad), "-f", "nope", "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 2


def test_cli_show(tmp_path):
    out = tmp_path / "labels.csv"
    runner.invoke(app, ["labels", "convert", str(DATA / "casme2_code_final.xlsx"), "-f", "casme2", "-o", str(out)])
    result = runner.invoke(app, ["labels", "show", str(out), "--fps", "30"])
    assert result.exit_code == 0, result.output
    assert "7 intervals, 5 videos, 2 subjects" in " ".join(result.output.split())
    lines = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
             for line in result.output.splitlines() if line.count("│") >= 5}
    assert lines["macro"][:3] == ["0", "5", "5"] and lines["micro"][:3] == ["2", "0", "2"]
    assert lines["negative"][2] == "2" and lines["s16"][2] == "4"
    result = runner.invoke(app, ["labels", "show", str(tmp_path / "none.csv")])
    assert result.exit_code == 2 and "does not exist" in result.output
