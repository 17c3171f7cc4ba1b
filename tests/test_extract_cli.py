"""`causalex extract` on the command line: outputs, exit codes, resume, frame folders."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
from typer.testing import CliRunner

from causalex.extract import read_manifest
from causalex.series import AUSeries
from causalex_cli.main import app

DATA = Path(__file__).parent / "data" / "extract"
CLIP = DATA / "wolfgang_48f_320x180.mp4"
runner = CliRunner()


def test_extract_help_ends_with_an_example():
    res = runner.invoke(app, ["extract", "--help"])
    assert res.exit_code == 0 and "Example: causalex extract" in res.stdout


def test_extract_videos_then_rerun_skips_them(tmp_path):
    shutil.copy(CLIP, tmp_path / "clip.mp4")
    out = tmp_path / "series"
    res = runner.invoke(app, ["extract", str(tmp_path / "clip.mp4"), "-o", str(out), "--fps", "12"])
    assert res.exit_code == 0, res.output
    assert "1 extracted, 0 already done, 0 failed" in res.stdout
    series = AUSeries.load(out / "clip.parquet")
    assert series.n_frames == 24 and series.source == "flow"
    res = runner.invoke(app, ["extract", str(tmp_path / "clip.mp4"), "-o", str(out), "--fps", "12"])
    assert res.exit_code == 0 and "0 extracted, 1 already done, 0 failed" in res.stdout


def test_bad_videos_are_reported_with_exit_code_2_and_the_good_one_is_kept(tmp_path):
    shutil.copy(CLIP, tmp_path / "good.mp4")
    (tmp_path / "broken.mp4").write_text("no video here")
    out = tmp_path / "out"
    res = runner.invoke(app, ["extract", str(tmp_path / "good.mp4"), str(tmp_path / "broken.mp4"),
                              str(tmp_path / "missing.mp4"), "-o", str(out)])
    assert res.exit_code == 2
    assert "1 extracted, 0 already done, 2 failed" in res.stdout
    assert "broken.mp4: cannot be opened as a video" in res.stderr
    assert "missing.mp4: path does not exist" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["good.parquet", "manifest.csv"]
    assert [r.status for r in read_manifest(out).values()] == ["ok", "failed", "failed"]


def test_a_list_file_that_is_not_utf8_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "badlist.txt").write_bytes(b"\xff\xfe\n")
    out = tmp_path / "out"
    res = runner.invoke(app, ["extract", str(tmp_path / "badlist.txt"), "-o", str(out)])
    assert res.exit_code == 2 and "badlist.txt: not a UTF-8 text file" in res.stderr
    assert "UnicodeDecodeError" not in res.output and len(res.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_rerun_redoes_a_corrupt_series_instead_of_skipping_it(tmp_path):
    shutil.copy(CLIP, tmp_path / "clip.mp4")
    out = tmp_path / "series"
    args = ["extract", str(tmp_path / "clip.mp4"), "-o", str(out), "--fps", "12"]
    assert runner.invoke(app, args).exit_code == 0
    (out / "clip.parquet").write_text("garbage\n")
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and "1 extracted, 0 already done, 0 failed" in res.stdout
    assert "clip.parquet: not a readable Parquet file" in res.stderr and "extracting clip again" in res.stderr
    assert AUSeries.load(out / "clip.parquet").n_frames == 24


def test_only_missing_inputs_fail_before_any_output(tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["extract", str(tmp_path / "missing.mp4"), str(tmp_path / "gone.mp4"), "-o", str(out)])
    assert res.exit_code == 2 and "missing.mp4: does not exist (nor does any other input)" in res.stderr
    assert not out.exists()


def test_frame_folders_need_their_frame_rate(tmp_path):
    frames = tmp_path / "s01_video"
    frames.mkdir()
    cap = cv2.VideoCapture(str(CLIP))
    for i in range(1, 9):
        cv2.imwrite(str(frames / f"img{i}.jpg"), cap.read()[1])
    out = tmp_path / "out"
    res = runner.invoke(app, ["extract", str(frames), "-o", str(out)])
    assert res.exit_code == 2 and "pass --folder-fps" in res.stderr and not out.exists()
    res = runner.invoke(app, ["extract", str(frames), "-o", str(out), "--folder-fps", "24"])
    assert res.exit_code == 0, res.output
    assert AUSeries.load(out / "s01_video.parquet").n_frames == 8


def test_unusable_output_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "taken").write_text("a file")
    res = runner.invoke(app, ["extract", str(CLIP), "-o", str(tmp_path / "taken")])
    assert res.exit_code == 2 and "output path exists and is not a folder" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_output_named_like_a_file_is_refused_before_any_work(tmp_path):
    res = runner.invoke(app, ["extract", str(CLIP), "-o", str(tmp_path / "series.csv")])
    assert res.exit_code == 2
    assert "series.csv" in res.output and "output FOLDER" in res.output
    assert not (tmp_path / "series.csv").exists()


def test_unavailable_backend_fails_up_front(tmp_path, monkeypatch):
    from causalex.extract import pyfeat

    monkeypatch.setattr(pyfeat, "pyfeat_resource_dir", lambda: None)  # as if py-feat were not installed
    res = runner.invoke(app, ["extract", str(CLIP), "-o", str(tmp_path / "out"), "--backend", "pyfeat"])
    assert res.exit_code == 2 and "pip install 'py-feat>=2.1'" in res.stderr
    assert not (tmp_path / "out").exists()


def test_device_defaults_to_auto_which_resolves_to_what_torch_sees(tmp_path, monkeypatch):
    import torch

    import causalex.extract as extract_pkg
    from causalex.extract import BatchReport

    seen = []

    def fake_run_batch(jobs, out, **kwargs):  # records what the command would run, extracts nothing
        seen.append(kwargs["options"])
        return BatchReport(manifest=Path(out) / "manifest.csv")

    monkeypatch.setattr(extract_pkg, "run_batch", fake_run_batch)
    args = ["extract", str(CLIP), "-o", str(tmp_path / "out"), "--backend", "pyfeat"]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert runner.invoke(app, args).exit_code == 0 and seen[-1] == {"device": "cpu"}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert runner.invoke(app, args).exit_code == 0 and seen[-1] == {"device": "cuda"}
    assert runner.invoke(app, [*args, "--device", "cpu"]).exit_code == 0 and seen[-1] == {"device": "cpu"}
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    res = runner.invoke(app, [*args, "--device", "cuda"])
    assert res.exit_code == 2 and "no CUDA GPU is available" in res.stderr and len(seen) == 3
    res = runner.invoke(app, ["extract", "--help"], env={"COLUMNS": "200"})
    assert "[default: auto]" in res.stdout and "<auto|cpu|cuda>" in res.stdout
