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
from causalex.rates import fps_problem
from causalex.series import AUSeries

log = logging.getLogger(__name__)

AU_INTENSITY_COLUMN = re.compile(r"^AU(\d{2})_r$")
OPENFACE_SCALE = "intensity_0_5"
STANDARD_FPS = (23.976, 24.0, 25.0, 29.97, 30.0, 50.0, 59.94, 60.0, 90.0, 100.0, 120.0, 200.0, 240.0)


def is_openface_header(columns: list[str]) -> bool:
    """True when stripped column names look like an OpenFace 2.x output with AU intensities."""
    cols = {c.strip() for c in columns}
    return "frame" in cols and "success" in cols and any(AU_INTENSITY_COLUMN.match(c) for c in cols)


def read_openface_csv(path: str | os.PathLike, fps: float | None = None, face_id: int | None = None,
                      min_confidence: float = 0.0, video: str | None = None, subject: str = "") -> AUSeries:
    """Read an OpenFace 2.x CSV into an `AUSeries`.

    Only the columns causalex uses are parsed (frame, face_id, timestamp, confidence, success and
    ``AUxx_r``), so files with the 700 landmark columns load quickly. Frames missing from the file,
    frames with ``success == 0``, a ``confidence`` below ``min_confidence`` or a non-finite AU value
    are masked; their values are set to 0.

    Args:
        path: the CSV file.
        fps: frame rate; if None it is estimated from the ``timestamp`` column (frames advanced over
            time elapsed, summed over forward steps). A given rate overrides the timestamps (OpenFace on
            an image folder writes 1 ms steps), with a warning when the two differ by more than 2%.
        face_id: which face to keep when the file holds several; None keeps the face with the most
            successful frames (the choice is logged and stored in ``meta['face_id']``).
        min_confidence: frames whose ``confidence`` is below this are masked as well.
        video: video id (defaults to the file stem).
        subject: subject id.

    Raises:
        InputError: missing or empty file, no AU intensity columns, no frame/success column, a
            non-numeric value (naming the data row), bad frame numbers, unknown ``face_id``.
    """
    import pandas as pd

    require_file(path, "OpenFace CSV")
    if os.path.getsize(path) == 0:
        raise input_error(path, "empty file")
    wanted = {"frame", "face_id", "timestamp", "confidence", "success"}
    try:
        df = pd.read_csv(path, skipinitialspace=True,
                         usecols=lambda c: c.strip() in wanted or AU_INTENSITY_COLUMN.match(c.strip()) is not None)
    except UnicodeDecodeError:
        raise input_error(path, "not a UTF-8 text CSV file") from None
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
    has_conf, has_time = "confidence" in df.columns, "timestamp" in df.columns
    numeric = numeric_columns(df, ["frame", "success", *au_cols] + ["confidence"] * has_conf + ["timestamp"] * has_time
                              + ["face_id"] * ("face_id" in df.columns), path)
    chosen, n_faces = _choose_face(numeric, face_id, path)
    if chosen is not None:
        numeric = numeric[numeric["face_id"] == chosen]
    frame_values = numeric["frame"].to_numpy(np.float64)
    bad = ~np.isfinite(frame_values) | (frame_values != np.round(frame_values))
    if bad.any():
        raise input_error(path, "frame number is empty or not a whole number", int(numeric.index[bad.argmax()]) + 1)
    frames = frame_values.astype(np.int64) - 1
    if (frames < 0).any():
        raise input_error(path, "frame numbers must start at 1 (OpenFace convention)",
                          int(numeric.index[(frames < 0).argmax()]) + 1)
    if len(np.unique(frames)) != len(frames):
        raise input_error(path, "duplicate frame numbers for one face (several faces without a face_id column?)")
    n_frames = int(frames.max()) + 1
    values = np.zeros((n_frames, len(au_cols)), np.float32)
    mask = np.zeros(n_frames, bool)
    values[frames] = numeric[au_cols].to_numpy(np.float32)
    ok = numeric["success"].to_numpy() > 0
    if has_conf:
        ok &= numeric["confidence"].to_numpy() >= min_confidence
    ok &= np.isfinite(values[frames]).all(axis=1)
    mask[frames] = ok
    values[~mask] = 0.0
    if fps is None:
        fps = _estimate_fps(numeric, path)
    else:
        _check_given_fps(numeric, path, fps)
    if n_frames and mask.mean() < 0.5:
        log.warning("%s: %d of %d frames are masked (face not tracked, confidence below %g or a non-finite AU value): "
                    "nothing is spotted there", path, int((~mask).sum()), n_frames, min_confidence)
    meta = {"face_id": chosen, "faces_in_file": n_faces, "file": str(path), "masked_frames": int((~mask).sum()),
            "min_confidence": min_confidence}
    if n_faces > 1:
        meta["face_rule"] = "given face_id" if face_id is not None else "face with the most successful frames"
    return AUSeries(values=values, mask=mask, fps=fps, au_names=[c[:4] for c in au_cols],
                    video=video or Path(path).stem, subject=subject, source="openface", scale=OPENFACE_SCALE,
                    meta=meta)


def numeric_columns(df, columns: list[str], path):
    """Return ``df[columns]`` as numbers; empty cells become NaN.

    Raises:
        InputError: a cell that is text, naming the data row (1-based, header excluded) and column.
    """
    import pandas as pd

    out = df[columns].copy()
    for c in columns:
        converted = pd.to_numeric(out[c], errors="coerce")
        bad = converted.isna() & out[c].notna()
        if bad.any():
            first = bad.to_numpy().argmax()
            raise input_error(path, f"column {c!r} holds non-numeric value {str(out[c].iloc[first])!r}",
                              int(out.index[first]) + 1)
        out[c] = converted
    return out


def _choose_face(numeric, face_id: int | None, path) -> tuple[int | None, int]:
    """The face_id to keep (None without a face_id column) and the number of faces in the file."""
    if "face_id" not in numeric.columns:
        if face_id not in (None, 0):
            raise input_error(path, f"face_id {face_id} requested but the file has no face_id column")
        return None, 1
    if numeric["face_id"].isna().any():
        raise input_error(path, "empty face_id", int(numeric.index[numeric["face_id"].isna().to_numpy().argmax()]) + 1)
    faces = (numeric["success"] > 0).groupby(numeric["face_id"]).sum()
    if face_id is None:
        chosen = int(faces.idxmax())
        if len(faces) > 1:
            log.warning("%s holds %d faces; keeping face_id %d (most successful frames; pick another with face_id)",
                        path, len(faces), chosen)
        return chosen, len(faces)
    if face_id not in faces.index:
        raise input_error(path, f"face_id {face_id} not in file (has {sorted(int(f) for f in faces.index)})")
    return int(face_id), len(faces)


_WARNED_RATES: set[tuple[float, float]] = set()


def _check_given_fps(df, path, fps: float) -> None:
    """Warn when a given frame rate contradicts the file's own timestamps (more than 2% apart).

    The given rate wins: OpenFace run on an image folder writes made-up timestamps (1 ms per frame),
    which only the user's rate can correct.
    """
    if "timestamp" not in df.columns:
        return
    carried = fps_from_timestamps(df["frame"].to_numpy(np.float64), df["timestamp"].to_numpy(np.float64))
    if carried is not None and abs(carried - fps) > 0.02 * carried and (carried, fps) not in _WARNED_RATES:
        _WARNED_RATES.add((carried, fps))  # once per rate pair, not once per file of a folder
        log.warning("%s: its timestamps give %g fps; using the %g fps passed instead (times in seconds follow it)",
                    path, carried, fps)


def _estimate_fps(df, path) -> float:
    if "timestamp" not in df.columns:
        raise input_error(path, "cannot infer fps (no timestamp column); pass the frame rate (--fps)")
    if len(df) < 2:
        raise input_error(path, "cannot infer fps from the timestamps of a single row; pass the frame rate (--fps)")
    fps = fps_from_timestamps(df["frame"].to_numpy(np.float64), df["timestamp"].to_numpy(np.float64))
    if fps is None:
        raise input_error(path, "cannot infer fps from the timestamps (not increasing with the frames?); pass the frame rate (--fps)")
    if problem := fps_problem(fps):
        raise input_error(path, f"frame rate from the timestamps: {problem} (timestamps not in "
                                "seconds?); pass the frame rate (--fps)")
    return fps


