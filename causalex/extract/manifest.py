"""The extraction manifest: one CSV row per video, rewritten atomically after every video.

``<OUT_DIR>/manifest.csv`` records, per video: its id and source path, a content hash (SHA-256 of
the video file, or of a frame folder's file names and bytes), a cheap fingerprint (sizes and
modification times) used to notice changed inputs on a rerun, frame counts, frame rates, backend,
versions and settings, status (``ok``; ``failed`` for bad input; ``error`` for anything else), the
one-line error, the time it took and the output file. A rerun skips a video whose row is ``ok``
with the same settings, version and fingerprint and whose series file reads back with the recorded
frame counts and source hash.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterable

from causalex.errors import input_error
from causalex.fileio import file_sha256, write_text_atomic

MANIFEST_NAME = "manifest.csv"


@dataclass
class ManifestRow:
    """What happened to one video (one manifest row)."""

    video: str  # video id = output file stem
    path: str  # source video file or frame folder
    kind: str = ""  # video, frame_folder, missing, empty_folder
    status: str = "failed"  # ok, failed (bad input), error (unexpected failure)
    error: str = ""  # one line, empty when ok
    frames: int = 0  # rows in the series
    valid_frames: int = 0  # rows with a face
    fps: float = 0.0  # frame rate of the series
    source_fps: float = 0.0  # frame rate of the source
    backend: str = ""
    version: str = ""  # causalex and extractor versions
    settings: str = ""  # JSON of the options that change the output
    sha256: str = ""  # content hash of the source
    fingerprint: str = ""  # sizes + modification times of the source
    seconds: float = 0.0  # extraction time
    output: str = ""  # series file name inside OUT_DIR

    @classmethod
    def from_record(cls, record: dict[str, str]) -> "ManifestRow":
        """Parse one CSV record (strings) into a row."""
        kwargs = {}
        for f in fields(cls):
            raw = record.get(f.name, "") or ""
            if f.type == "int":
                kwargs[f.name] = int(float(raw)) if raw else 0
            elif f.type == "float":
                kwargs[f.name] = float(raw) if raw else 0.0
            else:
                kwargs[f.name] = raw
        return cls(**kwargs)


MANIFEST_COLUMNS = [f.name for f in fields(ManifestRow)]


def read_manifest(out_dir: str | os.PathLike) -> dict[str, ManifestRow]:
    """Rows of ``<out_dir>/manifest.csv`` by video id, in file order; empty if there is none.

    Raises:
        InputError: the file exists but is not a causalex manifest.
    """
    path = Path(out_dir) / MANIFEST_NAME
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"video", "path", "status"} <= set(reader.fieldnames):
            raise input_error(path, "not a causalex extraction manifest (needs video, path, status columns)")
        rows: dict[str, ManifestRow] = {}
        for i, record in enumerate(reader, start=1):
            try:
                row = ManifestRow.from_record(record)
            except ValueError as exc:
                raise input_error(path, f"bad value ({exc})", row=i) from exc
            rows[row.video] = row
    return rows


def write_manifest(out_dir: str | os.PathLike, rows: Iterable[ManifestRow]) -> Path:
    """Write all rows to ``<out_dir>/manifest.csv`` atomically; returns the path."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    path = Path(out_dir) / MANIFEST_NAME
    write_text_atomic(path, buf.getvalue())
    return path


def _folder_files(folder: Path) -> list[Path]:
    return sorted(f for f in folder.iterdir() if f.is_file() and not f.name.startswith("."))


def input_fingerprint(path: str | os.PathLike) -> str:
    """Cheap change detector: ``size:mtime_ns`` of a file, ``count:total_size:max_mtime_ns`` of a folder."""
    p = Path(path)
    if p.is_dir():
        stats = [f.stat() for f in _folder_files(p)]
        return f"{len(stats)}:{sum(s.st_size for s in stats)}:{max((s.st_mtime_ns for s in stats), default=0)}"
    st = p.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def input_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, or of a folder's (file name, file SHA-256) pairs in name order."""
    p = Path(path)
    if not p.is_dir():
        return file_sha256(p)
    digest = hashlib.sha256()
    for f in _folder_files(p):
        digest.update(f.name.encode() + b"\0" + file_sha256(f).encode() + b"\n")
    return digest.hexdigest()
