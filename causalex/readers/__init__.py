"""Read AU series from any supported file: our Parquet series, OpenFace 2.x CSV, py-feat Fex CSV.

`load_series_inputs` accepts files and folders (mixed), which is what every CLI command that takes
AU series uses.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Iterable

from causalex.errors import InputError, input_error
from causalex.rates import fps_problem
from causalex.series import SERIES_SUFFIX, AUSeries

log = logging.getLogger(__name__)

SERIES_FILE_SUFFIXES = (SERIES_SUFFIX, ".csv")


def sniff_csv_kind(path: str | os.PathLike) -> str:
    """Return ``openface`` or ``pyfeat`` from a CSV's header line.

    Raises:
        InputError: if the header matches neither tool's output.
    """
    from causalex.readers.openface import is_openface_header
    from causalex.readers.pyfeat import is_pyfeat_header

    try:
        with open(path, encoding="utf-8-sig") as fh:
            header = fh.readline()
    except UnicodeDecodeError:
        raise input_error(path, "not a UTF-8 text CSV file") from None
    cols = [c.strip() for c in header.split(",")]
    if is_openface_header(cols):
        return "openface"
    if is_pyfeat_header(cols):
        return "pyfeat"
    raise input_error(path, "CSV has no AU columns: expected an OpenFace 2.x (AUxx_r) or py-feat Fex (AUxx) output")


def read_series(path: str | os.PathLike, fps: float | None = None) -> AUSeries:
    """Read one AU series file of any supported kind (dispatch on suffix and CSV header).

    Args:
        path: ``.parquet`` (causalex series) or ``.csv`` (OpenFace 2.x / py-feat Fex).
        fps: frame rate for CSVs that do not carry one (required for py-feat Fex files).

    Raises:
        InputError: missing file, unknown kind, or any reader error.
    """
    path = Path(path)
    if fps is not None and (problem := fps_problem(fps)):
        raise InputError(f"--fps: {problem}")
    if not path.exists():
        raise input_error(path, "AU series file does not exist")
    series = _read_any(path, fps)
    if problem := fps_problem(series.fps):  # e.g. a series written with a wrong rate
        raise input_error(path, f"frame rate: {problem}; pass the frame rate (--fps)")
    return series


def _read_any(path: Path, fps: float | None) -> AUSeries:
    if path.suffix == SERIES_SUFFIX:
        return AUSeries.load(path)
    if path.suffix.lower() != ".csv":
        raise input_error(path, f"unknown AU series file type {path.suffix!r} (expected .parquet or .csv)")
    kind = sniff_csv_kind(path)
    if kind == "openface":
        from causalex.readers.openface import read_openface_csv

        return read_openface_csv(path, fps=fps)
    from causalex.readers.pyfeat import read_pyfeat_csv

    return read_pyfeat_csv(path, fps=fps)


_TRACKER_COLUMNS = {"frame", "timestamp", "success", "confidence", "face_id", "frame_id"}


def _log_skipped(path: Path, reason: Exception) -> None:
    """Say why a folder's CSV is not read as a series: a warning when it looks like a broken tracker output
    (empty, or tracker columns without AU columns), else at info level (labels.csv, manifest.csv, ...)."""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            header = {c.strip().lower() for c in fh.readline().split(",")}
    except OSError:
        header = set()
    if path.stat().st_size == 0 or header & _TRACKER_COLUMNS:
        log.warning("skipping %s: %s", path, str(reason).removeprefix(f"{path}: ") if path.stat().st_size else
                    "empty file")
    else:
        log.info("skipping %s: not a series file (AU or region)", path)


def collect_series_files(inputs: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand files and folders into the sorted list of AU series files they hold.

    A folder contributes its ``*.parquet`` and ``*.csv`` files (not recursive), except
    ``labels.csv``/``predictions.csv``-style files whose header has no AU columns (logged; a warning when
    a skipped CSV is empty or looks like a tracker output without AU columns, e.g. OpenFace run without
    ``-aus``).

    Raises:
        InputError: a path that does not exist, or a folder with no series file.
    """
    out: list[Path] = []
    for item in inputs:
        p = Path(item)
        if not p.exists():
            raise input_error(p, "path does not exist")
        if p.is_dir():
            found = []
            for f in sorted(p.iterdir()):
                if not f.is_file() or f.suffix.lower() not in SERIES_FILE_SUFFIXES or f.name.startswith("."):
                    continue
                if f.suffix.lower() == ".csv":
                    try:
                        sniff_csv_kind(f)
                    except ValueError as exc:  # labels.csv, manifest.csv, ...: not a series
                        _log_skipped(f, exc)
                        continue
                found.append(f)
            if not found:
                raise input_error(p, "folder holds no AU series (.parquet, OpenFace or py-feat .csv)"
                                     + _frame_folder_hint(p))
            out.extend(found)
        else:
            out.append(p)
    return out


def _frame_folder_hint(folder: Path) -> str:
    """For a folder of frame images, how to turn it into an AU series (else "")."""
    from causalex.extract.frames import IMAGE_SUFFIXES  # only on this error path: extraction imports are heavy

    if any(f.suffix.lower() in IMAGE_SUFFIXES for f in folder.iterdir() if f.is_file()):
        return (f"; it holds frame images: extract them first (causalex extract {folder} --folder-fps FPS "
                "-o series/)")
    return ""


def load_series_inputs(inputs: Iterable[str | os.PathLike], fps: float | None = None) -> list[AUSeries]:
    """Load every AU series found in ``inputs`` (files and folders).

    Raises:
        InputError: as `collect_series_files` and `read_series`, or two series with the same video id.
    """
    series = [read_series(p, fps=fps) for p in collect_series_files(inputs)]
    seen: dict[str, str] = {}
    for s in series:
        if s.video in seen:
            raise input_error(s.meta.get("file", s.video), f"video id {s.video!r} appears twice (also in {seen[s.video]})")
        seen[s.video] = s.meta.get("file", s.video)
    log.info("loaded %d series (%s)", len(series), ", ".join(sorted({s.node_kind for s in series})) or "none")
    return series


def with_label_subjects(series: list[AUSeries], videos: dict[str, str]) -> list[AUSeries]:
    """Series whose subject is empty take the one the labels file gives their video
    (`causalex.labels.LabelsFile.videos`, expression-free videos included); others are unchanged."""
    from dataclasses import replace

    return [replace(s, subject=videos[s.video]) if not s.subject and videos.get(s.video) else s for s in series]
