"""Face detection and tracking with dlib: detect once, follow with the landmark model, re-detect on loss.

The weights come from PyPI packages, nothing is downloaded at run time: ``dlib-bin`` has the HOG
frontal-face detector built in, and ``face-recognition-models`` ships the 68-point landmark model
(``shape_predictor_68_face_landmarks.dat``). That package's ``__init__`` imports ``pkg_resources``
(gone from recent setuptools), so the file is located with `importlib.util.find_spec`, which does not
run the package.

Tracking: the full-frame HOG detector (about 17 ms at 640x360) runs only to (re)acquire a face. On
the next frames the landmark model is run in a box placed from the previous frame's landmarks, and
every ``verify_every`` frames the detector checks a small, downscaled crop around that box (about
2 ms). A failed check or implausible landmarks mark the face as lost: that frame is masked and the
next frame runs a full-frame detection again. The HOG window is 80 px: faces smaller than about
80 px (after the ``detect_width`` downscaling of wide frames) are not found.

Landmark indices (dlib 68): jaw 0-16, brows 17-21 / 22-26, nose bridge 27-30, nostrils 31-35,
eyes 36-41 / 42-47, outer lips 48-59, inner lips 60-67 (the first of each pair is on image-left).
"""

from __future__ import annotations

import functools
import importlib.util
import logging
from pathlib import Path

import numpy as np

from causalex.extract.base import BackendUnavailable

log = logging.getLogger(__name__)

LANDMARK_MODEL_FILE = "shape_predictor_68_face_landmarks.dat"
LEFT_EYE = (36, 39)  # corners of the image-left eye
RIGHT_EYE = (42, 45)


def landmark_model_path() -> Path:
    """Path of the 68-point landmark model shipped by ``face-recognition-models``.

    Raises:
        BackendUnavailable: the package or its model file is missing.
    """
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable("face-recognition-models is not installed: pip install face-recognition-models "
                                 "(it ships the 68-point landmark model used by the 'flow' backend)")
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "models" / LANDMARK_MODEL_FILE
        if path.is_file():
            return path
    raise BackendUnavailable(f"{LANDMARK_MODEL_FILE} is missing from face-recognition-models: "
                             "reinstall it with pip install --force-reinstall face-recognition-models")


@functools.lru_cache(maxsize=1)
def load_dlib_models():
    """The dlib HOG face detector and the 68-point landmark predictor (loaded once per process).

    Raises:
        BackendUnavailable: dlib or the landmark model is missing.
    """
    try:
        import dlib
    except ImportError as exc:
        raise BackendUnavailable(f"dlib cannot be imported ({exc}): pip install dlib-bin") from exc
    path = landmark_model_path()
    return dlib.get_frontal_face_detector(), dlib.shape_predictor(str(path))


