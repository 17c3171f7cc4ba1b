"""The AU -> facial region map of the ``flow`` backend, and how one frame becomes K numbers.

All numbers are in **percent of the inter-ocular distance** (IOD, the distance between the two eye
centres), measured in the aligned face crop, so they do not depend on the face's size in the video.

Flow AUs: the optical flow from the reference face (a slow running average of the aligned face,
see `causalex.extract.flow`) to the current face is averaged in a small square patch
(half-side ``patch`` x IOD) at each of the AU's anchor points. The mean flow of the nose patches
(landmarks 28-30, the reference region of MDMO and AUW-GCN) is subtracted to remove what is left of
global head motion after alignment, and the result is projected on the AU's direction of motion::

    activation = mean over patches of  (flow(patch) - flow(nose)) . direction  / IOD * 100

Positive values mean the skin moved the way the AU moves it (e.g. AU12: lip corners out and up),
negative values the opposite way; 0 is the reference face.

Geometric AUs, where landmarks measure the AU better than flow:
  * AU25 lips part: gap between the inner lips (landmarks 61-67, 62-66, 63-65), 0 = lips closed.
  * AU26 jaw drop: downward move of the chin (landmark 8) relative to the reference face.
  * AU45 blink: how much the eyes closed relative to the reference face (eyelid gaps 37-41, 38-40,
    43-47, 44-46).

Directions use image coordinates (x right, y down); "image-left" is the subject's right side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

UP, DOWN = (0.0, -1.0), (0.0, 1.0)
_S = float(np.sqrt(0.5))
NOSE_REFERENCE = (28, 29, 30)


@dataclass(frozen=True)
class Patch:
    """One anchor of an AU: a square patch centred on the mean of some landmarks (plus an offset)."""

    landmarks: tuple[int, ...]  # centre = mean of these aligned landmarks
    direction: tuple[float, float] = UP  # unit vector of the AU's skin motion (x right, y down)
    offset: tuple[float, float] = (0.0, 0.0)  # added to the centre, in IOD units


@dataclass(frozen=True)
class AURegion:
    """How one AU is measured: from flow in its patches, or from a landmark geometry."""

    au: str
    action: str  # FACS name
    measure: str  # "flow", "lip_gap", "chin_drop" or "eye_closure"
    meaning: str  # what a positive number means
    patches: tuple[Patch, ...] = ()


def _pair(left: tuple[int, ...], right: tuple[int, ...], left_dir, right_dir=None, offset=(0.0, 0.0)):
    """Image-left and image-right patches; the right direction/offset mirror the left ones by default."""
    right_dir = right_dir if right_dir is not None else (-left_dir[0], left_dir[1])
    return (Patch(left, left_dir, offset), Patch(right, right_dir, (-offset[0], offset[1])))


AU_REGIONS: tuple[AURegion, ...] = (
    AURegion("AU01", "inner brow raiser", "flow", "inner brow ends (20-21, 22-23) move up",
             _pair((20, 21), (22, 23), UP)),
    AURegion("AU02", "outer brow raiser", "flow", "outer brow ends (17-18, 25-26) move up",
             _pair((17, 18), (25, 26), UP)),
    AURegion("AU04", "brow lowerer", "flow", "brows (19-21, 22-24) move down and toward the midline",
             _pair((19, 20, 21), (22, 23, 24), (0.6, 0.8))),
    AURegion("AU05", "upper lid raiser", "flow", "upper eyelids (37-38, 43-44) move up",
             _pair((37, 38), (43, 44), UP)),
    AURegion("AU06", "cheek raiser", "flow", "cheeks (0.45 IOD below the lower lids) move up",
             _pair((40, 41), (46, 47), UP, offset=(0.0, 0.45))),
    AURegion("AU07", "lid tightener", "flow", "lower eyelids (40-41, 46-47) move up",
             _pair((40, 41), (46, 47), UP)),
    AURegion("AU09", "nose wrinkler", "flow", "sides of the nose (between 31/39 and 35/42) move up",
             _pair((31, 39), (35, 42), UP)),
    AURegion("AU10", "upper lip raiser", "flow", "upper lip (50, 52) moves up",
             _pair((50,), (52,), UP)),
    AURegion("AU12", "lip corner puller", "flow", "lip corners (48, 54) move out and up",
             _pair((48,), (54,), (-_S, -_S))),
    AURegion("AU14", "dimpler", "flow", "skin just outside the lip corners moves in toward them (weak proxy)",
             _pair((48,), (54,), (1.0, 0.0), offset=(-0.2, 0.0))),
    AURegion("AU15", "lip corner depressor", "flow", "lip corners (48, 54) move down",
             _pair((48,), (54,), DOWN)),
    AURegion("AU17", "chin raiser", "flow", "chin boss (between 8 and 57) moves up",
             (Patch((8, 57), UP),)),
    AURegion("AU20", "lip stretcher", "flow", "lip corners (48, 54) move sideways out (slightly down)",
             _pair((48,), (54,), (-0.95, 0.31))),
    AURegion("AU23", "lip tightener", "flow", "upper (51) and lower (57) lip move toward each other",
             (Patch((51,), DOWN), Patch((57,), UP))),
    AURegion("AU25", "lips part", "lip_gap", "gap between the inner lips (0 = closed)"),
    AURegion("AU26", "jaw drop", "chin_drop", "chin (8) moved down relative to the reference face"),
    AURegion("AU45", "blink", "eye_closure", "eyelid gaps closed relative to the reference face"),
)

AU_NAMES: list[str] = [r.au for r in AU_REGIONS]
SCALE = "percent_iod"


def region_table() -> dict[str, dict]:
    """The AU -> region map as JSON-serialisable metadata (stored in every series file)."""
    return {r.au: {"action": r.action, "measure": r.measure, "meaning": r.meaning} for r in AU_REGIONS}


class RegionSampler:
    """Turns (flow, landmarks) of one frame into K activations, using the AU map above.

    Args:
        patch: half-side of a patch, in IOD units.
    """

    def __init__(self, patch: float = 0.15) -> None:
        self.patch = float(patch)
        patches = [(k, p) for k, r in enumerate(AU_REGIONS) for p in r.patches]
        patches += [(-1, Patch((i,))) for i in NOSE_REFERENCE]  # the nose reference patches come last
        n_p = len(patches)
        self.n_nose = len(NOSE_REFERENCE)
        self.centre_weights = np.zeros((n_p, 68))  # [P, 68]: patch centre = weights @ landmarks
        self.offsets = np.zeros((n_p, 2))  # [P, 2] in IOD units
        self.directions = np.zeros((n_p, 2))  # [P, 2]
        self.au_of_patch = np.zeros((len(AU_REGIONS), n_p - self.n_nose))  # [K, P_au]: mean over an AU's patches
        for j, (k, p) in enumerate(patches):
            self.centre_weights[j, list(p.landmarks)] = 1.0 / len(p.landmarks)
            self.offsets[j] = p.offset
            self.directions[j] = np.asarray(p.direction) / np.linalg.norm(p.direction)
            if k >= 0:
                self.au_of_patch[k, j] = 1.0
        counts = self.au_of_patch.sum(axis=1, keepdims=True)
        self.au_of_patch = np.divide(self.au_of_patch, counts, out=np.zeros_like(self.au_of_patch), where=counts > 0)
        self.flow_rows = np.array([r.measure == "flow" for r in AU_REGIONS])
        self.measure_index = {r.measure: k for k, r in enumerate(AU_REGIONS) if r.measure != "flow"}

    def patch_means(self, flow: np.ndarray, centres: np.ndarray, iod: float) -> np.ndarray:
        """Mean flow in each patch. Shapes: ``flow: [H, W, 2]``, ``centres: [P, 2]`` -> ``[P, 2]``."""
        import cv2

        h, w = flow.shape[:2]
        integral = cv2.integral(flow)  # [H+1, W+1, 2] float64
        r = max(1.0, self.patch * iod)
        x0 = np.clip(np.round(centres[:, 0] - r), 0, w - 1).astype(int)
        x1 = np.clip(np.round(centres[:, 0] + r) + 1, x0 + 1, w).astype(int)
        y0 = np.clip(np.round(centres[:, 1] - r), 0, h - 1).astype(int)
        y1 = np.clip(np.round(centres[:, 1] + r) + 1, y0 + 1, h).astype(int)
        sums = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
        return sums / ((x1 - x0) * (y1 - y0))[:, None]

    def activations(self, flow: np.ndarray, ref_points: np.ndarray, points: np.ndarray, iod: float) -> np.ndarray:
        """K activations (percent IOD) of one frame.

        Args:
            flow: ``[H, W, 2]`` optical flow from the reference face to this face (aligned crop pixels).
            ref_points: ``[68, 2]`` landmarks of the reference face in the crop (patches sit there).
            points: ``[68, 2]`` landmarks of this face in the crop.
            iod: inter-ocular distance in crop pixels.

        Returns:
            ``[K]`` float32 in the order of `AU_NAMES`.
        """
        centres = self.centre_weights @ ref_points + self.offsets * iod
        means = self.patch_means(flow, centres, iod)
        relative = means[:-self.n_nose] - means[-self.n_nose:].mean(axis=0)  # [P_au, 2], head motion removed
        projected = (relative * self.directions[:-self.n_nose]).sum(axis=1)
        out = self.au_of_patch @ projected
        out[self.measure_index["lip_gap"]] = lip_gap(points)
        out[self.measure_index["chin_drop"]] = points[8, 1] - ref_points[8, 1]
        out[self.measure_index["eye_closure"]] = eye_opening(ref_points) - eye_opening(points)
        return (out * (100.0 / iod)).astype(np.float32)


def lip_gap(points: np.ndarray) -> float:
    """Mean distance between the inner lips. Shapes: ``points: [68, 2]``."""
    pairs = np.array([[61, 67], [62, 66], [63, 65]])
    return float(np.linalg.norm(points[pairs[:, 0]] - points[pairs[:, 1]], axis=1).mean())


def eye_opening(points: np.ndarray) -> float:
    """Mean eyelid gap of both eyes. Shapes: ``points: [68, 2]``."""
    pairs = np.array([[37, 41], [38, 40], [43, 47], [44, 46]])
    return float(np.linalg.norm(points[pairs[:, 0]] - points[pairs[:, 1]], axis=1).mean())
