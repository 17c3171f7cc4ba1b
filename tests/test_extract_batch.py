"""Many videos: manifest, bad inputs, resume after a rerun or a kill, parallel workers."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from causalex.errors import InputError
from causalex.extract import collect_jobs, read_manifest, run_batch
from causalex.series import AUSeries

DATA = Path(__file__).parent / "data" / "extract"
CLIP = DATA / "wolfgang_48f_320x180.mp4"


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith("."))


@pytest.fixture()
def inputs(tmp_path) -> Path:
    """A folder with one good video, a frame folder, and every kind of bad input."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CLIP, folder / "good.mp4")
    shutil.copy(DATA / "no_face_24f.mp4", folder / "noface.mp4")
    (folder / "notes.mp4").write_text("not a video")
    cv2.VideoWriter(str(folder / "zero.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48)).release()
    frames = folder / "frames_s01"
    frames.mkdir()
    cap = cv2.VideoCapture(str(CLIP))
    for i in range(1, 13):
        cv2.imwrite(str(frames / f"frame_{i}.jpg"), cap.read()[1])
    (tmp_path / "empty").mkdir()
    return folder


def test_bad_inputs_are_recorded_and_do_not_stop_the_batch(inputs, tmp_path):
    out = tmp_path / "out"
    seen = []
    jobs = collect_jobs([inputs, tmp_path / "missing.mp4", tmp_path / "empty"], folder_fps=24)
    report = run_batch(jobs, out, on_video=lambda row: seen.append(row.video))
    status = {r.video: (r.status, r.error) for r in report.rows}
    assert status["good"] == ("ok", "") and status["frames_s01"] == ("ok", "")
    assert status["noface"] == ("failed", f"{inputs / 'noface.mp4'}: no face found in any of 24 frames")
    assert status["notes"][0] == "failed" and "cannot be opened as a video" in status["notes"][1]
    assert status["zero"] == ("failed", f"{inputs / 'zero.avi'}: video has no decodable frames")
    assert status["missing"] == ("failed", f"{tmp_path / 'missing.mp4'}: path does not exist")
    assert status["empty"][0] == "failed" and "no videos and no frame images" in status["empty"][1]
    assert sorted(seen) == sorted(status)
    assert sorted(p.name for p in out.iterdir()) == ["frames_s01.parquet", "good.parquet", "manifest.csv"]
    manifest = read_manifest(out)
    assert list(manifest) == [j.video for j in jobs]
    good = manifest["good"]
    assert good.frames == 48 and good.valid_frames == 48 and good.backend == "flow" and len(good.sha256) == 64
    assert good.output == "good.parquet" and good.fps == pytest.approx(23.976, abs=1e-3)
    folder_row = manifest["frames_s01"]
    assert folder_row.kind == "frame_folder" and folder_row.frames == 12 and folder_row.fps == 24
    series = AUSeries.load(out / "good.parquet")
    assert series.n_frames == 48 and series.meta["sha256"] == good.sha256
    assert [r.video for r in report.failed] == ["noface", "notes", "zero", "missing", "empty"]


def test_rerun_skips_finished_videos_and_redoes_changed_ones(tmp_path):
    shutil.copy(CLIP, tmp_path / "a.mp4")
    out = tmp_path / "out"
    jobs = collect_jobs([tmp_path / "a.mp4", tmp_path / "gone.mp4"])
    first = run_batch(jobs, out)
    stamp = (out / "a.parquet").stat().st_mtime_ns
    again = run_batch(jobs, out)
    assert again.skipped == ["a"] and [r.video for r in again.failed] == ["gone"]  # failures are retried
    assert (out / "a.parquet").stat().st_mtime_ns == stamp
    assert read_manifest(out)["a"] == first.rows[0]
    assert run_batch(jobs, out, fps=12).skipped == []  # other settings: redo
    assert AUSeries.load(out / "a.parquet").n_frames == 24
    os.utime(tmp_path / "a.mp4", ns=(1, 1))  # the input changed: redo
    assert run_batch(jobs, out, fps=12).skipped == []
    assert run_batch(jobs, out, fps=12).skipped == ["a"]
    assert run_batch(jobs, out, fps=12, force=True).skipped == []


def test_a_missing_or_corrupt_series_is_extracted_again_with_a_warning(tmp_path, caplog):
    for name in ("a", "b"):
        shutil.copy(CLIP, tmp_path / f"{name}.mp4")
    (tmp_path / "b.mp4").write_bytes((tmp_path / "b.mp4").read_bytes() + b"\0")  # another source hash
    out = tmp_path / "out"
    jobs = collect_jobs([tmp_path / "a.mp4", tmp_path / "b.mp4"])
    first = run_batch(jobs, out)
    a_series, good = out / "a.parquet", (out / "a.parquet").read_bytes()
    short = AUSeries.load(a_series)
    short.values, short.mask = short.values[:10], short.mask[:10]
    damage = {
        "garbage": lambda: a_series.write_text("garbage\n"),
        "truncated": lambda: a_series.write_bytes(good[: len(good) // 2]),
        "missing": lambda: a_series.unlink(),
        "plain parquet": lambda: short.to_frame().to_parquet(a_series),  # no causalex metadata
        "fewer frames": lambda: short.save(a_series),
        "other video's series": lambda: shutil.copy(out / "b.parquet", a_series),
    }
    for what, spoil in damage.items():
        spoil()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="causalex.extract"):
            report = run_batch(jobs, out)
        assert report.skipped == ["b"], what
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1 and str(a_series) in warnings[0], what
        assert warnings[0].endswith("; extracting a again"), what
        assert AUSeries.load(a_series).n_frames == 48 and read_manifest(out)["a"].status == "ok", what
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="causalex.extract"):
        assert run_batch(jobs, out).skipped == ["a", "b"]  # intact again: skipped without a word
    assert not caplog.records
    assert read_manifest(out)["a"].sha256 == first.rows[0].sha256


def test_a_list_file_that_is_not_utf8_is_an_input_error(tmp_path):
    bad = tmp_path / "badlist.txt"
    bad.write_bytes(b"\xff\xfe\n")
    with pytest.raises(InputError, match=r"badlist\.txt: not a UTF-8 text file \(byte 0xff at offset 0\)"):
        collect_jobs([bad])
    (tmp_path / "good.lst").write_text(f"# clips\n{CLIP}\n\n", encoding="utf-8")
    assert [j.video for j in collect_jobs([tmp_path / "good.lst"])] == [CLIP.stem]


def test_a_killed_run_loses_nothing_finished(tmp_path):
    for name in ("a", "b"):
        shutil.copy(CLIP, tmp_path / f"{name}.mp4")
    out = tmp_path / "out"
    jobs = collect_jobs([tmp_path / "a.mp4", tmp_path / "b.mp4"])

    def kill_during_b(video, done, total):
        if video == "b" and done > 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batch(jobs, out, on_frames=kill_during_b)
    assert list(read_manifest(out)) == ["a"] and not (out / "b.parquet").exists()
    assert _leftovers(out) == []
    (out / ".b.parquet.x1y2z3.parquet").write_bytes(b"half")  # what a SIGKILL during a save leaves
    resumed = run_batch(jobs, out)
    assert resumed.skipped == ["a"] and [r.status for r in resumed.rows] == ["ok", "ok"]
    assert _leftovers(out) == []


def test_a_video_that_breaks_on_rerun_loses_its_stale_series(tmp_path):
    video = tmp_path / "a.mp4"
    shutil.copy(CLIP, video)
    out = tmp_path / "out"
    run_batch(collect_jobs([video]), out)
    video.write_text("overwritten by mistake")
    report = run_batch(collect_jobs([video]), out)
    assert report.rows[0].status == "failed" and not (out / "a.parquet").exists()


def test_unusable_output_folder(tmp_path):
    jobs = collect_jobs([CLIP])
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="output path exists and is not a folder"):
        run_batch(jobs, tmp_path / "file")
    with pytest.raises(InputError, match="cannot create output folder"):
        run_batch(jobs, tmp_path / "file" / "sub")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(InputError, match="not writable"):
            run_batch(jobs, locked)


def test_unknown_engine_and_backend(tmp_path):
    with pytest.raises(InputError, match="unknown engine 'spark'"):
        run_batch([], tmp_path, engine="spark")
    with pytest.raises(InputError, match="unknown extractor backend"):
        run_batch([], tmp_path, backend="openface")


@pytest.mark.slow  # two spawned worker processes each load the 100 MB landmark model
def test_two_worker_processes_give_the_same_outputs(tmp_path):
    for name in ("a", "b"):
        shutil.copy(CLIP, tmp_path / f"{name}.mp4")
    (tmp_path / "c.mp4").write_text("broken")
    jobs = collect_jobs([tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "c.mp4"])
    progress: dict[str, int] = {}
    pooled = run_batch(jobs, tmp_path / "pool", workers=2, on_frames=lambda v, d, t: progress.__setitem__(v, d))
    single = run_batch(jobs[:1], tmp_path / "single")
    assert [r.status for r in pooled.rows] == ["ok", "ok", "failed"]
    assert progress == {"a": 48, "b": 48}
    a_pool, a_single = AUSeries.load(tmp_path / "pool" / "a.parquet"), AUSeries.load(tmp_path / "single" / "a.parquet")
    np.testing.assert_allclose(a_pool.values, a_single.values, atol=1e-3)
    assert list(read_manifest(tmp_path / "pool")) == ["a", "b", "c"]


def test_output_folder_is_readable_as_series_inputs(inputs, tmp_path):
    pytest.importorskip("causalex.readers.pyfeat")  # the CSV sniffing of load_series_inputs needs it
    from causalex.readers import load_series_inputs

    out = tmp_path / "out"
    run_batch(collect_jobs([inputs / "good.mp4"]), out)
    loaded = load_series_inputs([out])  # manifest.csv is not mistaken for a series
    assert [s.video for s in loaded] == ["good"]
