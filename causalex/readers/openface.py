"""OpenFace 2.x CSV: read into an `AUSeries`, and write one (the simulator's output format).

OpenFace writes one row per (frame, face). Headers carry a leading space (``" AU01_r"``) in most
versions and none in some; ``face_id`` is absent in older outputs. Rows with ``success == 0`` (or a
confidence below a threshold) are zero-filled by OpenFace: they are masked here, never treated as a
neutral face. Frames are 1-based in OpenFace and 0-based in causalex.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import numpy as np

from causalex.errors import input_error, require_file
from causalex.fileio import atomic_write
from causalex.series import AUSeries

log = logging.getLogger(__name__)

AU_INTENSITY_COLUMN = re.compile(r"^AU(\d{2})_r$")
OPENFACE_SCALE = "intensity_0_5"


def is_openface_header(columns: list[str]) -> bool:
    """True when stripped column names look like an OpenFace 2.x output with AU intensities."""
    cols = {c.strip() for c in columns}
    return "frame" in cols and "success" in cols and any(AU_INTENSITY_COLUMN.match(c) for c in cols)


def read_openface_csv(path: str | os.PathLike, fps: float | None = None, face_id: int | None = None,
                      min_confidence: float = 0.0, video: str | None = None, subject: str = "") -> AUSeries:
    """Read an OpenFace 2.x CSV into an `AUSeries`.

    Args:
        path: the CSV file.
        fps: frame rate; if None it is estimated from the ``timestamp`` column (median step).
        face_id: which face to keep when the file holds several; None keeps the face with the most
            successful frames (the choice is logged and stored in ``meta['face_id']``).
        min_confidence: frames whose ``confidence`` is below this are masked as well.
        video: video id (defaults to the file stem).
        subject: subject id.

    Raises:
        InputError: missing file, no AU intensity columns, no frame/success column, bad numbers.
    """
    import pandas as pd

    require_file(path, "OpenFace CSV")
    try:
        df = pd.read_csv(path, skipinitialspace=True)
    except Exception as exc:
        raise input_error(path, f"not a readable CSV ({type(exc).__name__}: {str(exc).splitlines()[0]})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    au_cols = sorted((c for c in df.columns if AU_INTENSITY_COLUMN.match(c)), key=lambda c: int(c[2:4]))
    if not au_cols:
        raise input_error(path, "no AU intensity columns (AUxx_r) found; is this an OpenFace 2.x output?")
    for need in ("frame", "success"):
        if need not in df.columns:
            raise input_error(path, f"missing OpenFace column {need!r}")
    if df.empty:
        raise input_error(path, "CSV has a header but no rows")
    chosen = None
    if "face_id" in df.columns:
        faces = df.groupby("face_id")["success"].sum()
        if face_id is None:
            chosen = int(faces.idxmax())
            if len(faces) > 1:
                log.info("%s holds %d faces; keeping face_id %d (most successful frames)", path, len(faces), chosen)
        else:
            if face_id not in faces.index:
                raise input_error(path, f"face_id {face_id} not in file (has {sorted(faces.index.tolist())})")
            chosen = int(face_id)
        df = df[df["face_id"] == chosen]
    numeric = df[["frame", "success", *au_cols] + (["confidence"] if "confidence" in df.columns else [])]
    try:
        numeric = numeric.apply(pd.to_numeric, errors="raise")
    except (ValueError, TypeError) as exc:
        raise input_error(path, f"non-numeric value in frame/success/AU columns ({exc})") from exc
    frames = numeric["frame"].to_numpy().astype(np.int64) - 1
    if (frames < 0).any():
        raise input_error(path, "frame numbers must start at 1 (OpenFace convention)")
    if len(np.unique(frames)) != len(frames):
        raise input_error(path, "duplicate frame numbers for one face")
    n_frames = int(frames.max()) + 1
    values = np.zeros((n_frames, len(au_cols)), np.float32)
    mask = np.zeros(n_frames, bool)
    values[frames] = numeric[au_cols].to_numpy(np.float32)
    ok = numeric["success"].to_numpy() > 0
    if "confidence" in numeric.columns:
        ok &= numeric["confidence"].to_numpy() >= min_confidence
    ok &= np.isfinite(values[frames]).all(axis=1)
    mask[frames] = ok
    values[~mask] = 0.0
    if fps is None:
        fps = _estimate_fps(df, path)
    return AUSeries(values=values, mask=mask, fps=fps, au_names=[c[:4] for c in au_cols],
                    video=video or Path(path).stem, subject=subject, source="openface", scale=OPENFACE_SCALE,
                    meta={"face_id": chosen, "file": str(path), "masked_frames": int((~mask).sum())})


def _estimate_fps(df, path) -> float:
    if "timestamp" not in df.columns or len(df) < 2:
        raise input_error(path, "cannot infer fps (no timestamp column); pass fps explicitly")
    ts = df["timestamp"].to_numpy(np.float64)
    fr = df["frame"].to_numpy(np.float64)
    dt, dfr = np.diff(ts), np.diff(fr)
    ok = (dfr > 0) & (dt > 0)
    if not ok.any():
        raise input_error(path, "cannot infer fps from timestamps; pass fps explicitly")
    return float(np.round(np.median(dfr[ok] / dt[ok]), 3))


def write_openface_csv(series: AUSeries, path: str | os.PathLike, face_id: int | None = 0) -> Path:
    """Write a series in OpenFace 2.x CSV layout (leading-space header, masked frames as failures).

    Only the columns causalex reads are written: frame, face_id (unless None), timestamp,
    confidence, success, ``AUxx_r`` and binary ``AUxx_c`` (intensity >= 1). Masked frames get
    ``success = 0``, ``confidence = 0`` and zero AUs, exactly as OpenFace writes tracking failures.
    """
    path = Path(path)
    t = series.n_frames
    cols = ["frame"] + (["face_id"] if face_id is not None else []) + ["timestamp", "confidence", "success"]
    cols += [f"{n}_r" for n in series.au_names] + [f"{n}_c" for n in series.au_names]
    vals = np.where(series.mask[:, None], series.values, 0.0)
    conf = np.where(series.mask, 0.98, 0.0)
    lines = [", ".join(cols)]
    fid = f"{face_id}, " if face_id is not None else ""
    for i in range(t):
        r = ", ".join(f"{v:.2f}" for v in vals[i])
        c = ", ".join("1" if v >= 1.0 else "0" for v in vals[i])
        lines.append(f"{i + 1}, {fid}{i / series.fps:.3f}, {conf[i]:.2f}, {int(series.mask[i])}, {r}, {c}")
    with atomic_write(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
