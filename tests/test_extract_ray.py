"""``--engine ray``: the same per-video function as Ray tasks on a local Ray instance, same outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from causalex.extract import collect_jobs, read_manifest, run_batch
from causalex.series import AUSeries

ray = pytest.importorskip("ray")
DATA = Path(__file__).parent / "data" / "extract"


@pytest.mark.slow  # starting a local Ray instance takes ~10-30 s
def test_ray_engine_writes_the_same_series_and_manifest(tmp_path):
    shutil.copy(DATA / "wolfgang_48f_320x180.mp4", tmp_path / "a.mp4")
    shutil.copy(DATA / "face_then_noface_40f.mp4", tmp_path / "b.mp4")
    (tmp_path / "c.mp4").write_text("not a video")
    jobs = collect_jobs([tmp_path / "a.mp4", tmp_path / "b.mp4", tmp_path / "c.mp4"])
    seen = []
    report = run_batch(jobs, tmp_path / "ray", engine="ray", workers=2, on_video=lambda row: seen.append(row.video))
    assert not ray.is_initialized()  # the instance it started is shut down again
    local = run_batch(jobs, tmp_path / "local")
    assert sorted(seen) == ["a", "b", "c"]
    assert [(r.video, r.status, r.frames, r.valid_frames, r.sha256) for r in report.rows] == \
        [(r.video, r.status, r.frames, r.valid_frames, r.sha256) for r in local.rows]
    assert list(read_manifest(tmp_path / "ray")) == ["a", "b", "c"]
    for video in ("a", "b"):
        by_ray = AUSeries.load(tmp_path / "ray" / f"{video}.parquet")
        here = AUSeries.load(tmp_path / "local" / f"{video}.parquet")
        np.testing.assert_array_equal(by_ray.mask, here.mask)
        np.testing.assert_allclose(by_ray.values, here.values, atol=1e-3)
    assert run_batch(jobs, tmp_path / "ray", engine="ray", workers=2).skipped == ["a", "b"]  # resume works too