def eye_centres(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the two eyes from their corners. Shapes: ``points: [68, 2]`` -> two ``[2]``."""
    return points[list(LEFT_EYE)].mean(axis=0), points[list(RIGHT_EYE)].mean(axis=0)


def _rect_array(rect) -> np.ndarray:
    return np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], dtype=np.float64)


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two ``[x0, y0, x1, y1]`` boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return float(inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter))


class FaceTracker:
    """Follow the largest face of a video: `update` gives its 68 landmarks per frame, or None.

    Args:
        verify_every: check the tracked face with the detector every this many frames (1 = every frame).
        detect_width: frames wider than this are downscaled for full-frame detection.
        verify_face_px: size the face is scaled to for the local check (the HOG window is 80 px).
    """

    def __init__(self, verify_every: int = 1, detect_width: int = 640, verify_face_px: int = 100) -> None:
        self.detector, self.predictor = load_dlib_models()
        self.verify_every = max(1, int(verify_every))
        self.detect_width = int(detect_width)
        self.verify_face_px = int(verify_face_px)
        self.box_rel: np.ndarray | None = None  # detector box relative to the eyes: (dx, dy, w, h) / IOD
        self.points: np.ndarray | None = None  # [68, 2] of the previous frame
        self.since_check = 0
        self.n_full_detections = 0  # full-frame detector runs
        self.n_acquired = 0  # times a face was (re)acquired
        self.n_lost = 0

    # -- public -----------------------------------------------------------------------------
    def update(self, gray: np.ndarray) -> np.ndarray | None:
        """Landmarks of the tracked face in this frame, or None when there is no face.

        Shapes: ``gray: [H, W]`` uint8 -> ``[68, 2]`` float64 pixel coordinates (x, y).
        """
        if self.points is None:
            box = self._detect_full(gray)
            if box is None:
                return None
            self.n_acquired += 1
            return self._landmarks(gray, box, anchor=True)
        box = self._box_from_points(self.points)
        self.since_check += 1
        if self.since_check >= self.verify_every:
            self.since_check = 0
            found = self._detect_near(gray, box)
            if found is None or box_iou(found, box) < 0.2:
                return self._lose("detector lost the face")
            if box_iou(found, box) < 0.5:  # the tracked box drifted: re-anchor on the detection
                return self._landmarks(gray, found, anchor=True)
        return self._landmarks(gray, box, anchor=False)

    # -- internals --------------------------------------------------------------------------
    def _lose(self, why: str) -> None:
        log.debug("face lost: %s", why)
        self.points = None
        self.n_lost += 1
        return None

    def _landmarks(self, gray: np.ndarray, box: np.ndarray, anchor: bool) -> np.ndarray | None:
        import dlib

        rect = dlib.rectangle(*[int(round(v)) for v in box])
        shape = self.predictor(gray, rect)
        pts = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
        left, right = eye_centres(pts)
        iod = float(np.linalg.norm(right - left))
        h, w = gray.shape[:2]
        inside = ((pts[:, 0] >= -0.1 * w) & (pts[:, 0] <= 1.1 * w) & (pts[:, 1] >= -0.1 * h) & (pts[:, 1] <= 1.1 * h))
        if iod < 8 or inside.mean() < 0.8:
            return self._lose("implausible landmarks")
        if self.points is not None:
            old_l, old_r = eye_centres(self.points)
            old_iod = float(np.linalg.norm(old_r - old_l))
            if not 0.7 < iod / old_iod < 1.4:
                return self._lose("face size jumped")
        if anchor or self.box_rel is None:
            mid = (left + right) / 2
            self.box_rel = np.array([(box[0] + box[2]) / 2 - mid[0], (box[1] + box[3]) / 2 - mid[1],
                                     box[2] - box[0], box[3] - box[1]]) / iod
        self.points = pts
        return pts

    def _box_from_points(self, pts: np.ndarray) -> np.ndarray:
        left, right = eye_centres(pts)
        iod = float(np.linalg.norm(right - left))
        mid = (left + right) / 2
        cx, cy, bw, bh = self.box_rel * iod
        cx, cy = cx + mid[0], cy + mid[1]
        return np.array([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2])

    def _detect_full(self, gray: np.ndarray) -> np.ndarray | None:
        import cv2

        self.n_full_detections += 1
        scale = min(1.0, self.detect_width / gray.shape[1])
        small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        rects = self.detector(small, 0)
        if len(rects) == 0:
            return None
        boxes = [_rect_array(r) / scale for r in rects]
        return max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))

    def _detect_near(self, gray: np.ndarray, box: np.ndarray) -> np.ndarray | None:
        import cv2

        side = max(box[2] - box[0], box[3] - box[1])
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        h, w = gray.shape[:2]
        x0, y0 = int(max(0, cx - side)), int(max(0, cy - side))
        x1, y1 = int(min(w, cx + side)), int(min(h, cy + side))
        if x1 - x0 < 16 or y1 - y0 < 16:
            return None
        scale = min(1.0, self.verify_face_px / side)
        crop = gray[y0:y1, x0:x1]
        if scale < 1.0:
            crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        rects = self.detector(crop, 0)
        if len(rects) == 0:
            return None
        boxes = [_rect_array(r) / scale + np.array([x0, y0, x0, y0]) for r in rects]
        return max(boxes, key=lambda b: box_iou(b, box))
