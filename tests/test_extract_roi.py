"""Region optical-flow features (``roi``): layouts placed on a real face, head-motion removal, node kinds."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from causalex.discover.facs_prior import facs_background, facs_prior_graph
from causalex.errors import InputError
from causalex.extract import ArraySource, available_extractors, extract_video, make_extractor
from causalex.extract.flow import AlignedFlow, FlowConfig
from causalex.extract.landmarks import FaceTracker
from causalex.extract.roi import RoiSampler, box_means, roi_node_names
from causalex.extract.roi_layouts import LAYOUTS, NOSE_REFERENCE, layout_of_nodes, make_layout, region_rectangles
from causalex.series import REGION_NAME_RE, ROI_SCALE, AUSeries, node_kind_of, node_kind_problem

CLIP = Path(__file__).parent / "data" / "extract" / "wolfgang_48f_320x180.mp4"
EXPECTED_SIZES = {"auwgcn12": 12, "metst5": 5, "boosting18": 18}


def _frames(n: int | None = None) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(CLIP))
    frames = []
    while n is None or len(frames) < n:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


@pytest.fixture(scope="module")
def aligned_face():
    """Reference landmarks of the real clip's face in the aligned crop, the crop size and the IOD (pixels)."""
    cfg = FlowConfig()
    first = next(f for f in AlignedFlow(cfg).frames(ArraySource(_frames(1), fps=24.0)) if f is not None)
    h, w = first.flow.shape[:2]
    return first.ref_points, (w, h), float(cfg.face_iod_px)


@pytest.fixture(scope="module")
def clip_series():
    return {layout: extract_video(CLIP, backend="roi", layout=layout) for layout in LAYOUTS}


def test_layouts_have_the_papers_region_counts_and_region_names():
    assert {name: len(make_layout(name)) for name in LAYOUTS} == EXPECTED_SIZES
    for name in LAYOUTS:
        names = roi_node_names(name)
        assert len(set(names)) == len(names) and all(REGION_NAME_RE.match(n) for n in names)
        assert node_kind_of(names) == "roi" and layout_of_nodes(names) == name
        assert roi_node_names(name, "xy")[:2] == [f"{names[0]}_x", f"{names[0]}_y"]
    with pytest.raises(ValueError, match="auwgcn12, metst5, boosting18"):
        make_layout("lgsnet")
    with pytest.raises(InputError, match="unknown region layout 'lgsnet'"):
        make_extractor("roi", layout="lgsnet")
    with pytest.raises(InputError, match="value must be one of magnitude, xy"):
        make_extractor("roi", value="angle")
    assert "roi" in available_extractors()


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_regions_sit_on_their_facial_parts_of_a_real_face(aligned_face, layout):
    points, (w, h), iod = aligned_face
    regions = make_layout(layout)
    rects = region_rectangles(regions, points, iod)
    eye_y = points[36:48, 1].mean()
    nose_tip_y, mouth_y, mid_x = points[33, 1], points[48:68, 1].mean(), points[27:31, 0].mean()
    for r, (x0, y0, x1, y1) in zip(regions, rects):
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h, r.name  # inside the crop, not empty
        assert x1 - x0 >= 0.1 * iod and y1 - y0 >= 0.1 * iod, r.name  # a region, not a pixel
        part = r.name.split("_")[0]
        if part == "brow":
            assert cy < eye_y - 0.1 * iod, r.name
        elif part == "mouth":
            assert cy > nose_tip_y, r.name
        elif part == "lid":
            assert eye_y < cy < nose_tip_y, r.name
        elif r.name.startswith("nose_wing"):
            assert eye_y < cy < mouth_y, r.name
        side = r.name.split("_")[1] if part in ("brow", "lid") or r.name.startswith("nose_wing") else ""
        if side == "l" or r.name.endswith("_l"):
            assert cx < mid_x, r.name
        if side == "r" or r.name.endswith("_r"):
            assert cx > mid_x, r.name
    (ref,) = region_rectangles((NOSE_REFERENCE,), points, iod)
    assert ref[0] < points[30, 0] < ref[2] and ref[1] < points[29, 1] < points[30, 1] < ref[3]


def test_mean_flow_per_box_and_a_global_shift_gives_zero_region_flow(aligned_face):
    points, (w, h), iod = aligned_face
    ramp = np.dstack(np.meshgrid(np.arange(w, dtype=np.float32), np.zeros(h, np.float32)))  # x-flow = column
    assert box_means(ramp, np.array([[10.0, 5.0, 19.0, 9.0]]))[0] == pytest.approx([14.5, 0.0])
    sampler = RoiSampler("boosting18")
    shift = np.empty((h, w, 2), np.float32)
    shift[...] = (2.5, -1.5)  # the whole face moved: what is left of head motion after alignment
    assert np.abs(sampler.region_flow(shift, points, iod)).max() < 1e-6
    brows = shift.copy()
    brows[: int(points[27, 1]), :, 1] -= 2.0  # the brow band moves up 2 px on top of the shift
    out = sampler.region_flow(brows, points, iod)
    names = [r.name for r in make_layout("boosting18")]
    moved = [i for i, n in enumerate(names) if n.startswith("brow")]
    assert np.allclose(out[moved], [0.0, -200.0 / iod], atol=1e-4)
    assert np.abs(np.delete(out, moved, axis=0)).max() < 1e-6


def test_a_still_real_face_shifted_across_the_frame_gives_near_zero_region_flow(clip_series):
    still = _frames(1)[0]
    points = FaceTracker().update(cv2.cvtColor(still, cv2.COLOR_BGR2GRAY))
    face_iod = float(np.linalg.norm(points[36:42].mean(0) - points[42:48].mean(0)))
    rng = np.random.default_rng(0)
    frames, shifts = [], []
    for t in range(30):  # a drift of several pixels with sub-pixel jitter, and sensor noise
        dx, dy = 0.4 * t + rng.normal(0, 0.3), 0.2 * t + rng.normal(0, 0.3)
        moved = cv2.warpAffine(still, np.float32([[1, 0, dx], [0, 1, dy]]), still.shape[1::-1],
                               borderMode=cv2.BORDER_REFLECT)
        frames.append(np.clip(moved + rng.normal(0, 2, moved.shape), 0, 255).astype(np.uint8))
        shifts.append(np.hypot(dx, dy) * 100 / face_iod)  # the head motion, percent IOD
    series = make_extractor("roi", layout="metst5").extract(ArraySource(frames, fps=24.0))
    assert series.mask.all() and max(shifts) > 25  # the head moved by more than 25 % of its IOD
    assert np.abs(series.values).max() < 0.1 * max(shifts)  # what is left is landmark jitter and noise
    assert np.abs(series.values).mean() < 0.04 * max(shifts)
    # the real clip (a person talking) moves its regions far more than the shifted still face
    assert np.percentile(clip_series["metst5"].values, 90) > 3 * np.abs(series.values).mean()


def test_region_series_of_the_real_clip(clip_series):
    for layout, series in clip_series.items():
        assert series.mask.all() and series.n_aus == EXPECTED_SIZES[layout]
        assert series.node_kind == f"roi:{layout}" and series.scale == ROI_SCALE and series.source == "roi"
        assert series.meta["roi_layout"]["name"] == layout and series.meta["settings"]["layout"] == layout
        assert np.isfinite(series.values).all() and (series.values >= 0).all()
    xy = extract_video(CLIP, backend="roi", layout="metst5", value="xy")
    assert xy.au_names == roi_node_names("metst5", "xy")
    mags = np.hypot(xy.values[:, 0::2], xy.values[:, 1::2])
    assert np.allclose(mags, clip_series["metst5"].values, atol=1e-4)  # xy and magnitude: the same flow


def test_region_series_round_trip_and_node_kind_checks(clip_series, tmp_path):
    series = clip_series["auwgcn12"]
    back = AUSeries.load(series.save(tmp_path / "r.parquet"))
    assert back.au_names == series.au_names and back.node_kind == "roi:auwgcn12"
    with pytest.raises(ValueError, match="mixed"):
        AUSeries(values=np.zeros((3, 2)), mask=np.ones(3, bool), fps=30, au_names=["AU01", "brow_l"], video="v")
    with pytest.raises(ValueError, match="node names must be"):
        AUSeries(values=np.zeros((3, 1)), mask=np.ones(3, bool), fps=30, au_names=["valid"], video="v")
    aus = ["AU01", "AU12"]
    assert node_kind_problem(aus, aus) is None and node_kind_problem(series.au_names, series.au_names[:3]) is None
    assert node_kind_problem(aus, series.au_names) == (
        "AU features given to a model trained on region features (roi:auwgcn12): extract the videos with "
        "--features roi, or use a model trained on AU features")
    assert node_kind_problem(series.au_names, aus).startswith("region features (roi:auwgcn12) given to a model "
                                                              "trained on AU features")
    other = node_kind_problem(roi_node_names("metst5"), series.au_names)
    assert other.startswith("region features (roi:metst5) lack the model's region(s) brow_l_18")


def test_the_facs_prior_refuses_region_nodes():
    names = roi_node_names("metst5")
    for build in (facs_prior_graph, facs_background):
        with pytest.raises(InputError, match="the FACS prior links action units, but these nodes are facial "
                                             "regions \\(brow_l, brow_r, mouth, nose_wing_l ...\\)"):
            build(names)
    assert facs_prior_graph(["AU01", "AU02"]).adjacency.sum() == 2  # AU nodes: unchanged


def test_the_cli_offers_every_layout_and_the_default():
    from causalex.extract.roi_layouts import DEFAULT_LAYOUT
    from causalex_cli.commands.extract import RoiLayout

    assert [m.value for m in RoiLayout] == list(LAYOUTS) and list(RoiLayout)[0].value == DEFAULT_LAYOUT
