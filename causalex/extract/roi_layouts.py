"""Named facial-region (ROI) layouts on dlib's 68 landmarks, as the field's spotting methods place them.

A layout is a list of `RegionBox` es; each is a rectangle in the aligned face crop, placed per frame from
the reference face's landmarks and sized in units of the inter-ocular distance (IOD: the distance
between the two eye centres), so the same layout fits any face size. Two shapes:

* ``patch``: a rectangle of half-size ``half`` (IOD) centred on the mean of ``landmarks`` (+ ``offset``);
* ``box``: the bounding box of ``landmarks`` grown by ``margin`` = (left, top, right, bottom) in IOD.

Names use image sides: ``_l`` is image-left (the subject's right side), ``_r`` image-right. Node
names are lower-case (``[a-z][a-z0-9_]*``), so a region series never looks like an AU series.

Layouts (`LAYOUTS`; `make_layout` builds one by name):

* ``auwgcn12`` - AUW-GCN (Yin et al., ICME 2023) and Causal-Ex: 12 small square patches centred on
  landmarks 18, 19, 20 (image-left brow), 23, 24, 25 (image-right brow), 28, 30 (nose) and 48, 51, 54,
  57 (mouth). Their public feature code uses 11 x 11 px patches in their face crop; the crop's size in
  IOD is not stated there, so the half-side 0.1 IOD is our guess.
* ``metst5`` - ME-TST (Guo et al.; zizheng-guo/ME-TST ``feature_extraction.py``, the 5-ROI branch): the
  two brows (boxes around 17-21 and 22-26, grown upward), the mouth (box around 48-67) and the two nose
  wings (patches above-outside 31 and 35). Their margins are pixels of a 320-px crop that is 9 half
  inner-eye-corner distances wide (IOD about 140 px there); converted to IOD and rounded.
* ``boosting18`` - the 18-ROI set of the same ME-TST code (its other branch): the 5-ROI brows and mouth
  boxes, three patches on each brow (18-20, 23-25), five mouth patches (48, 54, 51, 57, 62), the two
  nose wings and two lower-eyelid boxes. The issue attributes 18 ROIs to BoostingVRME; its own code was
  not in the material we could read, so we take ME-TST's 18-ROI set for it (a guess, documented).

Head motion: every layout is read together with `NOSE_REFERENCE`, the bounding box of landmarks 29-30
grown by 0.1 IOD (AUW-GCN: 0.35 x half the inner-eye-corner distance; ME-TST: 13 px of 320; both about
0.1 IOD). Its mean flow is subtracted from every region (`causalex.extract.roi`).

Deviations: regions average the flow (an integral image, O(1) per region); AUW-GCN keeps the main
direction's strongest 60 % of vectors and ME-TST the strongest 20-70 % by magnitude, which we do not do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RegionBox:
    """One facial region: a landmark-anchored rectangle (see the module doc for the two shapes)."""

    name: str  # node name, lower-case
    landmarks: tuple[int, ...]  # dlib-68 indices it is placed from
    shape: str = "patch"  # "patch" (centred rectangle) or "box" (landmark bounding box + margins)
    half: tuple[float, float] = (0.1, 0.1)  # patch: half width, half height in IOD
    offset: tuple[float, float] = (0.0, 0.0)  # patch: centre shift in IOD (x right, y down)
    margin: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # box: grow left, top, right, bottom (IOD)

    def __post_init__(self) -> None:
        if self.shape not in ("patch", "box"):
            raise ValueError(f"region {self.name}: shape must be patch or box, got {self.shape!r}")


NOSE_REFERENCE = RegionBox("nose_reference", (29, 30), "box", margin=(0.1, 0.1, 0.1, 0.1))


def _patch(name: str, landmark: int | tuple[int, ...], half: float = 0.1, offset=(0.0, 0.0)) -> RegionBox:
    marks = (landmark,) if isinstance(landmark, int) else tuple(landmark)
    return RegionBox(name, marks, "patch", (half, half), offset)


_AUWGCN12 = (
    _patch("brow_l_18", 18), _patch("brow_l_19", 19), _patch("brow_l_20", 20),
    _patch("brow_r_23", 23), _patch("brow_r_24", 24), _patch("brow_r_25", 25),
    _patch("nose_28", 28), _patch("nose_30", 30),
    _patch("mouth_48", 48), _patch("mouth_51", 51), _patch("mouth_54", 54), _patch("mouth_57", 57),
)

_BROW_L = RegionBox("brow_l", tuple(range(17, 22)), "box", margin=(0.0, 0.07, 0.0, 0.0))
_BROW_R = RegionBox("brow_r", tuple(range(22, 27)), "box", margin=(0.0, 0.07, 0.0, 0.0))
_MOUTH = RegionBox("mouth", tuple(range(48, 68)), "box", margin=(0.07, 0.035, 0.07, 0.0))
_NOSE_WING_L = RegionBox("nose_wing_l", (31,), "patch", (0.1, 0.09), (-0.035, -0.05))
_NOSE_WING_R = RegionBox("nose_wing_r", (35,), "patch", (0.1, 0.09), (0.035, -0.05))

_METST5 = (_BROW_L, _BROW_R, _MOUTH, _NOSE_WING_L, _NOSE_WING_R)

_BOOSTING18 = (
    _BROW_L, _patch("brow_l_20", 20, 0.07), _patch("brow_l_19", 19, 0.07), _patch("brow_l_18", 18, 0.07),
    _BROW_R, _patch("brow_r_23", 23, 0.07), _patch("brow_r_24", 24, 0.07), _patch("brow_r_25", 25, 0.07),
    _MOUTH,
    RegionBox("mouth_48", (48,), "patch", (0.105, 0.07), (0.035, 0.0)),  # ME-TST grows the corner patches inward
    RegionBox("mouth_54", (54,), "patch", (0.105, 0.07), (-0.035, 0.0)),
    _patch("mouth_51", 51, 0.07), _patch("mouth_57", 57, 0.07), _patch("mouth_62", 62, 0.07),
    _NOSE_WING_L, _NOSE_WING_R,
    # below each eye: from a quarter to three quarters of an eye width (about 0.5 IOD) under its centre
    RegionBox("lid_lower_l", tuple(range(36, 42)), "patch", (0.2, 0.125), (0.0, 0.25)),
    RegionBox("lid_lower_r", tuple(range(42, 48)), "patch", (0.2, 0.125), (0.0, 0.25)),
)

LAYOUTS: dict[str, tuple[RegionBox, ...]] = {"auwgcn12": _AUWGCN12, "metst5": _METST5, "boosting18": _BOOSTING18}
LAYOUT_SOURCES = {  # where each layout comes from (stored in every region series)
    "auwgcn12": "AUW-GCN (ICME 2023) / Causal-Ex: 12 landmark patches",
    "metst5": "ME-TST: brows, mouth, nose wings",
    "boosting18": "ME-TST code's 18-ROI set, taken for BoostingVRME's 18 ROIs",
}
DEFAULT_LAYOUT = "auwgcn12"


def make_layout(name: str) -> tuple[RegionBox, ...]:
    """The regions of layout ``name``.

    Raises:
        ValueError: unknown name (the message lists the valid ones).
    """
    if name not in LAYOUTS:
        raise ValueError(f"unknown region layout {name!r}; valid: {', '.join(LAYOUTS)}")
    return LAYOUTS[name]


def layout_of_nodes(names: list[str]) -> str | None:
    """The layout whose node names (magnitude or ``_x``/``_y``) include all of ``names``, or None."""
    wanted = set(names)
    for layout, regions in LAYOUTS.items():
        base = [r.name for r in regions]
        if wanted <= set(base) | {f"{n}_{a}" for n in base for a in "xy"}:
            return layout
    return None


def region_rectangles(regions: tuple[RegionBox, ...], points: np.ndarray, iod: float) -> np.ndarray:
    """Rectangles ``[x0, y0, x1, y1]`` (float pixels) of ``regions`` on a face.

    Shapes: ``points: [68, 2]`` (crop pixels) -> ``[R, 4]``.
    """
    out = np.empty((len(regions), 4))
    for i, r in enumerate(regions):
        marks = points[list(r.landmarks)]
        if r.shape == "patch":
            cx, cy = marks.mean(axis=0) + np.asarray(r.offset) * iod
            hx, hy = np.asarray(r.half) * iod
            out[i] = (cx - hx, cy - hy, cx + hx, cy + hy)
        else:
            (x0, y0), (x1, y1) = marks.min(axis=0), marks.max(axis=0)
            left, top, right, bottom = np.asarray(r.margin) * iod
            out[i] = (x0 - left, y0 - top, x1 + right, y1 + bottom)
    return out


def layout_table(name: str) -> dict[str, dict]:
    """Layout ``name`` as JSON-serialisable metadata (stored in every region series)."""
    return {r.name: {"landmarks": list(r.landmarks), "shape": r.shape,
                     **({"half_iod": list(r.half), "offset_iod": list(r.offset)} if r.shape == "patch"
                        else {"margin_iod": list(r.margin)})}
            for r in make_layout(name)}
