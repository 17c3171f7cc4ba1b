"""`causalex extract --workers 2` under Ctrl-C, kill -9 of the parent, and a second run into the same folder.

Each test runs the real command in its own process group (as a terminal would), on two broken videos
followed by hard links of a small clip, interrupts it once the first video is extracted (the workers
are then in the middle of others), and kills whatever is left of the group when it ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from causalex.extract import collect_jobs, read_manifest, run_batch
from causalex.extract.lock import LOCK_NAME
from causalex_cli.main import app

CLIP = Path(__file__).parent / "data" / "extract" / "wolfgang_48f_320x180.mp4"
N_VIDEOS = 30  # about 15 s of work for two workers: far more than a test waits for


def _start(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    videos = tmp_path / "videos"
    videos.mkdir()
    for i in range(2):
        (videos / f"a_broken{i}.mp4").write_text("not a video")
    for i in range(N_VIDEOS):
        os.link(CLIP, videos / f"v{i:02d}.mp4")  # hard links: distinct videos, no copies
    out = tmp_path / "out"
    log = open(tmp_path / "stderr.txt", "w")
    proc = subprocess.Popen([sys.executable, "-m", "causalex_cli.main", "extract", str(videos), "-o", str(out),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    log.close()
    return proc, out


def _series(out: Path) -> set[str]:
    return {p.stem for p in out.glob("*.parquet") if not p.name.startswith(".")}


def _rows(out: Path) -> dict:
    try:
        return read_manifest(out)
    except OSError:
        return {}


def _wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture()
def started(tmp_path):
    proc, out = _start(tmp_path)
    try:
        _wait_for(lambda: any(r.status == "ok" for r in _rows(out).values()) or proc.poll() is not None, 120,
                  "the first extracted video")
        assert proc.poll() is None, (tmp_path / "stderr.txt").read_text()
        yield proc, out, tmp_path
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


@pytest.mark.slow  # spawned workers load the landmark model: ~5-15 s on a busy 2-core machine
def test_ctrl_c_stops_the_workers_at_once_and_keeps_a_manifest_of_what_finished(started):
    proc, out, tmp_path = started
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
    assert proc.wait(timeout=30) == 130
    _wait_for(lambda: not _group_alive(proc.pid), 10, "the worker processes to end")
    done = _series(out)
    time.sleep(0.5)
    assert _series(out) == done  # nothing is written after the command has returned
    rows = read_manifest(out)
    assert {v for v, r in rows.items() if r.status == "ok"} == done
    assert {v for v, r in rows.items() if r.status != "ok"} <= {"a_broken0", "a_broken1"} and "a_broken0" in rows
    assert len(done) < N_VIDEOS - 4  # it stopped: no further videos were started
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []  # no temporary or lock file
    stderr = (tmp_path / "stderr.txt").read_text()
    assert f"interrupted: {len(rows)} videos finished in this run are recorded in" in " ".join(stderr.split())


@pytest.mark.slow
def test_kill_9_of_the_parent_leaves_no_worker_behind(started):
    proc, out, _ = started
    res = CliRunner().invoke(app, ["extract", str(CLIP), "-o", str(out)])  # a second run into the same folder
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
    assert f"{out}: another causalex extract (pid {proc.pid}) is writing to this folder" in " ".join(res.stderr.split())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    _wait_for(lambda: not _group_alive(proc.pid), 10, "the orphaned workers to end")
    done = _series(out)
    time.sleep(0.5)
    assert _series(out) == done and len(done) < N_VIDEOS - 4
    recorded = {v for v, r in read_manifest(out).items() if r.status == "ok"}
    assert recorded <= done and len(done - recorded) <= 2  # at most the videos in flight in the last 0.2 s
    assert (out / LOCK_NAME).exists()  # left by the killed run: it must not block the next one
    resumed = run_batch(collect_jobs([out.parent / "videos" / "a_broken0.mp4"]), out)
    assert [r.status for r in resumed.rows] == ["failed"]
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []
