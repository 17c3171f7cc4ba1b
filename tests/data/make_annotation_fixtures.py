"""Write the small annotation fixtures in the published layouts (invented rows, real column layouts).

Run ``python tests/data/make_annotation_fixtures.py`` to regenerate the .xlsx/.csv files in this
folder; tests also import the ``write_*`` functions to build broken variants in a temporary folder.
The rows deliberately include the quirks of the real files: CAS(ME)^2 offsets of 0, an apex of 0, an
apex after the offset, a video code stored as a number; SAMM notes rows above the header, an apex of
-1, an onset of 0 and a numeric subject; CAS(ME)^3 rows of both types.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

# CAS(ME)^2code_final.xlsx: participant, clip, onset, apex, offset, AUs, estimated emotion, type, self-report
CASME2_CODE = [
    (1, "disgust1_1", 1195, 1218, 1266, "4+7", "negative", "macro-expression", "disgust"),
    (1, "disgust2_1", 699, 703, 707, "43", "others", "micro-expression", "others"),
    (1, "anger1_1", 2155, 2163, 0, "4", "negative", "macro-expression", "anger"),  # offset missing
    (2, "happy1_3", 178, 190, 0, "6+12", "positive", "macro-expression", "happy"),  # offset missing
    (2, "happy1_4", 1221, 1230, 1224, "4+5+7", "positive", "macro-expression", "happiness"),  # apex > offset
    (2, "happy1_5", 1763, 0, 1787, "14", "surprise", "macro-expression", "surprise"),  # apex missing
    (2, "disgust1_2", 552, 559, 565, "1+2", "", "micro-expression", "surprise"),  # estimated column empty
]
CASME2_RULE1 = [(15, "s15", 1), (16, "s16", 2)]
CASME2_RULE2 = [("0101", "disgust1"), ("0102", "disgust2"), ("0401", "anger1"), (502, "happy1")]

SAMM_NOTES = [("SAMM Long Videos (causalex test fixture, invented rows)",), (None,),
              ("Type: Macro, or Micro - 1/2 (at most half a second)",), ("Apex -1: not coded",), (None,),
              ("Onset 0: under way when the video starts",), (None,), (None,), (None,)]
SAMM_HEADER = ("Subject", "Filename", "Inducement Code", "Onset", "Apex", "Offset", "Duration", "Type",
               "Action Units", "Notes")
SAMM_ROWS = [
    ("006", "006_1_1", 1, 566, 651, 743, 178, "Macro", "4(B/C)+7B", None),
    ("006", "006_1_2", 1, 324, 366, 403, 80, "Micro - 1/2", "4+7", None),
    (6, "006_2_1", 2, 80, -1, 174, 95, "Micro - 1/2", "4", "apex not coded"),
    ("011", "011_6_1", 6, 0, 3300, 4123, 4124, "Macro", "6C+12E", "starts before the video"),
]

CASME3_HEADER = ("Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion", "Type")
CASME3_ROWS = [
    ("spNO.1", "a", 349, 351, 354, "L4", 1, "disgust", "Micro"),
    ("spNO.1", "a", 31, 45, 59, "12", 3, "happy", "Macro"),
    ("spNO.2", "k", 179, 186, 194, "1+2", 6, "surprise", "ME"),
    ("spNO.2", "d", 616, 640, 669, "4+7", 2, "others", "MaE"),
    ("spNO.3", "m", 1534, 1540, 1545, "R14", 7, "sad", "Micro"),
]

AUWGCN_CSV = """subject,video_name,start_frame,apex_frame,end_frame,type_idx,au
casme_015,casme_015_0401,557,572,608,1,4+10+14
casme_015,casme_015_0402,2155,2163,0,1,4
casme_015,casme_015_0102,699,703,707,2,43
samm_006,samm_006_1,70,80,92,1,4(B/C)+7B
samm_010,samm_010_1,11,-1,26,1,7A
"""
LGSNET_CSV = """subject,video,type,type_idx,startFrame,endFrame,frame_num,length
006,./SAMM_longvideos/006_1,Macro,1,566,743,8748,176
006,./SAMM_longvideos/006_1,Micro,2,324,403,8748,79
1,./CAS(ME)2_longVideoFaceCropped/longVideoFaceCropped/s15/15_0102eatingworms,micro-expression,2,699,707,1075,8
001,/data/CAS^3/new_data_full_reduce/001/a,Macro,1,31,59,836,28
"""


def write_xlsx(path: Path, sheets: dict[str, list[tuple]]) -> Path:
    """Write a workbook with the given sheets (first key first), one tuple per row."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    wb.save(path)
    return path


def write_casme2(path: Path, code=CASME2_CODE, rule1=CASME2_RULE1, rule2=CASME2_RULE2) -> Path:
    """CAS(ME)^2code_final layout: code sheet, ``naming rule1``, ``naming rule2``, no headers."""
    return write_xlsx(path, {"CASFEcode_final": list(code), "naming rule1": list(rule1), "naming rule2": list(rule2)})


def write_samm(path: Path, rows=SAMM_ROWS, notes=SAMM_NOTES) -> Path:
    """SAMM_LongVideos_V*_Release layout: notes block, header row, data rows."""
    return write_xlsx(path, {"FACS_Movement_Only": list(notes) + [SAMM_HEADER] + list(rows)})


def write_casme3(path: Path, rows=CASME3_ROWS, header=CASME3_HEADER) -> Path:
    """cas(me)3_part_A_*_label layout: header row then data rows, sheet ``label``."""
    return write_xlsx(path, {"label": [header] + list(rows)})


def main() -> None:
    """Regenerate the committed annotation fixtures."""
    for name, writer in (("casme2_code_final.xlsx", write_casme2), ("samm_longvideos_release.xlsx", write_samm),
                         ("casme3_partA_label.xlsx", write_casme3)):
        writer(HERE / name)
        print(f"wrote {name}")
    (HERE / "auwgcn_annotations.csv").write_text(AUWGCN_CSV, encoding="utf-8")
    (HERE / "lgsnet_annotations.csv").write_text(LGSNET_CSV, encoding="utf-8")
    print("wrote auwgcn_annotations.csv, lgsnet_annotations.csv")


if __name__ == "__main__":
    main()