def fps_from_timestamps(frames: np.ndarray, seconds: np.ndarray, resolution: float = 0.001) -> float | None:
    """Frames per second from per-row frame numbers and timestamps, None if no forward step.

    Uses frames advanced over time elapsed, summed over the forward steps: tools round timestamps
    (OpenFace to 1 ms), which makes single steps of a 30 fps video read 30.3 or 29.4 fps, while the
    sum is off by at most ``resolution``; a standard rate within that error is returned exactly.

    Shapes:
        ``frames: [N]``, ``seconds: [N]`` (rows in file order; NaN rows are skipped).
    """
    dfr, dt = np.diff(frames), np.diff(seconds)
    ok = (dfr > 0) & (dt > 0) & np.isfinite(dfr) & np.isfinite(dt)
    if not ok.any():
        return None
    n, span = dfr[ok].sum(), dt[ok].sum()
    return standard_fps(n / (span + resolution), n / max(span - resolution, 1e-12), n / span)


def standard_fps(low: float, high: float, estimate: float) -> float:
    """The standard frame rate in ``[low, high]`` closest to ``estimate``, else ``estimate`` (3 decimals)."""
    fits = [r for r in STANDARD_FPS if low <= r <= high]
    if fits:
        return min(fits, key=lambda r: abs(r - estimate))
    return float(np.round(estimate, 3))


def write_openface_csv(series: AUSeries, path: str | os.PathLike, face_id: int | None = 0) -> Path:
    """Write a series in OpenFace 2.x CSV layout (leading-space header, masked frames as failures).

    Only the columns causalex reads are written: frame, face_id (unless None), timestamp,
    confidence, success, ``AUxx_r`` and binary ``AUxx_c`` (intensity >= 1). Masked frames get
    ``success = 0``, ``confidence = 0`` and zero AUs, exactly as OpenFace writes tracking failures.
    Intensities in [0, 9.99] (OpenFace's range) take a vectorised path: each ``AUxx_r`` cell is then
    exactly ``d.dd``, so the AU part of every row is one fixed-width byte block.
    """
    path = Path(path)
    t, k = series.n_frames, series.n_aus
    cols = ["frame"] + (["face_id"] if face_id is not None else []) + ["timestamp", "confidence", "success"]
    cols += [f"{n}_r" for n in series.au_names] + [f"{n}_c" for n in series.au_names]
    vals = np.where(series.mask[:, None], series.values, 0.0).astype(np.float64)
    fid = f"{face_id}, " if face_id is not None else ""
    tails = (", 0.00, 0", ", 0.98, 1")  # confidence and success of a failed / tracked frame
    prefix = [f"{i + 1}, {fid}{i / series.fps:.3f}{tails[ok]}" for i, ok in enumerate(series.mask.tolist())]
    hundredths = np.rint(vals * 100.0) if np.isfinite(vals).all() else np.full_like(vals, -1.0)
    chunks = [(", ".join(cols) + "\n").encode("ascii")]
    if t and k and hundredths.min() >= 0 and hundredths.max() <= 999:
        # AU block [T, 9K+1]: K cells ", d.dd" (looked up by hundredths), K cells ", c", then "\n".
        cell = np.array([list(f", {h / 100:.2f}".encode("ascii")) for h in range(1000)], np.uint8)
        block = np.empty((t, 9 * k + 1), np.uint8)
        block[:, :6 * k] = cell[hundredths.astype(np.int16)].reshape(t, 6 * k)
        flags = block[:, 6 * k:9 * k].reshape(t, k, 3)
        flags[:, :, 0], flags[:, :, 1], flags[:, :, 2] = ord(","), ord(" "), ord("0") + (vals >= 1.0)
        block[:, -1] = ord("\n")
        # Prefix lengths only grow with the frame number: write each run of equal length as one array.
        lens = np.fromiter(map(len, prefix), np.int64, count=t)
        cuts = [0, *(np.flatnonzero(np.diff(lens)) + 1).tolist(), t]
        for a, b in zip(cuts[:-1], cuts[1:]):
            head = np.frombuffer("".join(prefix[a:b]).encode("ascii"), np.uint8).reshape(b - a, int(lens[a]))
            chunks.append(np.concatenate([head, block[a:b]], axis=1).tobytes())
    else:  # out-of-range or non-finite intensities: format cell by cell
        for i in range(t):
            r = ", ".join(f"{v:.2f}" for v in vals[i])
            c = ", ".join("1" if v >= 1.0 else "0" for v in vals[i])
            chunks.append(f"{prefix[i]}, {r}, {c}\n".encode("ascii"))
    with atomic_write(path) as tmp:
        tmp.write_bytes(b"".join(chunks))
    return path
