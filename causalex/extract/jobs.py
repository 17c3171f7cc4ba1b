"""Turn command-line inputs into a list of videos to extract.

An input is a video file, a folder, or a list file (``.txt``/``.lst``: one path per line, relative
to the list's folder, ``#`` starts a comment). A folder is searched recursively: a folder that
directly holds frame images is one video (CAS(ME)^2, SAMM-LV and CAS(ME)^3 ship one folder of
numbered frames per long video); video files found on the way are videos.

Bad inputs are not raised here: a missing path or an empty folder becomes a job that fails with a
clear message when it runs, so that one bad entry is reported in the manifest and does not stop the
others. A list file that cannot be read (or is not UTF-8 text) is raised: it names no video to record.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from causalex.errors import input_error
from causalex.fileio import read_utf8_text
from causalex.extract.frames import IMAGE_SUFFIXES, VIDEO_SUFFIXES

LIST_SUFFIXES = (".txt", ".lst")


@dataclass(frozen=True)
class VideoJob:
    """One video to extract.

    Attributes:
        video: video id, also the output file stem (``<OUT_DIR>/<video>.parquet``).
        path: absolute path of the video file or frame folder.
        kind: ``video``, ``frame_folder``, ``missing`` or ``empty_folder``.
        folder_fps: frame rate of a frame folder (None for video files).
    """

    video: str
    path: str
    kind: str
    folder_fps: float | None = None


def _has_images(folder: Path) -> bool:
    return any(f.suffix.lower() in IMAGE_SUFFIXES and f.is_file() and not f.name.startswith(".")
               for f in folder.iterdir())


def _expand_folder(folder: Path, found: list[tuple[Path, str]]) -> None:
    if _has_images(folder):
        found.append((folder, "frame_folder"))
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            _expand_folder(entry, found)
        elif entry.suffix.lower() in VIDEO_SUFFIXES:
            found.append((entry, "video"))


def _read_list(path: Path) -> list[Path]:
    """Paths named by a list file, relative ones resolved against its folder.

    Raises:
        InputError: the list file cannot be read or is not UTF-8 text.
    """
    text = read_utf8_text(path, "text")
    entries = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            p = Path(line).expanduser()
            entries.append(p if p.is_absolute() else path.parent / p)
    return entries


def _expand(item: Path, found: list[tuple[Path, str]], from_list: bool) -> None:
    if not item.exists():
        found.append((item, "missing"))
    elif item.is_dir():
        before = len(found)
        _expand_folder(item, found)
        if len(found) == before:
            found.append((item, "empty_folder"))
    elif item.suffix.lower() in LIST_SUFFIXES and not from_list:
        for entry in _read_list(item):
            _expand(entry, found, from_list=True)
    else:
        found.append((item, "video"))  # whatever it is: opening it will tell


def _unique_ids(paths: list[Path]) -> list[str]:
    ids = [p.stem if p.is_file() or p.suffix.lower() in VIDEO_SUFFIXES else p.name for p in paths]
    counts = Counter(ids)
    ids = [f"{p.parent.name}_{i}" if counts[i] > 1 else i for p, i in zip(paths, ids)]
    seen: dict[str, Path] = {}
    for p, i in zip(paths, ids):
        if i in seen:
            raise input_error(p, f"video id {i!r} is also used by {seen[i]}; rename one of them")
        seen[i] = p
    return ids


def collect_jobs(inputs: Iterable[str | os.PathLike], folder_fps: float | None = None) -> list[VideoJob]:
    """Expand videos, folders and list files into one job per video (in input order, no duplicates).

    Args:
        inputs: video files, folders (searched recursively) and ``.txt``/``.lst`` list files.
        folder_fps: frame rate of the frame-image folders among them.

    Raises:
        InputError: a list file that cannot be read or is not UTF-8 text; two different videos would get
            the same id even with their parent folder's name.
    """
    found: list[tuple[Path, str]] = []
    for item in inputs:
        _expand(Path(item).expanduser(), found, from_list=False)
    unique: dict[Path, tuple[Path, str]] = {}  # the same video reached twice counts once; its id comes from the
    for path, kind in found:                    # path as given, so a symlink named for the video keeps that name
        unique.setdefault(path.resolve() if path.exists() else path.absolute(), (path.absolute(), kind))
    paths = [p for p, _ in unique.values()]
    kinds = [k for _, k in unique.values()]
    ids = _unique_ids(paths)
    return [VideoJob(video=i, path=str(p), kind=k, folder_fps=folder_fps if k == "frame_folder" else None)
            for p, i, k in zip(paths, ids, kinds)]
