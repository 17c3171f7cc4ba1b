"""The manifest during and after a run: appended per video, compacted at the end, torn rows ignored; the folder lock."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from causalex.errors import InputError
from causalex.extract import collect_jobs, read_manifest, run_batch
from causalex.extract.lock import LOCK_NAME, output_lock
from causalex.extract.manifest import MANIFEST_NAME


def _missing_jobs(tmp_path, n):
    return collect_jobs([tmp_path / f"gone{i}.mp4" for i in range(n)])


def test_each_video_is_appended_to_the_manifest_not_rewritten(tmp_path):
    out = tmp_path / "out"
    jobs = _missing_jobs(tmp_path, 6)
    seen = []

    def on_video(row):
        path = out / MANIFEST_NAME
        seen.append((os.stat(path).st_ino, list(read_manifest(out))))

    run_batch(jobs, out, on_video=on_video)
    assert len({ino for ino, _ in seen}) == 1  # the same file grows: no whole rewrite per video
    assert [videos for _, videos in seen] == [[j.video for j in jobs[:i + 1]] for i in range(6)]


def test_the_final_manifest_has_one_row_per_video(tmp_path):
    out = tmp_path / "out"
    run_batch(_missing_jobs(tmp_path, 3), out)
    report = run_batch(_missing_jobs(tmp_path, 4), out)  # the three failures are retried, one is new
    lines = (out / MANIFEST_NAME).read_text().splitlines()
    assert len(lines) == 1 + 4 and list(read_manifest(out)) == ["gone0", "gone1", "gone2", "gone3"]
    assert [r.status for r in report.rows] == ["failed"] * 4


def test_a_row_cut_off_by_a_kill_is_ignored_with_a_warning(tmp_path, caplog):
    out = tmp_path / "out"
    run_batch(_missing_jobs(tmp_path, 2), out)
    with open(out / MANIFEST_NAME, "a", encoding="utf-8") as fh:
        fh.write("gone9,/x/gone9.mp4,missing,fa")  # what a kill in the middle of an append leaves
    with caplog.at_level(logging.WARNING, logger="causalex.extract"):
        rows = read_manifest(out)
    assert list(rows) == ["gone0", "gone1"]
    assert "cut off by a killed run" in caplog.text and MANIFEST_NAME in caplog.text
    run_batch(_missing_jobs(tmp_path, 1), out)  # the next run leaves a clean file
    assert (out / MANIFEST_NAME).read_text().endswith("\n") and list(read_manifest(out)) == ["gone1", "gone0"]


def test_a_second_run_into_a_locked_folder_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with output_lock(out):
        assert (out / LOCK_NAME).read_text().strip() == str(os.getpid())
        with pytest.raises(InputError, match=rf"{out}: another causalex extract \(pid {os.getpid()}\) is writing"):
            run_batch(_missing_jobs(tmp_path, 1), out)
        assert not (out / MANIFEST_NAME).exists()
    assert not (out / LOCK_NAME).exists()  # released and removed
    assert [r.status for r in run_batch(_missing_jobs(tmp_path, 1), out).rows] == ["failed"]


def test_a_lock_file_left_by_a_dead_process_does_not_block(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    code = ("import sys, os; from causalex.extract.lock import output_lock; lock = output_lock(sys.argv[1]); "
            "lock.__enter__(); os._exit(0)")  # exits holding the lock, without releasing it: the file stays
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, timeout=60)
    assert (out / LOCK_NAME).read_text().strip().isdigit()
    assert len(run_batch(_missing_jobs(tmp_path, 2), out).rows) == 2
    assert not (out / LOCK_NAME).exists()
