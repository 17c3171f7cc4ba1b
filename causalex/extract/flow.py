"""The default, fully offline extractor: dlib landmarks + optical flow in AU regions (``flow``).

Per frame:
  1. `FaceTracker` gives the 68 landmarks of the tracked face (or None: the frame is masked).
  2. The frame is warped to an upright face crop by the similarity transform that best maps the
     rigid landmarks (nose 27-35, eye corners 36/39/42/45) onto a template taken from the first face
     of the video: eyes level, ``face_iod_px`` apart. This removes head translation, in-plane
     rotation and scale.
  3. Dense optical flow (OpenCV DIS) from the *reference face* to this crop. The reference is a
     running average of the aligned crops with time constant ``reference_s`` (reset whenever the
     face is lost), so a held expression shows as a plateau that fades over a few ``reference_s``
     while slow changes (lighting, drift) are absorbed.
  4. `RegionSampler` turns flow and landmarks into one number per AU (see `causalex.extract.regions`
     for the AU -> region map and the unit: percent of the inter-ocular distance).

Frames are processed one at a time; the only state is the tracker, the template and the reference
crop, so memory does not grow with the length of the video. `AlignedFlow` is that loop (steps 1-3); the
region-flow extractor (`causalex.extract.roi`) shares it and only replaces step 4.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass

import numpy as np

from causalex.errors import input_error
from causalex.extract.base import Extractor, FrameProgress, register_extractor
from causalex.extract.landmarks import FaceTracker, eye_centres, load_dlib_models
from causalex.extract.regions import AU_NAMES, SCALE, RegionSampler, region_table
from causalex.series import AUSeries

log = logging.getLogger(__name__)

RIGID_LANDMARKS = np.array([27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 39, 42, 45])
_DIS_PRESETS = {"ultrafast": 0, "fast": 1, "medium": 2}


@dataclass
class FlowConfig:
    """Options of the ``flow`` extractor (defaults here; the CLI and callers only override)."""

    face_iod_px: int = 48  # inter-ocular distance in the aligned face crop, pixels (crop is 2.5 x 3.2 IOD)
    reference_s: float = 2.0  # time constant of the running-average reference face, seconds
    patch: float = 0.15  # half-side of an AU region patch, in IOD
    verify_every: int = 1  # check the tracked face with the HOG detector every N frames
    detect_width: int = 640  # frames wider than this are downscaled for full-frame detection
    flow_preset: str = "fast"  # OpenCV DIS optical-flow preset: ultrafast, fast or medium

    def __post_init__(self) -> None:
        if self.flow_preset not in _DIS_PRESETS:
            raise ValueError(f"flow_preset must be one of {', '.join(_DIS_PRESETS)}, got {self.flow_preset!r}")
        if self.face_iod_px < 16 or self.reference_s <= 0 or not 0 < self.patch < 1:
            raise ValueError(f"bad flow options: {self}")


def fit_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity transform (rotation, uniform scale, translation) taking ``src`` to ``dst``.

    Shapes: ``src, dst: [N, 2]`` -> ``[2, 3]`` affine matrix.
    """
    s = src[:, 0] + 1j * src[:, 1]
    d = dst[:, 0] + 1j * dst[:, 1]
    sc, dc = s - s.mean(), d - d.mean()
    a = (np.conj(sc) * dc).sum() / (np.abs(sc) ** 2).sum()
    t = d.mean() - a * s.mean()
    return np.array([[a.real, -a.imag, t.real], [a.imag, a.real, t.imag]])


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a ``[2, 3]`` affine matrix to ``points: [N, 2]`` -> ``[N, 2]``."""
    return points @ matrix[:, :2].T + matrix[:, 2]


def crop_geometry(iod_px: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Size ``(W, H)`` of the aligned crop and where the two eye centres go in it."""
    width, height = int(round(2.5 * iod_px)), int(round(3.2 * iod_px))
    eye_y = 1.1 * iod_px
    return width, height, np.array([width / 2 - iod_px / 2, eye_y]), np.array([width / 2 + iod_px / 2, eye_y])


class RowBuffer:
    """Growable ``[T, K]`` float32 array (doubling), so a long video needs no Python list of rows."""

    def __init__(self, k: int, hint: int | None) -> None:
        self.data = np.empty((max(16, (hint or 0) + 4), k), np.float32)
        self.mask = np.zeros(self.data.shape[0], bool)
        self.n = 0

    def append(self, row: np.ndarray | None) -> None:
        if self.n == self.data.shape[0]:
            self.data = np.concatenate([self.data, np.empty_like(self.data)])
            self.mask = np.concatenate([self.mask, np.zeros_like(self.mask)])
        if row is None:
            self.data[self.n] = np.nan
            self.mask[self.n] = False
        else:
            self.data[self.n] = row
            self.mask[self.n] = True
        self.n += 1


