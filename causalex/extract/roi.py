"""Region (ROI) optical-flow features (``roi``): per frame, the head-motion-free mean flow in named facial regions.

The frames go through the same loop as the AU backend (`causalex.extract.flow.AlignedFlow`): dlib
landmarks, a similarity-aligned face crop (head translation, in-plane rotation and scale removed), and
dense DIS optical flow from a slowly updated reference face to each crop. Then, per region of the
chosen layout (`causalex.extract.roi_layouts`):

    flow(region) = mean flow in the region's rectangle - mean flow in the nose reference box

in percent of the inter-ocular distance. What is left of head motion after alignment moves the nose
as much as the rest of the face, so the subtraction cancels it (a global shift gives zero).

Stored value per region (``value``):

* ``magnitude`` (default): one node per region, ``|flow(region)|`` (>= 0): the series' nodes are the
  regions, as the graph layer and discovery see them;
* ``xy``: two nodes per region, ``<region>_x`` and ``<region>_y`` (signed, x right, y down), the two
  numbers AUW-GCN feeds each region node; here they are separate nodes.

Deviation from the papers: the flow is taken against a running-average reference face (time constant
``reference_s``), not against the first frame of each k-frame window (ME-TST) or between frames a fixed
step apart (AUW-GCN); a held expression shows as a plateau that fades over a few ``reference_s``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import numpy as np

from causalex.extract.base import Extractor, FrameProgress, register_extractor
from causalex.extract.flow import AlignedFlow, FlowConfig, RowBuffer
from causalex.extract.landmarks import load_dlib_models
from causalex.extract.roi_layouts import (DEFAULT_LAYOUT, LAYOUT_SOURCES, NOSE_REFERENCE, layout_table, make_layout,
                                          region_rectangles)
from causalex.series import ROI_SCALE, AUSeries

ROI_VALUES = ("magnitude", "xy")


@dataclass
class RoiConfig:
    """Options of the ``roi`` extractor: the layout, the stored value, and the shared flow options."""

    layout: str = DEFAULT_LAYOUT  # region layout: auwgcn12 | metst5 | boosting18 (causalex.extract.roi_layouts)
    value: str = "magnitude"  # magnitude (one node per region) | xy (two signed nodes per region)
    flow: FlowConfig = field(default_factory=FlowConfig)  # alignment, reference face and optical flow

    def __post_init__(self) -> None:
        make_layout(self.layout)  # raises ValueError listing the valid layouts
        if self.value not in ROI_VALUES:
            raise ValueError(f"value must be one of {', '.join(ROI_VALUES)}, got {self.value!r}")


def roi_node_names(layout: str, value: str = "magnitude") -> list[str]:
    """Node names of a region series: the region names, or ``<region>_x``, ``<region>_y`` for ``xy``."""
    names = [r.name for r in make_layout(layout)]
    return names if value == "magnitude" else [f"{n}_{a}" for n in names for a in "xy"]


def node_kind(layout: str) -> str:
    """The node kind a region series of ``layout`` records: ``roi:<layout>``."""
    return f"roi:{layout}"


class RoiSampler:
    """Mean flow per region minus the nose reference's, for one layout.

    Args:
        layout: layout name (see `causalex.extract.roi_layouts.LAYOUTS`).
    """

    def __init__(self, layout: str = DEFAULT_LAYOUT) -> None:
        self.regions = make_layout(layout) + (NOSE_REFERENCE,)  # the reference comes last

    def region_flow(self, flow: np.ndarray, ref_points: np.ndarray, iod: float) -> np.ndarray:
        """Head-motion-free mean flow per region, percent IOD.

        Args:
            flow: ``[H, W, 2]`` flow from the reference face (crop pixels).
            ref_points: ``[68, 2]`` landmarks of the reference face in the crop (regions sit there).
            iod: inter-ocular distance in crop pixels.

        Returns:
            ``[R, 2]`` float64 (x right, y down).
        """
        means = box_means(flow, region_rectangles(self.regions, ref_points, iod))
        return (means[:-1] - means[-1]) * (100.0 / iod)


def box_means(flow: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """Mean of ``flow`` in each rectangle, clipped to the image (at least one pixel).

    Shapes: ``flow: [H, W, 2]``, ``rects: [R, 4]`` as ``x0, y0, x1, y1`` -> ``[R, 2]``.
    """
    import cv2

    h, w = flow.shape[:2]
    integral = cv2.integral(flow)  # [H+1, W+1, 2] float64
    x0 = np.clip(np.round(rects[:, 0]), 0, w - 1).astype(int)
    y0 = np.clip(np.round(rects[:, 1]), 0, h - 1).astype(int)
    x1 = np.clip(np.round(rects[:, 2]) + 1, x0 + 1, w).astype(int)
    y1 = np.clip(np.round(rects[:, 3]) + 1, y0 + 1, h).astype(int)
    sums = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    return sums / ((x1 - x0) * (y1 - y0))[:, None]


@register_extractor("roi")
class RoiExtractor(Extractor):
    """Region optical-flow features (offline: dlib landmarks + OpenCV DIS flow).

    Args:
        layout: region layout name; value: ``magnitude`` or ``xy``; other keywords: `FlowConfig` fields.
    """

    version = "1"

    def __init__(self, layout: str = DEFAULT_LAYOUT, value: str = "magnitude", **flow_options) -> None:
        known = {f.name for f in fields(FlowConfig)}
        unknown = sorted(set(flow_options) - known)
        if unknown:
            raise TypeError(f"unknown option(s) {', '.join(unknown)}; valid: layout, value, {', '.join(sorted(known))}")
        self.config = RoiConfig(layout=layout, value=value, flow=FlowConfig(**flow_options))

    def check(self) -> None:
        """Raise `BackendUnavailable` if dlib or the landmark model is missing."""
        load_dlib_models()

    def settings(self) -> dict:
        """Layout, value and the flow options, as a flat dict."""
        return {"layout": self.config.layout, "value": self.config.value, **asdict(self.config.flow)}

    def extract(self, source, progress: FrameProgress | None = None) -> AUSeries:
        """Extract ``[T, R]`` (magnitude) or ``[T, 2R]`` (xy) region flow, percent IOD, and the mask ``[T]``.

        Raises:
            InputError: unreadable video, or no face in any frame.
        """
        cfg = self.config
        iod = float(cfg.flow.face_iod_px)
        sampler = RoiSampler(cfg.layout)
        names = roi_node_names(cfg.layout, cfg.value)
        flows = AlignedFlow(cfg.flow)
        rows = RowBuffer(len(names), source.n_frames_hint)
        for frame in flows.frames(source, progress):
            if frame is None:
                rows.append(None)
                continue
            xy = sampler.region_flow(frame.flow, frame.ref_points, iod)  # [R, 2]
            rows.append(np.hypot(xy[:, 0], xy[:, 1]) if cfg.value == "magnitude" else xy.reshape(-1))
        meta = {"extractor": self.name, "extractor_version": self.version, "settings": self.settings(),
                **flows.finish(source, rows), "node_kind": node_kind(cfg.layout),
                "units": "percent of inter-ocular distance", "roi_value": cfg.value,
                "roi_layout": {"name": cfg.layout, "source": LAYOUT_SOURCES[cfg.layout],
                               "regions": layout_table(cfg.layout)}}
        return AUSeries(values=rows.data[:rows.n].copy(), mask=rows.mask[:rows.n].copy(), fps=source.fps,
                        au_names=names, video=source.name, source="roi", scale=ROI_SCALE, meta=meta)
