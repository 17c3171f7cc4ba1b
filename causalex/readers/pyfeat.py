"""py-feat Fex CSV (``Detector.detect(...).to_csv`` / ``detect(save=...)``) -> `AUSeries`.

A Fex CSV has one row per detected face: the face box ``FaceRectX, FaceRectY, FaceRectWidth,
FaceRectHeight, FaceScore``, landmarks, head pose, AU **probabilities** 0..1 named ``AU01`` ...
``AU43``, emotion probabilities, ``input`` (the source file) and ``frame`` (0-based video frame, or
the image counter). Videos also get ``approx_time`` (``MM:SS``) and ``Identity`` columns.

- Several faces in one frame: one row per frame is kept, by default the **largest face box** (ties
  broken by ``FaceScore``), or with ``face="score"`` the highest ``FaceScore``; the rule is stored
  in ``meta['face_rule']``. Frames where no face was found (py-feat writes a row with empty face
  columns) and frames absent from the file are masked.
- Scale: ``probability_0_1``. py-feat has no AU45 (blink); its AU43 (eyes closed) is the closest
  unit and is kept under its own name, so series that need AU45 must select around it.
- Frame rate: a Fex file stores none. Pass ``fps``; without it the rate is inferred from a
  ``timestamp`` column (seconds) or from the whole-second ``approx_time`` column (the frames where
  the second changes give the rate within one frame per span, snapped to a standard rate when one
  fits), else `InputError` asks for ``--fps``.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import numpy as np

from causalex.errors import input_error, require_file
from causalex.readers.openface import fps_from_timestamps, numeric_columns, standard_fps
from causalex.series import AUSeries

log = logging.getLogger(__name__)

PYFEAT_AU_COLUMN = re.compile(r"^AU(\d{1,2})$")
PYFEAT_SCALE = "probability_0_1"
FACE_BOX_COLUMNS = ("FaceRectX", "FaceRectY", "FaceRectWidth", "FaceRectHeight", "FaceScore")
FACE_RULES = {"largest": "largest face box (ties: highest FaceScore)", "score": "highest FaceScore"}
AU45_NOTE = "py-feat has no AU45 (blink); AU43 (eyes closed) is the closest unit"


def is_pyfeat_header(columns: list[str]) -> bool:
    """True when stripped column names look like a py-feat Fex CSV (``AUxx`` and face-box columns)."""
    cols = {c.strip() for c in columns}
    return any(PYFEAT_AU_COLUMN.match(c) for c in cols) and ("FaceScore" in cols or "FaceRectWidth" in cols)


def read_pyfeat_csv(path: str | os.PathLike, fps: float | None = None, video: str | None = None, subject: str = "",
                    face: str = "largest") -> AUSeries:
    """Read a py-feat Fex CSV into an `AUSeries` (rules in the module docstring).

    Args:
        path: the CSV file.
        fps: frame rate of the video; required unless a ``timestamp``/``approx_time`` column lets
            it be inferred.
        video: video id (defaults to the file stem).
        subject: subject id.
        face: which face to keep in frames with several: ``largest`` or ``score``.

    Raises:
        ValueError: unknown ``face`` rule.
        InputError: missing or empty file, no AU columns, non-numeric values (naming the data row),
            bad frame numbers, no way to know the frame rate.
    """
    import pandas as pd

    if face not in FACE_RULES:
        raise ValueError(f"face must be one of {', '.join(FACE_RULES)}, got {face!r}")
    require_file(path, "py-feat CSV")
    if os.path.getsize(path) == 0:
        raise input_error(path, "empty file")
    try:
        df = pd.read_csv(path, skipinitialspace=True)
    except UnicodeDecodeError:
        raise input_error(path, "not a UTF-8 text CSV file") from None
    except Exception as exc:
        raise input_error(path, f"not a readable CSV ({type(exc).__name__}: {str(exc).splitlines()[0]})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    au_cols = [c for c in df.columns if PYFEAT_AU_COLUMN.match(c)]
    if not au_cols:
        raise input_error(path, "no AU columns (AU01 ... AU43) found; is this a py-feat Fex CSV?")
    names = [f"AU{int(PYFEAT_AU_COLUMN.match(c).group(1)):02d}" for c in au_cols]
    if len(set(names)) != len(names):
        raise input_error(path, f"AU columns name the same unit twice: {', '.join(au_cols)}")
    if df.empty:
        raise input_error(path, "CSV has a header but no rows")
    box_cols = [c for c in FACE_BOX_COLUMNS if c in df.columns]
    table = numeric_columns(df, au_cols + box_cols + (["frame"] if "frame" in df.columns else []), path)
    frames = _frame_numbers(table, path)
    order = _one_face_per_frame(table, frames, face)
    frames, table = frames[order], table.iloc[order]
    n_frames = int(frames.max()) + 1
    values = np.zeros((n_frames, len(au_cols)), np.float32)
    mask = np.zeros(n_frames, bool)
    values[frames] = table[au_cols].to_numpy(np.float32)
    ok = np.isfinite(values[frames]).all(axis=1)
    if box_cols:
        ok &= np.isfinite(table[box_cols].to_numpy(np.float64)).all(axis=1)
    mask[frames] = ok
    values[~mask] = 0.0
    if mask.any() and (values[mask].min() < -1e-6 or values[mask].max() > 1 + 1e-6):
        log.warning("%s: AU values outside 0..1; py-feat AU outputs are probabilities", path)
    fps_source = "given"
    if fps is None:
        fps, fps_source = _infer_fps(df, path)
    by_number = sorted(range(len(names)), key=lambda i: names[i])
    meta = {"file": str(path), "face_rule": FACE_RULES[face], "frames_with_several_faces": _multi_face_frames(df),
            "masked_frames": int((~mask).sum()), "fps_source": fps_source, "au45": AU45_NOTE}
    return AUSeries(values=values[:, by_number], mask=mask, fps=fps, au_names=[names[i] for i in by_number],
                    video=video or Path(path).stem, subject=subject, source="pyfeat", scale=PYFEAT_SCALE, meta=meta)


def _frame_numbers(table, path) -> np.ndarray:
    """0-based frame of each row: the ``frame`` column, else the row order (one face per row)."""
    if "frame" not in table.columns:
        log.warning("%s: no frame column; taking one row per frame in file order", path)
        return np.arange(len(table), dtype=np.int64)
    f = table["frame"].to_numpy(np.float64)
    bad = ~np.isfinite(f) | (f != np.round(f)) | (f < 0)
    if bad.any():
        raise input_error(path, "frame number is empty, negative or not a whole number",
                          int(table.index[bad.argmax()]) + 1)
    return f.astype(np.int64)


def _one_face_per_frame(table, frames: np.ndarray, face: str) -> np.ndarray:
    """Row positions to keep, one per frame, best face first (rows without a face rank last)."""
    def column(name):
        if name not in table.columns:
            return np.zeros(len(table))
        v = table[name].to_numpy(np.float64)
        return np.where(np.isfinite(v), v, -np.inf)

    score = column("FaceScore")
    area = column("FaceRectWidth") * column("FaceRectHeight")
    area = np.where(np.isfinite(area) & (area >= 0), area, -np.inf)
    keys = (-score, -area) if face == "largest" else (-area, -score)
    order = np.lexsort((*keys, frames))  # last key is primary: frame, then the rule
    first = np.ones(len(order), bool)
    first[1:] = frames[order][1:] != frames[order][:-1]
    return order[first]


def _multi_face_frames(df) -> int:
    if "frame" not in df.columns or "FaceScore" not in df.columns:
        return 0
    faces = df[df["FaceScore"].notna()].groupby("frame").size()
    return int((faces > 1).sum())


def _infer_fps(df, path) -> tuple[float, str]:
    """Frame rate from a ``timestamp`` (seconds) or ``approx_time`` (``MM:SS``) column."""
    need = "py-feat CSVs store no frame rate: pass --fps (the video's frames per second)"
    if "frame" not in df.columns:
        raise input_error(path, need)
    import pandas as pd

    frames = pd.to_numeric(df["frame"], errors="coerce").to_numpy(np.float64)
    if "timestamp" in df.columns:
        fps = fps_from_timestamps(frames, pd.to_numeric(df["timestamp"], errors="coerce").to_numpy(np.float64))
        if fps is not None:
            return fps, "timestamp"
    if "approx_time" in df.columns:
        seconds = np.array([_clock_seconds(v) for v in df["approx_time"]], np.float64)
        fps = _fps_from_second_changes(frames, seconds)
        if fps is not None:
            log.info("%s: fps %.3f inferred from approx_time", path, fps)
            return fps, "approx_time"
    raise input_error(path, need)


def _clock_seconds(value) -> float:
    """``"01:05"`` / ``"1:01:05"`` / ``65`` -> seconds; NaN when unreadable."""
    try:
        parts = [float(p) for p in str(value).strip().split(":")]
    except ValueError:
        return float("nan")
    total = 0.0
    for p in parts:
        total = total * 60 + p
    return total


def _fps_from_second_changes(frames: np.ndarray, seconds: np.ndarray) -> float | None:
    """Rate from the first frame of each whole second: first and last change give the span.

    ``approx_time = floor(frame / fps)`` so the first frame of second ``s`` is ``ceil(s * fps)``;
    between two such frames ``(df - 1) / ds < fps < (df + 1) / ds``. A standard rate inside that
    range is returned, else ``df / ds``. None when fewer than two changes are seen.
    """
    ok = np.isfinite(frames) & np.isfinite(seconds)
    frames, seconds = frames[ok], seconds[ok]
    order = np.argsort(frames, kind="stable")
    frames, seconds = frames[order], seconds[order]
    change = np.nonzero(np.diff(seconds) > 0)[0] + 1
    if len(change) < 2:
        return None
    dfr = frames[change[-1]] - frames[change[0]]
    ds = seconds[change[-1]] - seconds[change[0]]
    if ds <= 0 or dfr <= 0:
        return None
    return standard_fps((dfr - 1) / ds, (dfr + 1) / ds, dfr / ds)
