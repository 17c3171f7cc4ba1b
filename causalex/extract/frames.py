"""Streaming frame sources: a video file, a folder of frame images, or frames already in memory.

A source yields frames one at a time (``[H, W]`` gray or ``[H, W, 3]`` BGR uint8), so memory does
not grow with the length of the video. Long-video corpora such as CAS(ME)^2, SAMM-LV and CAS(ME)^3
ship one folder of numbered images per video; such a folder is read in the order of the number in
the file names, at a frame rate the user gives.

Sub-sampling keeps every ``stride``-th source frame (``stride = round(source_fps / fps)``), so output
frame ``i`` is source frame ``i * stride`` and the output rate is ``source_fps / stride``.
"""

from __future__ import annotations

import logging
import math
import os
import re
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

import numpy as np

from causalex.errors import input_error

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv",
                            ".mts", ".m2ts", ".3gp", ".ogv"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"})
_NUMBER_RE = re.compile(r"(\d+)")


_WARNED_RATES: set[tuple[float, float]] = set()


def frame_stride(source_fps: float, fps: float | None) -> int:
    """Keep every ``stride``-th frame to go from ``source_fps`` down to about ``fps`` (1 if ``fps`` is None)."""
    if fps is None:
        return 1
    if fps > source_fps * 1.01 and (fps, source_fps) not in _WARNED_RATES:
        _WARNED_RATES.add((fps, source_fps))  # once per rate pair, not once per video of a batch
        log.warning("--fps %g is above the source's %g fps: frames are only ever dropped, never made up; keeping "
                    "every frame (%g fps)", fps, source_fps, source_fps)
    if fps >= source_fps:
        return 1
    if not (fps > 0 and math.isfinite(fps)):
        raise input_error(None, f"--fps must be a positive number, got {fps}")
    return max(1, int(round(source_fps / fps)))


class FrameSource:
    """Frames of one video, read lazily.

    Attributes:
        name: video id (file stem or folder name unless given).
        path: where the frames come from (None for in-memory frames).
        source_fps: frame rate of the original frames.
        stride: keep every ``stride``-th original frame.
        n_source_frames: number of original frames if known (a container's count can be off by a few).
    """

    kind = "frames"

    def __init__(self, name: str, path: Path | None, source_fps: float, stride: int = 1,
                 n_source_frames: int | None = None) -> None:
        if not (source_fps > 0 and math.isfinite(source_fps)):
            raise input_error(path, f"frame rate must be positive, got {source_fps}")
        self.name = name
        self.path = path
        self.source_fps = float(source_fps)
        self.stride = int(stride)
        self.n_source_frames = n_source_frames

    @property
    def fps(self) -> float:
        """Frame rate of the frames this source yields."""
        return self.source_fps / self.stride

    @property
    def n_frames_hint(self) -> int | None:
        """Expected number of yielded frames (for progress bars), or None if unknown."""
        if self.n_source_frames is None:
            return None
        return (self.n_source_frames + self.stride - 1) // self.stride

    def frames(self, color: bool = False) -> Iterator[Optional[np.ndarray]]:
        """Yield frames: ``[H, W]`` uint8 gray, or ``[H, W, 3]`` uint8 BGR with ``color=True``.

        A frame that cannot be decoded is yielded as None (the extractor masks it).
        """
        raise NotImplementedError

    def describe(self) -> dict:
        """Where the frames come from, for the series metadata."""
        return {"source_path": str(self.path) if self.path else None, "source_kind": self.kind,
                "source_fps": self.source_fps, "frame_stride": self.stride}


