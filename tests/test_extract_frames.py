"""Frame sources, input discovery (videos, folders, lists, frame folders) and the manifest file."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from causalex.errors import InputError
from causalex.extract import ArraySource, collect_jobs, open_source
from causalex.extract.frames import frame_stride, numbered_images
from causalex.extract.manifest import ManifestRow, input_fingerprint, input_sha256, read_manifest, write_manifest

DATA = Path(__file__).parent / "data" / "extract"
CLIP = DATA / "wolfgang_48f_320x180.mp4"


def _write_frames(folder: Path, names: list[str]) -> None:
    """One gray frame per name whose brightness is its position in ``names``."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        cv2.imwrite(str(folder / name), np.full((8, 8), 10 * i, np.uint8))


def test_video_source_streams_gray_and_colour_frames():
    src = open_source(CLIP)
    assert src.name == "wolfgang_48f_320x180" and src.kind == "video" and src.stride == 1
    assert src.fps == pytest.approx(23.976, abs=1e-3) and src.n_frames_hint == 48
    first = next(iter(src.frames()))
    assert first.shape == (180, 320) and first.dtype == np.uint8
    assert next(iter(src.frames(color=True))).shape == (180, 320, 3)
    assert sum(1 for _ in src.frames()) == 48


def test_sub_sampling_stride():
    assert frame_stride(200, 50) == 4 and frame_stride(200, 30) == 7 and frame_stride(30, None) == 1
    assert frame_stride(30, 60) == 1
    src = open_source(CLIP, fps=8)
    assert src.stride == 3 and src.n_frames_hint == 16 and sum(1 for _ in src.frames()) == 16


def test_frame_folder_is_read_in_numeric_order(tmp_path):
    names = ["img1.jpg", "img2.jpg", "img10.jpg", "img11.jpg", "img100.jpg"]
    _write_frames(tmp_path / "s15_0101", names)
    assert [f.name for f in numbered_images(tmp_path / "s15_0101")] == names
    src = open_source(tmp_path / "s15_0101", folder_fps=200, fps=100)
    assert src.kind == "frame_folder" and src.name == "s15_0101" and src.stride == 2 and src.fps == 100
    brightness = [int(f.mean()) for f in src.frames()]
    assert brightness == [0, 20, 40]  # img1, img10, img100 (every 2nd in numeric order)


def test_frame_folder_errors(tmp_path):
    _write_frames(tmp_path / "a", ["001.png", "002.png"])
    with pytest.raises(InputError, match="--folder-fps"):
        open_source(tmp_path / "a")
    _write_frames(tmp_path / "b", ["img001.png", "frame1.jpg"])
    with pytest.raises(InputError, match="two frame images have number 1"):
        open_source(tmp_path / "b", folder_fps=30)
    _write_frames(tmp_path / "c", ["cover.png"])
    with pytest.raises(InputError, match="cover.png: frame image name has no frame number"):
        open_source(tmp_path / "c", folder_fps=30)


def test_unreadable_frame_image_is_yielded_as_none(tmp_path):
    _write_frames(tmp_path, ["f1.png", "f3.png"])
    (tmp_path / "f2.png").write_bytes(b"not a png")
    frames = list(open_source(tmp_path, folder_fps=25).frames())
    assert frames[0] is not None and frames[1] is None and frames[2] is not None


def test_bad_video_files(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        open_source(tmp_path / "nope.mp4")
    (tmp_path / "notes.mp4").write_text("this is text")
    with pytest.raises(InputError, match="notes.mp4: cannot be opened as a video"):
        open_source(tmp_path / "notes.mp4")
    empty = tmp_path / "empty.avi"
    cv2.VideoWriter(str(empty), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48)).release()
    with pytest.raises(InputError, match="empty.avi: video has no decodable frames"):
        list(open_source(empty).frames())


def test_array_source_converts_colour():
    frames = [np.zeros((4, 6, 3), np.uint8), None, np.zeros((4, 6), np.uint8)]
    src = ArraySource(frames, fps=10, name="cam")
    assert src.n_frames_hint == 3
    assert [None if f is None else f.shape for f in src.frames()] == [(4, 6), None, (4, 6)]
    assert [None if f is None else f.shape for f in src.frames(color=True)] == [(4, 6, 3), None, (4, 6, 3)]