@register_extractor("flow")
class FlowExtractor(Extractor):
    """Offline AU activations from dlib landmarks and optical flow (weights from PyPI, no download).

    Args:
        **options: fields of `FlowConfig`.
    """

    version = "1"

    def __init__(self, **options) -> None:
        self.config = FlowConfig(**options)

    def check(self) -> None:
        """Raise `BackendUnavailable` if dlib or the landmark model is missing."""
        load_dlib_models()

    def settings(self) -> dict:
        """The `FlowConfig` as a dict."""
        return asdict(self.config)

    def extract(self, source, progress: FrameProgress | None = None) -> AUSeries:
        """Extract ``[T, 17]`` AU activations (percent IOD) and the face mask ``[T]`` from ``source``.

        Raises:
            InputError: unreadable video, or no face in any frame.
        """
        cfg = self.config
        sampler = RegionSampler(cfg.patch)
        flows = AlignedFlow(cfg)
        rows = RowBuffer(len(AU_NAMES), source.n_frames_hint)
        for frame in flows.frames(source, progress):
            rows.append(None if frame is None else
                        sampler.activations(frame.flow, frame.ref_points, frame.points, float(cfg.face_iod_px)))
        meta = {"extractor": self.name, "extractor_version": self.version, "settings": self.settings(),
                **flows.finish(source, rows), "units": "percent of inter-ocular distance", "au_regions": region_table()}
        return AUSeries(values=rows.data[:rows.n].copy(), mask=rows.mask[:rows.n].copy(), fps=source.fps,
                        au_names=list(AU_NAMES), video=source.name, source="flow", scale=SCALE, meta=meta)


@dataclass
class FlowFrame:
    """One frame with a face: the flow from the reference face to it, and the landmarks (aligned crop pixels).

    Shapes: ``flow: [H, W, 2]`` (on the reference grid), ``ref_points, points: [68, 2]``.
    """

    flow: np.ndarray
    ref_points: np.ndarray
    points: np.ndarray


class AlignedFlow:
    """The per-frame loop shared by the flow-based extractors (AU activations, region flow).

    `frames` yields, for every frame of a source, a `FlowFrame` (or None where there is no face); the
    reference face is updated after the consumer has used a frame. `finish` checks the result and gives
    the tracking metadata.

    Args:
        cfg: the `FlowConfig` (crop size, reference time constant, tracker and DIS options).
    """

    def __init__(self, cfg: FlowConfig) -> None:
        self.cfg = cfg
        self.tracker = FaceTracker(verify_every=cfg.verify_every, detect_width=cfg.detect_width)
        self.unreadable = self.resets = 0
        self.started = time.perf_counter()

    def frames(self, source, progress: FrameProgress | None = None):
        """Yield a `FlowFrame` or None per frame of ``source`` (streamed: memory does not grow with length)."""
        import cv2

        cfg = self.cfg
        dis = cv2.DISOpticalFlow_create(_DIS_PRESETS[cfg.flow_preset])
        width, height, eye_l, eye_r = crop_geometry(cfg.face_iod_px)
        alpha = float(1.0 - np.exp(-1.0 / (cfg.reference_s * source.fps)))
        total = source.n_frames_hint
        template = ref = ref_u8 = ref_points = None
        index = -1
        for index, gray in enumerate(source.frames(color=False)):
            points = None if gray is None else self.tracker.update(gray)
            self.unreadable += gray is None
            if points is None:
                if ref is not None:
                    self.resets += 1
                ref = None  # a new reference after the face comes back
                yield None
            else:
                if template is None:  # the first face fixes the canonical frame of this video
                    first = fit_similarity(np.array(eye_centres(points)), np.array([eye_l, eye_r]))
                    template = apply_affine(first, points[RIGID_LANDMARKS])
                matrix = fit_similarity(points[RIGID_LANDMARKS], template)
                crop = cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REPLICATE)
                aligned = apply_affine(matrix, points)
                if ref is None:
                    ref, ref_u8, ref_points = crop.astype(np.float32), crop, aligned.copy()
                flow = dis.calc(ref_u8, crop, None)  # [H, W, 2] on the reference grid
                yield FlowFrame(flow, ref_points, aligned)
                cv2.accumulateWeighted(crop, ref, alpha)
                ref_u8 = cv2.convertScaleAbs(ref)
                ref_points += alpha * (aligned - ref_points)
            if progress is not None and (index % 25 == 0):
                progress(index + 1, total)
        if progress is not None:
            progress(index + 1, index + 1)

    def finish(self, source, rows: "RowBuffer") -> dict:
        """Tracking metadata of a finished video.

        Raises:
            InputError: no frame, or no face in any frame.
        """
        n = rows.n
        valid = int(rows.mask[:n].sum())
        if n == 0:
            raise input_error(source.path or source.name, "no frames")
        if valid == 0:
            raise input_error(source.path or source.name, f"no face found in any of {n} frames")
        log.debug("%s: %d frames (%d with a face) in %.1f s", source.name, n, valid, time.perf_counter() - self.started)
        return {**source.describe(), "frames_with_face": valid, "masked_frames": n - valid,
                "unreadable_frames": self.unreadable, "face_acquisitions": self.tracker.n_acquired,
                "full_frame_detections": self.tracker.n_full_detections, "reference_resets": self.resets}