class VideoFileSource(FrameSource):
    """A video file decoded with OpenCV (FFmpeg)."""

    kind = "video"

    def __init__(self, path: str | os.PathLike, fps: float | None = None, name: str | None = None) -> None:
        import cv2

        path = Path(path)
        if not path.exists():
            raise input_error(path, "video does not exist")
        if not path.is_file():
            raise input_error(path, "not a regular file")
        cap = cv2.VideoCapture(str(path))
        try:
            if not cap.isOpened():
                raise input_error(path, "cannot be opened as a video (not a video file, damaged, or no frames)")
            source_fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
            count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        finally:
            cap.release()
        if not (source_fps > 0 and math.isfinite(source_fps)):
            raise input_error(path, "video has no frame rate in its header")
        super().__init__(name or path.stem, path, source_fps, frame_stride(source_fps, fps),
                         count if count > 0 else None)

    def frames(self, color: bool = False) -> Iterator[Optional[np.ndarray]]:
        import cv2

        cap = cv2.VideoCapture(str(self.path))
        try:
            index = 0
            while True:
                if index % self.stride == 0:
                    ok, frame = cap.read()
                    if not ok:
                        break
                    yield frame if color else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
                elif not cap.grab():  # decode without the colour conversion
                    break
                index += 1
        finally:
            cap.release()
        if index == 0:
            raise input_error(self.path, "video has no decodable frames")


def numbered_images(folder: Path) -> list[Path]:
    """Image files of ``folder`` ordered by the (last) number in their names.

    Raises:
        InputError: no image, an image name without a number, or two images with the same number.
    """
    files = [f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES
             and not f.name.startswith(".")]
    if not files:
        raise input_error(folder, "folder holds no frame images")
    keyed = []
    for f in files:
        numbers = _NUMBER_RE.findall(f.stem)
        if not numbers:
            raise input_error(f, "frame image name has no frame number")
        keyed.append((int(numbers[-1]), f))
    keyed.sort(key=lambda kv: (kv[0], kv[1].name))
    for (a, fa), (b, fb) in zip(keyed, keyed[1:]):
        if a == b:
            raise input_error(folder, f"two frame images have number {a}: {fa.name} and {fb.name}")
    return [f for _, f in keyed]


class FrameFolderSource(FrameSource):
    """A folder of numbered frame images (one folder per video), at a frame rate given by the user."""

    kind = "frame_folder"

    def __init__(self, path: str | os.PathLike, folder_fps: float | None, fps: float | None = None,
                 name: str | None = None) -> None:
        path = Path(path)
        if not path.is_dir():
            raise input_error(path, "frame folder does not exist")
        if folder_fps is None:
            raise input_error(path, "a folder of frame images needs its frame rate: pass --folder-fps")
        self.files = numbered_images(path)
        super().__init__(name or path.name, path, folder_fps, frame_stride(folder_fps, fps), len(self.files))

    def frames(self, color: bool = False) -> Iterator[Optional[np.ndarray]]:
        import cv2

        flag = cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE
        for f in self.files[::self.stride]:
            image = cv2.imread(str(f), flag)
            if image is None:
                log.warning("%s: unreadable frame image, masked", f)
            yield image


class ArraySource(FrameSource):
    """Frames already in memory or produced by any iterable (a camera, a generator, a test)."""

    kind = "arrays"

    def __init__(self, frames: Iterable[np.ndarray], fps: float, name: str = "frames",
                 n_frames: int | None = None) -> None:
        if n_frames is None and isinstance(frames, Sequence):
            n_frames = len(frames)
        super().__init__(name, None, fps, 1, n_frames)
        self._frames = frames

    def frames(self, color: bool = False) -> Iterator[Optional[np.ndarray]]:
        import cv2

        for frame in self._frames:
            if frame is None:
                yield None
            elif frame.ndim == 2:
                yield cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) if color else frame
            else:
                yield frame if color else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def open_source(path: str | os.PathLike, fps: float | None = None, folder_fps: float | None = None,
                name: str | None = None) -> FrameSource:
    """Open a video file or a folder of frame images.

    Args:
        path: video file, or folder of numbered frame images.
        fps: output frame rate (sub-sample down to about this); None keeps every frame.
        folder_fps: frame rate of a frame folder (required for folders).
        name: video id; defaults to the file stem or folder name.

    Raises:
        InputError: missing path, unreadable video, folder without frames, missing ``folder_fps``.
    """
    p = Path(path)
    if not p.exists():
        raise input_error(p, "path does not exist")
    if p.is_dir():
        return FrameFolderSource(p, folder_fps, fps=fps, name=name)
    return VideoFileSource(p, fps=fps, name=name)
