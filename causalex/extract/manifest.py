"""The extraction manifest: one CSV row per video, appended after every video, compacted at the end.

``<OUT_DIR>/manifest.csv`` records, per video: its id and source path, a content hash (SHA-256 of
the video file, or of a frame folder's file names and bytes), a cheap fingerprint (sizes and
modification times) used to notice changed inputs on a rerun, frame counts, frame rates, backend,
versions and settings, status (``ok``; ``failed`` for bad input; ``error`` for anything else), the
one-line error, the time it took and the output file. A rerun skips a video whose row is ``ok``
with the same settings, version and fingerprint and whose series file reads back with the recorded
frame counts and source hash.

While a run is going, `ManifestJournal` appends one row per finished video (so a killed run keeps
everything it finished, at a cost linear in the number of videos); a video extracted again gets a
second row, and the last row of a video is the one that counts. At the end of a run (also when it is
interrupted) the file is rewritten atomically with one row per video. A row cut off by a kill in the
middle of an append (a last line without its newline) is ignored with a warning.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterable

from causalex.errors import input_error
from causalex.fileio import file_sha256, read_utf8_text, write_text_atomic

log = logging.getLogger(__name__)

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
    """Rows of ``<out_dir>/manifest.csv`` by video id, in file order (the last row of a video counts);
    empty if there is none. A last line cut off by a killed run is ignored with a warning.

    Raises:
        InputError: the file exists but is not a causalex manifest (or is not UTF-8 text).
    """
    path = Path(out_dir) / MANIFEST_NAME
    if not path.is_file():
        return {}
    text = read_utf8_text(path, "CSV")
    if text and not text.endswith("\n"):
        cut = text.rfind("\n") + 1
        log.warning("%s: ignoring its last row %r, cut off by a killed run", path, text[cut:][:60])
        text = text[:cut]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames or not {"video", "path", "status"} <= set(reader.fieldnames):
        raise input_error(path, "not a causalex extraction manifest (needs video, path, status columns)")
    rows: dict[str, ManifestRow] = {}
    try:
        for i, record in enumerate(reader, start=1):
            try:
                row = ManifestRow.from_record(record)
            except ValueError as exc:
                raise input_error(path, f"bad value ({exc})", row=i) from exc
            rows[row.video] = row  # a later row of the same video replaces the earlier one
    except csv.Error as exc:
        raise input_error(path, f"not a readable CSV file ({exc})") from exc
    return rows


def _csv_text(rows: Iterable[ManifestRow], header: bool) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
    if header:
        writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    return buf.getvalue()


def write_manifest(out_dir: str | os.PathLike, rows: Iterable[ManifestRow]) -> Path:
    """Write all rows to ``<out_dir>/manifest.csv`` atomically; returns the path."""
    path = Path(out_dir) / MANIFEST_NAME
    write_text_atomic(path, _csv_text(rows, header=True))
    return path


class ManifestJournal:
    """Appends manifest rows one at a time to ``<out_dir>/manifest.csv`` during a run.

    Start it on a complete manifest (`write_manifest` first); each `append` writes one whole line
    with a single write and flushes it, so a killed run leaves at most a cut-off last line, which
    `read_manifest` ignores. Use as a context manager, or call `close`.
    """

    def __init__(self, out_dir: str | os.PathLike) -> None:
        self.path = Path(out_dir) / MANIFEST_NAME
        self._fh = open(self.path, "a", encoding="utf-8", newline="")

    def append(self, row: ManifestRow) -> None:
        """Add ``row`` at the end of the file (it replaces an earlier row of the same video on reading)."""
        self._fh.write(_csv_text([row], header=False))
        self._fh.flush()

    def close(self) -> None:
        """Close the file."""
        self._fh.close()

    def __enter__(self) -> "ManifestJournal":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
