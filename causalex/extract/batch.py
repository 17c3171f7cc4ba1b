"""Extract many videos: one series file per video, a manifest row after each, resume, parallel workers.

`extract_one` is the per-video function: it never raises for a bad video, it returns a
`ManifestRow` saying what happened. `run_batch` locks the output folder (one run per folder, see
`causalex.extract.lock`), skips videos already finished with the same settings (whose series file
still reads back as the manifest records; a missing or corrupt one is redone), runs the rest in this
process (``workers=1``), in a process pool (`causalex.extract.pool`), or as Ray tasks
(``engine="ray"``, see `causalex.extract.ray_engine`), appends a manifest row after every video (so a
killed run loses nothing that was finished) and rewrites the manifest atomically, one row per video,
when the run ends or is interrupted. Series files are written atomically, so there is never a
half-written one; a video that fails leaves no series file.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import causalex
from causalex.errors import InputError, input_error
from causalex.extract.base import FrameProgress, make_extractor
from causalex.extract.frames import open_source
from causalex.extract.jobs import VideoJob
from causalex.extract.lock import output_lock
from causalex.extract.manifest import (
    MANIFEST_NAME,
    ManifestJournal,
    ManifestRow,
    input_fingerprint,
    input_sha256,
    read_manifest,
    write_manifest,
)
from causalex.series import SERIES_SUFFIX, AUSeries

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")
# on_frames(video, frames_done, frames_total_or_None); on_video(row) after each finished video.
VideoFrameProgress = Callable[[str, int, Optional[int]], None]
VideoDone = Callable[[ManifestRow], None]


@dataclass
class BatchReport:
    """Outcome of `run_batch`.

    Attributes:
        rows: manifest rows of this run's jobs, in job order (skipped ones included).
        skipped: ids of videos already finished by an earlier run.
        manifest: path of the manifest file.
    """

    rows: list[ManifestRow] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    manifest: Path | None = None

    @property
    def failed(self) -> list[ManifestRow]:
        """Rows whose status is not ``ok``."""
        return [r for r in self.rows if r.status != "ok"]


def series_path(out_dir: str | os.PathLike, video: str) -> Path:
    """Where the series of ``video`` goes: ``<out_dir>/<video>.parquet``."""
    return Path(out_dir) / f"{video}{SERIES_SUFFIX}"


def run_signature(backend: str, options: dict[str, Any] | None, fps: float | None) -> tuple[str, str]:
    """``(version, settings)`` strings recorded per video; a finished video is redone when either changes."""
    extractor = make_extractor(backend, **(options or {}))
    version = f"causalex {causalex.__version__}; {backend} {extractor.version}"
    settings = json.dumps({"fps": fps, **extractor.settings()}, sort_keys=True)
    return version, settings


def extract_one(job: VideoJob, out_dir: str | os.PathLike, backend: str = "flow",
                options: dict[str, Any] | None = None, fps: float | None = None,
                progress: FrameProgress | None = None) -> ManifestRow:
    """Extract one video and save ``<out_dir>/<video>.parquet``; never raises for a bad video.

    Returns:
        The manifest row: ``status`` ``ok``, ``failed`` (bad input, with a one-line ``error``) or
        ``error`` (an unexpected exception).
    """
    started = time.perf_counter()
    version, settings = run_signature(backend, options, fps)
    row = ManifestRow(video=job.video, path=job.path, kind=job.kind, backend=backend, version=version,
                      settings=settings)
    out_path = series_path(out_dir, job.video)
    try:
        if job.kind == "missing":
            raise input_error(job.path, "path does not exist")
        if job.kind == "empty_folder":
            raise input_error(job.path, "folder holds no videos and no frame images")
        row.fingerprint = input_fingerprint(job.path)
        source = open_source(job.path, fps=fps, folder_fps=job.folder_fps, name=job.video)
        row.source_fps, row.fps = source.source_fps, source.fps
        row.sha256 = input_sha256(job.path)
        extractor = make_extractor(backend, **(options or {}))
        series = extractor.extract(source, progress=progress)
        series.meta["sha256"] = row.sha256
        series.save(out_path)
        row.status, row.frames, row.valid_frames = "ok", series.n_frames, int(series.mask.sum())
        row.output = out_path.name
    except InputError as exc:
        row.status, row.error = "failed", _one_line(str(exc))
    except Exception as exc:  # a bug or a broken library must not stop the batch
        log.debug("%s: unexpected failure", job.path, exc_info=True)
        row.status, row.error = "error", _one_line(f"{job.path}: {type(exc).__name__}: {exc}")
    if row.status != "ok" and out_path.exists():  # never keep a series that the manifest does not vouch for
        out_path.unlink()
    row.seconds = round(time.perf_counter() - started, 3)
    return row


def _one_line(text: str) -> str:
    return " ".join(text.split())


def output_problem(previous: ManifestRow, path: Path) -> str | None:
    """Why the series file of a video the manifest calls finished cannot be trusted; None if it can.

    The file must read back as an AU series (`AUSeries.load`: series files are small) with the frame
    counts and source hash that the manifest row records.
    """
    try:
        series = AUSeries.load(path)
    except (InputError, OSError) as exc:
        return _one_line(str(exc))
    if series.n_frames != previous.frames or int(series.mask.sum()) != previous.valid_frames:
        return (f"{path}: holds {series.n_frames} frames ({int(series.mask.sum())} valid), the manifest says "
                f"{previous.frames} ({previous.valid_frames} valid)")
    if previous.sha256 and series.meta.get("sha256") != previous.sha256:
        return f"{path}: was extracted from another source than the manifest records (sha256 differs)"
    return None


def is_finished(previous: ManifestRow | None, job: VideoJob, out_dir: Path, version: str, settings: str) -> bool:
    """True if an earlier run extracted ``job`` with the same version and settings, nothing changed, and
    its series file is intact (a missing or corrupt one is logged as a warning and the video redone)."""
    if previous is None or previous.status != "ok" or previous.path != job.path:
        return False
    if previous.version != version or previous.settings != settings:
        return False
    try:
        if previous.fingerprint != input_fingerprint(job.path):
            return False
    except OSError:
        return False
    problem = output_problem(previous, series_path(out_dir, job.video))
    if problem is not None:
        log.warning("%s; extracting %s again", problem, job.video)
        return False
    return True


def prepare_output_dir(out_dir: str | os.PathLike) -> Path:
    """Create ``out_dir`` if needed and check it is writable.

    Raises:
        InputError: the folder cannot be created or written.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise input_error(out, "output path exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise input_error(out, f"cannot create output folder ({exc.strerror})") from exc
    probe = out / f".causalex-write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise input_error(out, f"output folder is not writable ({exc.strerror})") from exc
    return out


def remove_temporary_files(out: Path) -> None:
    """Remove the temporary files (`causalex.fileio.atomic_write` names) of killed or interrupted runs;
    call it only while holding the folder's lock, never while another run may be writing."""
    for stale in [*out.glob(f".*{SERIES_SUFFIX}"), *out.glob(f".{MANIFEST_NAME}.*")]:
        stale.unlink(missing_ok=True)


def run_batch(jobs: Iterable[VideoJob], out_dir: str | os.PathLike, backend: str = "flow",
              options: dict[str, Any] | None = None, fps: float | None = None, workers: int = 1,
              engine: str = "local", force: bool = False, on_frames: VideoFrameProgress | None = None,
              on_video: VideoDone | None = None, ray_address: str | None = None) -> BatchReport:
    """Extract every job into ``out_dir`` (one series per video + ``manifest.csv``), resuming earlier runs.

    Args:
        jobs: videos to extract (see `causalex.extract.jobs.collect_jobs`).
        out_dir: output folder (created if missing).
        backend: extractor name; ``options`` are its keyword options.
        fps: output frame rate (sub-sampling); None keeps every frame.
        workers: parallel processes (local engine) or Ray CPUs for a local Ray instance.
        engine: ``local`` or ``ray`` (extra ``causalex[ray]``).
        force: re-extract videos even if an earlier run finished them.
        on_frames: ``on_frames(video, done, total)`` progress (local engine).
        on_video: ``on_video(row)`` after each video, finished or failed.
        ray_address: Ray cluster address for ``engine="ray"`` (None: start a local instance).

    Raises:
        InputError: unknown backend or engine, backend not usable here (checked before any video),
            unwritable output folder, another run writing to it (see `causalex.extract.lock`).
        KeyboardInterrupt: re-raised after the workers are stopped and the manifest is written.
    """
    if engine not in ENGINES:
        raise input_error(None, f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    jobs = list(jobs)
    extractor = make_extractor(backend, **(options or {}))
    extractor.check()  # fail once, up front, if the backend cannot run here
    out = prepare_output_dir(out_dir)
    with output_lock(out):
        remove_temporary_files(out)
        return _run_locked(jobs, out, backend, options, fps, workers, engine, force, on_frames, on_video,
                           ray_address)


def _run_locked(jobs: list[VideoJob], out: Path, backend: str, options: dict[str, Any] | None, fps: float | None,
                workers: int, engine: str, force: bool, on_frames: VideoFrameProgress | None,
                on_video: VideoDone | None, ray_address: str | None) -> BatchReport:
    """`run_batch` once the output folder is ready and locked."""
    version, settings = run_signature(backend, options, fps)
    manifest = read_manifest(out)
    report = BatchReport(manifest=out / MANIFEST_NAME)
    todo = []
    for job in jobs:
        if not force and is_finished(manifest.get(job.video), job, out, version, settings):
            report.skipped.append(job.video)
        else:
            todo.append(job)
    log.info("%d videos to extract, %d already done", len(todo), len(report.skipped))

    in_run = {job.video for job in jobs}
    earlier = [v for v in manifest if v not in in_run]

    def save_manifest() -> None:
        # rows of earlier runs first, then this run's videos in input order (not completion order)
        write_manifest(out, [manifest[v] for v in earlier] + [manifest[j.video] for j in jobs if j.video in manifest])

    save_manifest()  # a complete file (a row cut off by a killed run dropped) to append to
    journal = ManifestJournal(out)

    def record(row: ManifestRow) -> None:
        manifest[row.video] = row
        journal.append(row)
        if row.status != "ok":
            log.debug("%s: %s", row.video, row.error)
        if on_video is not None:
            on_video(row)

    try:
        if todo and engine == "ray":
            from causalex.extract.ray_engine import run_with_ray

            run_with_ray(todo, out, backend, options, fps, workers, record, address=ray_address)
        elif todo and workers > 1:
            from causalex.extract.pool import run_pool

            run_pool(todo, out, backend, options, fps, workers, record, on_frames)
        else:
            for job in todo:
                progress = None if on_frames is None else (lambda d, t, v=job.video: on_frames(v, d, t))
                record(extract_one(job, out, backend, options, fps, progress))
    finally:  # also on Ctrl-C: one row per video, written atomically, and no temporary file of this run left
        journal.close()
        save_manifest()
        remove_temporary_files(out)
    report.rows = [manifest[j.video] for j in jobs]
    return report