def test_collect_jobs_expands_folders_lists_and_frame_folders(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(CLIP, videos / "a.mp4")
    shutil.copy(CLIP, videos / "b.MOV")
    (videos / "notes.txt").write_text("not a video")  # not a video suffix: ignored inside a folder
    _write_frames(tmp_path / "rawpic" / "s15" / "15_0101", ["img1.jpg", "img2.jpg"])
    _write_frames(tmp_path / "rawpic" / "s16" / "16_0102", ["img1.jpg"])
    (tmp_path / "list.txt").write_text("# my videos\nvideos/a.mp4\nmissing.mp4\n")
    jobs = collect_jobs([videos, tmp_path / "rawpic", tmp_path / "list.txt", tmp_path / "gone"], folder_fps=30)
    got = [(j.video, j.kind, j.folder_fps) for j in jobs]
    assert got == [("a", "video", None), ("b", "video", None), ("15_0101", "frame_folder", 30),
                   ("16_0102", "frame_folder", 30), ("missing", "missing", None), ("gone", "missing", None)]
    assert all(Path(j.path).is_absolute() for j in jobs)
    (tmp_path / "empty").mkdir()
    assert [j.kind for j in collect_jobs([tmp_path / "empty"])] == ["empty_folder"]


def test_collect_jobs_disambiguates_equal_names(tmp_path):
    for sub in ("x", "y"):
        (tmp_path / sub).mkdir()
        shutil.copy(CLIP, tmp_path / sub / "clip.mp4")
    assert [j.video for j in collect_jobs([tmp_path])] == ["x_clip", "y_clip"]
    (tmp_path / "z" / "x").mkdir(parents=True)
    shutil.copy(CLIP, tmp_path / "z" / "x" / "clip.mp4")
    with pytest.raises(InputError, match="video id 'x_clip' is also used by"):
        collect_jobs([tmp_path])


def test_symlinked_frame_folders_keep_the_link_name(tmp_path):
    # CAS(ME)^3 keeps frames in part_A/spNO.1/a/color/: README links each as frames/spNO.1_a
    for subject, take in (("spNO.1", "a"), ("spNO.2", "a"), ("spNO.2", "b")):
        _write_frames(tmp_path / "part_A" / subject / take / "color", ["1.jpg", "2.jpg"])
        link = tmp_path / "frames" / f"{subject}_{take}"
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(tmp_path / "part_A" / subject / take / "color", target_is_directory=True)
    jobs = collect_jobs([tmp_path / "frames"], folder_fps=30)
    assert [j.video for j in jobs] == ["spNO.1_a", "spNO.2_a", "spNO.2_b"]
    again = collect_jobs([tmp_path / "frames", tmp_path / "frames" / "spNO.1_a"], folder_fps=30)
    assert [j.video for j in again] == ["spNO.1_a", "spNO.2_a", "spNO.2_b"]  # the same folder twice counts once


def test_manifest_round_trip_and_hashes(tmp_path):
    rows = [ManifestRow(video="a", path="/v/a.mp4", kind="video", status="ok", frames=10, valid_frames=9, fps=30.0,
                        error=""),
            ManifestRow(video="b", path="/v/b,c.mp4", status="failed", error='/v/b,c.mp4: "odd", name')]
    write_manifest(tmp_path, rows)
    back = read_manifest(tmp_path)
    assert list(back) == ["a", "b"] and back["a"] == rows[0] and back["b"] == rows[1]
    assert read_manifest(tmp_path / "none") == {}
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.csv").write_text("x,y\n1,2\n")
    with pytest.raises(InputError, match="not a causalex extraction manifest"):
        read_manifest(tmp_path / "bad")
    _write_frames(tmp_path / "frames", ["1.png", "2.png"])
    h1, f1 = input_sha256(tmp_path / "frames"), input_fingerprint(tmp_path / "frames")
    _write_frames(tmp_path / "frames", ["1.png", "2.png", "3.png"])
    assert input_sha256(tmp_path / "frames") != h1 and input_fingerprint(tmp_path / "frames") != f1
    assert len(input_sha256(CLIP)) == 64


def test_asking_for_more_frames_than_the_source_has_is_warned_once(caplog, monkeypatch):
    import causalex.extract.frames as frames

    monkeypatch.setattr(frames, "_WARNED_RATES", set())
    with caplog.at_level("WARNING", logger="causalex"):
        assert frame_stride(30, 30) == 1
    assert caplog.text == ""
    with caplog.at_level("WARNING", logger="causalex"):
        assert frame_stride(30, 60) == 1 and frame_stride(30, 60) == 1
    assert caplog.text.count("--fps 60 is above the source's 30 fps") == 1
