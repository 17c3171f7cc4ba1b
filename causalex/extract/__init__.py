"""Video -> per-frame AU series: extractors behind one interface, and batch extraction with resume.

Backends (see `available_extractors`):
  * ``flow`` (default, fully offline): dlib landmarks + optical flow in AU regions, numbers in
    percent of the inter-ocular distance (`causalex.extract.regions` documents the AU -> region map).
  * ``pyfeat`` (extra ``causalex[pyfeat]``): py-feat's AU probabilities, when py-feat imports and its
    weights are in its local cache.

Typical use::

    from causalex.extract import extract_video, collect_jobs, run_batch
    series = extract_video("clip.mp4")                 # one AUSeries
    report = run_batch(collect_jobs(["videos/"]), "out/")  # many videos, manifest, resume
"""

from __future__ import annotations

from causalex.extract.base import (
    BackendUnavailable,
    Extractor,
    FrameProgress,
    available_extractors,
    make_extractor,
    register_extractor,
)
from causalex.extract.batch import BatchReport, extract_one, run_batch
from causalex.extract.frames import ArraySource, FrameFolderSource, FrameSource, VideoFileSource, open_source
from causalex.extract.jobs import VideoJob, collect_jobs
from causalex.extract.manifest import MANIFEST_NAME, ManifestRow, read_manifest

__all__ = [
    "ArraySource", "BackendUnavailable", "BatchReport", "Extractor", "FrameFolderSource", "FrameProgress",
    "FrameSource", "MANIFEST_NAME", "ManifestRow", "VideoFileSource", "VideoJob", "available_extractors",
    "collect_jobs", "extract_one", "extract_video", "make_extractor", "open_source", "read_manifest",
    "register_extractor", "run_batch",
]


def extract_video(path, backend: str = "flow", fps: float | None = None, folder_fps: float | None = None,
                  progress: FrameProgress | None = None, **options):
    """Extract the AU series of one video file or frame folder.

    Args:
        path: video file or folder of numbered frame images.
        backend: registered extractor name (``flow`` or ``pyfeat``).
        fps: output frame rate (sub-sampling); None keeps every frame.
        folder_fps: frame rate of a frame folder.
        progress: optional ``progress(frames_done, frames_total)``.
        **options: backend options (e.g. `causalex.extract.flow.FlowConfig` fields).

    Returns:
        `AUSeries` with ``values: [T, K]`` and ``mask: [T]``.
    """
    extractor = make_extractor(backend, **options)
    extractor.check()
    return extractor.extract(open_source(path, fps=fps, folder_fps=folder_fps), progress=progress)
