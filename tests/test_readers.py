"""OpenFace and py-feat readers on real tool outputs (fixtures cut from the py-feat 2.1.5 wheel)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from causalex.errors import InputError
from causalex.readers import collect_series_files, read_series, sniff_csv_kind
from causalex.readers.openface import is_openface_header, read_openface_csv
from causalex.readers.pyfeat import PYFEAT_SCALE, is_pyfeat_header, read_pyfeat_csv

DATA = Path(__file__).parent / "data"


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [{k.strip(): v.strip() for k, v in r.items()} for r in csv.DictReader(fh)]


# ---------------------------------------------------------------- OpenFace


def test_openface_full_real_header_reads_intensities_only():
    s = read_openface_csv(DATA / "openface_full_header.csv")
    assert s.n_frames == 10 and s.mask.all()
    # AU28 only has a presence (_c) column in OpenFace 2.x, so it is not an intensity AU
    assert s.au_names == ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15",
                          "AU17", "AU20", "AU23", "AU25", "AU26", "AU45"]
    assert s.fps == 1000.0  # this test file's timestamps advance by 1 ms per frame
    first = _rows(DATA / "openface_full_header.csv")[0]
    assert s.values[0, 0] == np.float32(first["AU01_r"])
    assert s.values[0, -1] == np.float32(first["AU45_r"])
    assert s.source == "openface" and s.scale == "intensity_0_5"


def test_openface_header_with_and_without_spaces_read_the_same():
    spaced = read_openface_csv(DATA / "openface_success0.csv", fps=30)
    plain = read_openface_csv(DATA / "openface_nospace.csv", fps=30)
    assert spaced.au_names == plain.au_names
    np.testing.assert_array_equal(spaced.values, plain.values)
    np.testing.assert_array_equal(spaced.mask, plain.mask)


def test_openface_success0_rows_are_masked_and_zeroed():
    s = read_openface_csv(DATA / "openface_success0.csv", fps=30)
    assert s.n_frames == 30
    assert np.flatnonzero(~s.mask).tolist() == [5, 6, 7]  # OpenFace frames 6-8 (1-based) failed
    assert (s.values[~s.mask] == 0).all()
    rows = _rows(DATA / "openface_success0.csv")
    assert s.values[10, s.au_names.index("AU23")] == np.float32(rows[10]["AU23_r"])
    assert s.meta["masked_frames"] == 3


def test_openface_low_confidence_is_masked_on_request():
    s = read_openface_csv(DATA / "openface_success0.csv", fps=30, min_confidence=0.5)
    assert np.flatnonzero(~s.mask).tolist() == [5, 6, 7, 11]  # frame 12 has confidence 0.4


def test_openface_two_faces_keeps_the_most_successful_face():
    s = read_openface_csv(DATA / "openface_two_faces.csv", fps=30)
    assert s.meta["face_id"] == 0 and s.meta["faces_in_file"] == 2
    assert "most successful" in s.meta["face_rule"]
    alone = read_openface_csv(DATA / "openface_nospace.csv", fps=30)
    np.testing.assert_array_equal(s.values, alone.values)
    np.testing.assert_array_equal(s.mask, alone.mask)


def test_openface_explicit_face_id():
    s = read_openface_csv(DATA / "openface_two_faces.csv", fps=30, face_id=1)
    assert s.meta["face_id"] == 1 and s.meta["face_rule"] == "given face_id"
    assert s.n_frames == 24  # face 1 is tracked in frames 5..24 (1-based)
    assert np.flatnonzero(s.mask).tolist() == list(range(4, 24, 2))  # every other frame succeeded
    with pytest.raises(InputError, match="face_id 7 not in file"):
        read_openface_csv(DATA / "openface_two_faces.csv", fps=30, face_id=7)
    with pytest.raises(InputError, match="no face_id column"):
        read_openface_csv(DATA / "openface_nospace.csv", fps=30, face_id=1)


def test_openface_fps_from_timestamps_and_explicit():
    assert read_openface_csv(DATA / "openface_nospace.csv").fps == 1000.0
    assert read_openface_csv(DATA / "openface_nospace.csv", fps=25).fps == 25.0


def test_implausible_frame_rates_are_refused_before_resampling(tmp_path):
    rows = list(csv.reader((DATA / "openface_nospace.csv").read_text().splitlines()))
    col = rows[0].index("timestamp")
    for row in rows[1:]:
        row[col] = str(float(row[col]) * 1e4)  # 1000 fps read as 0.1 fps: a wrong timestamp unit
    slow = tmp_path / "slow.csv"
    slow.write_text("\n".join(",".join(r) for r in rows) + "\n")
    with pytest.raises(InputError, match=r"slow\.csv: frame rate from the timestamps: 0\.1 fps is not between 1 and 1000 fps"):
        read_series(slow)
    assert read_series(slow, fps=30).fps == 30.0  # the rate given overrides the timestamps
    one = tmp_path / "one.csv"
    one.write_text("\n".join(",".join(r) for r in rows[:2]) + "\n")
    with pytest.raises(InputError, match=r"one\.csv: cannot infer fps from the timestamps of a single row"):
        read_series(one)
    for fps in (0.5, 5000.0, float("nan")):
        with pytest.raises(InputError, match="--fps: .* fps is not between 1 and 1000 fps"):
            read_series(DATA / "openface_nospace.csv", fps=fps)


def test_openface_non_numeric_value_names_the_row(tmp_path):
    lines = (DATA / "openface_nospace.csv").read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("AU04_r")] = "strong"
    lines[3] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"bad\.csv, row 3: column 'AU04_r' holds non-numeric value 'strong'"):
        read_openface_csv(bad, fps=30)


@pytest.mark.parametrize("reader, content, problem", [
    (read_openface_csv, "", "empty file"),
    (read_openface_csv, "frame, success, AU01_r\n", "header but no rows"),
    (read_openface_csv, "frame,success,confidence\n1,1,0.9\n", "no AU intensity columns"),
    (read_openface_csv, "frame,AU01_r\n1,0.5\n", "missing OpenFace column 'success'"),
    (read_openface_csv, "frame,success,AU01_r\n0,1,0.5\n", "start at 1"),
    (read_openface_csv, "frame,success,AU01_r\n1,1,0.5\n1,1,0.7\n", "duplicate frame"),
    (read_pyfeat_csv, "", "empty file"),
    (read_pyfeat_csv, "frame,FaceScore,AU01\n", "header but no rows"),
    (read_pyfeat_csv, "frame,FaceScore,anger\n0,0.9,0.1\n", "no AU columns"),
])
def test_bad_files(tmp_path, reader, content, problem):
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=problem) as err:
        reader(path, fps=30)
    assert "\n" not in str(err.value) and "x.csv" in str(err.value)


@pytest.mark.parametrize("reader", [read_openface_csv, read_pyfeat_csv, read_series])
def test_missing_file(tmp_path, reader):
    with pytest.raises(InputError, match="does not exist"):
        reader(tmp_path / "none.csv")


# ---------------------------------------------------------------- py-feat


def test_pyfeat_single_image_fex():
    s = read_pyfeat_csv(DATA / "pyfeat_single_image.csv", fps=30)
    row = _rows(DATA / "pyfeat_single_image.csv")[0]
    assert s.n_frames == 1 and s.mask.all()
    assert "AU43" in s.au_names and "AU45" not in s.au_names and len(s.au_names) == 20
    assert s.values[0, s.au_names.index("AU12")] == np.float32(row["AU12"])
    assert s.scale == PYFEAT_SCALE == "probability_0_1" and s.source == "pyfeat"
    assert "AU45" in s.meta["au45"] and "AU43" in s.meta["au45"]


def test_pyfeat_video_frames_are_zero_based_rows():
    s = read_pyfeat_csv(DATA / "pyfeat_video_12.csv", fps=24, subject="p1")
    rows = _rows(DATA / "pyfeat_video_12.csv")
    assert s.n_frames == 12 and s.mask.all() and s.fps == 24 and s.subject == "p1"
    assert s.video == "pyfeat_video_12"
    for k in (0, 11):
        assert s.values[int(rows[k]["frame"]), s.au_names.index("AU01")] == np.float32(rows[k]["AU01"])
    assert 0.0 <= s.values.min() and s.values.max() <= 1.0


def test_pyfeat_several_faces_no_face_and_missing_frames():
    rows = _rows(DATA / "pyfeat_multiface.csv")
    big = {int(r["frame"]): r for r in rows if r["FaceScore"] and float(r["FaceRectWidth"]) > 100}
    s = read_pyfeat_csv(DATA / "pyfeat_multiface.csv", fps=30)
    assert s.n_frames == 10
    assert np.flatnonzero(~s.mask).tolist() == [6, 8]  # 6: no face found, 8: frame absent from the file
    for f in (2, 3, 4):  # the largest box wins over the small second face
        assert s.values[f, s.au_names.index("AU01")] == np.float32(big[f]["AU01"])
    assert s.meta["frames_with_several_faces"] == 3 and "largest" in s.meta["face_rule"]
    by_score = read_pyfeat_csv(DATA / "pyfeat_multiface.csv", fps=30, face="score")
    assert by_score.values[3, 0] == np.float32(0.0123)  # the small face has the higher FaceScore there
    assert by_score.values[2, 0] == s.values[2, 0]
    assert "FaceScore" in by_score.meta["face_rule"]
    with pytest.raises(ValueError, match="largest"):
        read_pyfeat_csv(DATA / "pyfeat_multiface.csv", fps=30, face="first")


def test_pyfeat_without_fps_asks_for_it():
    with pytest.raises(InputError, match="pass --fps") as err:
        read_pyfeat_csv(DATA / "pyfeat_video_12.csv")
    assert "\n" not in str(err.value)


def _with_time_column(tmp_path, name: str, fps: float, n: int, clock: bool) -> Path:
    header, *rows = (DATA / "pyfeat_video_12.csv").read_text().splitlines()
    cols = header.split(",")
    fi = cols.index("frame")
    lines = [header + f",{name}"]
    for i in range(n):
        cells = rows[i % len(rows)].split(",")
        cells[fi] = str(i)
        t = i / fps
        stamp = f"{int(t) // 60:02d}:{int(t) % 60:02d}" if clock else f"{t:.6f}"
        lines.append(",".join(cells) + f",{stamp}")
    path = tmp_path / f"{name}.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_pyfeat_fps_from_approx_time_and_timestamp(tmp_path):
    s = read_pyfeat_csv(_with_time_column(tmp_path, "approx_time", 30, 95, clock=True))
    assert s.fps == 30.0 and s.meta["fps_source"] == "approx_time"
    s = read_pyfeat_csv(_with_time_column(tmp_path, "timestamp", 25, 20, clock=False))
    assert s.fps == 25.0 and s.meta["fps_source"] == "timestamp"
    with pytest.raises(InputError, match="pass --fps"):  # under one second: no change of second seen
        read_pyfeat_csv(_with_time_column(tmp_path, "approx_time", 30, 20, clock=True))


@pytest.mark.parametrize("edit, problem", [
    (("AU06", "high"), r"row 2: column 'AU06' holds non-numeric value 'high'"),
    (("frame", "-3"), "row 2: frame number is empty, negative"),
])
def test_pyfeat_bad_values_name_the_row(tmp_path, edit, problem):
    header, *rows = (DATA / "pyfeat_video_12.csv").read_text().splitlines()
    cells = rows[1].split(",")
    cells[header.split(",").index(edit[0])] = edit[1]
    rows[1] = ",".join(cells)
    path = tmp_path / "bad.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(InputError, match=problem):
        read_pyfeat_csv(path, fps=30)


# ---------------------------------------------------------------- dispatcher


def test_header_sniffing():
    of_header = (DATA / "openface_full_header.csv").read_text().splitlines()[0].split(",")
    pf_header = (DATA / "pyfeat_video_12.csv").read_text().splitlines()[0].split(",")
    assert is_openface_header(of_header) and not is_pyfeat_header(of_header)
    assert is_pyfeat_header(pf_header) and not is_openface_header(pf_header)
    assert not is_pyfeat_header(["frame", "valid", "AU01", "AU02"])  # an AUSeries.to_frame() export
    assert not is_pyfeat_header("subject,video,onset,apex,offset,type,emotion".split(","))
    assert sniff_csv_kind(DATA / "openface_two_faces.csv") == "openface"
    assert sniff_csv_kind(DATA / "pyfeat_multiface.csv") == "pyfeat"


def test_read_series_dispatches_on_header():
    assert read_series(DATA / "openface_nospace.csv").source == "openface"
    s = read_series(DATA / "pyfeat_single_image.csv", fps=30)
    assert s.source == "pyfeat" and s.n_frames == 1


def test_folder_scan_skips_annotation_csvs():
    names = {p.name for p in collect_series_files([DATA])}
    assert {"openface_full_header.csv", "pyfeat_multiface.csv", "pyfeat_single_image.csv"} <= names
    assert "auwgcn_annotations.csv" not in names and "lgsnet_annotations.csv" not in names


@pytest.mark.parametrize("content", ["", "subject,video,onset,apex,offset,type,emotion\ns1,v,1,2,3,micro,\n"])
def test_read_series_rejects_csv_without_au_columns(tmp_path, content):
    path = tmp_path / "labels.csv"
    path.write_text(content)
    with pytest.raises(InputError, match="no AU columns"):
        read_series(path)


def test_reader_reads_what_write_openface_csv_writes(tmp_path):
    from causalex.readers.openface import write_openface_csv

    real = read_openface_csv(DATA / "openface_success0.csv", fps=30)
    back = read_openface_csv(write_openface_csv(real, tmp_path / "w.csv"), fps=30)
    assert back.au_names == real.au_names
    np.testing.assert_array_equal(back.mask, real.mask)
    np.testing.assert_allclose(back.values, real.values, atol=0.005 + 1e-6)


def test_openface_fps_estimate_is_not_fooled_by_millisecond_rounding(tmp_path):
    lines = ["frame, timestamp, confidence, success, AU01_r"]
    lines += [f"{i + 1}, {i / 30:.3f}, 0.98, 1, 0.5" for i in range(300)]  # OpenFace rounds to 1 ms
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    assert read_openface_csv(path).fps == 30.0


def test_openface_given_fps_overrides_timestamps_with_a_warning(caplog, monkeypatch):
    import causalex.readers.openface as openface

    monkeypatch.setattr(openface, "_WARNED_RATES", set())
    # this real file's timestamps advance 1 ms per frame (OpenFace on an image folder): the given rate wins
    with caplog.at_level("WARNING", logger="causalex"):
        s = read_openface_csv(DATA / "openface_full_header.csv", fps=30)
        read_openface_csv(DATA / "openface_full_header.csv", fps=30)  # a folder of such files: one warning
    assert s.fps == 30 and caplog.text.count("timestamps give 1000 fps; using the 30 fps passed") == 1
    caplog.clear()
    with caplog.at_level("WARNING", logger="causalex"):
        read_openface_csv(DATA / "openface_full_header.csv", fps=1000)
    assert caplog.text == ""


def test_folder_input_says_which_csvs_it_skips(tmp_path, caplog):
    (tmp_path / "good.csv").write_text((DATA / "openface_full_header.csv").read_text())
    (tmp_path / "labels.csv").write_text("subject,video,onset,apex,offset,type,emotion\n")
    (tmp_path / "no_aus.csv").write_text("frame, timestamp, confidence, success, gaze_0_x\n1, 0, 0.9, 1, 0.1\n")
    (tmp_path / "empty.csv").write_text("")
    with caplog.at_level("INFO", logger="causalex"):
        files = collect_series_files([tmp_path])
    assert [f.name for f in files] == ["good.csv"]
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2 and any("empty.csv: empty file" in w for w in warnings)
    assert any("no_aus.csv" in w and "no AU columns" in w for w in warnings)
    assert "labels.csv: not a series file" in caplog.text


def test_mostly_untracked_openface_file_is_warned(tmp_path, caplog):
    from causalex.readers.openface import write_openface_csv
    from causalex.series import AUSeries

    mask = np.zeros(40, bool)
    mask[:10] = True
    series = AUSeries(values=np.ones((40, 2), np.float32), mask=mask, fps=30.0, au_names=["AU01", "AU12"], video="v")
    write_openface_csv(series, tmp_path / "v.csv")
    with caplog.at_level("WARNING", logger="causalex"):
        read_openface_csv(tmp_path / "v.csv")
    assert "30 of 40 frames are masked" in caplog.text


def test_a_folder_of_frame_images_says_how_to_extract_it(tmp_path):
    frames = tmp_path / "15_0101"
    frames.mkdir()
    (frames / "img1.jpg").write_bytes((DATA / "extract" / "astronaut_face.jpg").read_bytes())
    with pytest.raises(InputError, match=r"holds frame images: extract them first \(causalex extract .*15_0101 "
                                         r"--folder-fps FPS -o series/\)"):
        collect_series_files([frames])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"holds no AU series \(\.parquet, OpenFace or py-feat \.csv\)$"):
        collect_series_files([tmp_path / "empty"])
