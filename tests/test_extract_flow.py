"""The offline ``flow`` extractor on real faces: warped photo clips (AU12, AU45) and real video clips."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from causalex.errors import InputError
from causalex.extract import ArraySource, available_extractors, extract_video, make_extractor
from causalex.extract.flow import apply_affine, crop_geometry, fit_similarity
from causalex.extract.landmarks import eye_centres, load_dlib_models
from causalex.extract.regions import AU_NAMES, AU_REGIONS, RegionSampler, region_table

DATA = Path(__file__).parent / "data" / "extract"
FPS = 30.0
PULL = range(20, 28)  # frames with the lip corners pulled (8 frames)
BLINK = range(40, 44)  # frames with the eyes closed


class WarpedFace:
    """A real face photo (astronaut crop) and local warps of it, placed by dlib landmarks."""

    def __init__(self) -> None:
        small = cv2.imread(str(DATA / "astronaut_face.jpg"))
        self.image = cv2.resize(small, (420, 420), interpolation=cv2.INTER_CUBIC)
        gray = cv2.cvtColor(self.image, cv2.COLOR_BGR2GRAY)
        detector, predictor = load_dlib_models()
        rect = detector(gray, 0)[0]
        self.points = np.array([(p.x, p.y) for p in predictor(gray, rect).parts()], float)
        self.iod = float(np.linalg.norm(self.points[36:42].mean(0) - self.points[42:48].mean(0)))
        h, w = gray.shape
        self.yy, self.xx = np.mgrid[0:h, 0:w].astype(np.float32)

    def _remap(self, image, dx, dy):
        return cv2.remap(image, self.xx - dx, self.yy - dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)

    def lip_pull(self, amount_iod: float = 0.1) -> np.ndarray:
        """Pull both lip corners outward and upward (a smile, AU12) by a Gaussian displacement field."""
        dx, dy = np.zeros_like(self.xx), np.zeros_like(self.yy)
        sigma, amount = 0.25 * self.iod, amount_iod * self.iod * np.sqrt(0.5)
        for idx, side in ((48, -1.0), (54, 1.0)):
            cx, cy = self.points[idx]
            g = np.exp(-((self.xx - cx) ** 2 + (self.yy - cy) ** 2) / (2 * sigma ** 2))
            dx += side * amount * g
            dy -= amount * g
        return self._remap(self.image, dx, dy)

    def blink(self) -> np.ndarray:
        """Slide the upper eyelids down over the eyes (eyes closed, AU45)."""
        dy = np.zeros_like(self.yy)
        for lo in (36, 42):
            eye = self.points[lo:lo + 6]
            cx, half = eye[:, 0].mean(), (eye[:, 0].max() - eye[:, 0].min()) / 2
            y_up, y_low = eye[[1, 2], 1].mean(), eye[[4, 5], 1].mean()
            shift = 1.2 * (y_low - y_up)
            top = y_up - 0.3 * shift
            band = np.where(self.yy >= top, shift, shift * np.exp(-(top - self.yy) ** 2 / (2 * (0.7 * shift) ** 2)))
            dy += np.where(self.yy > y_low + 1, 0, band) * np.exp(-((self.xx - cx) / (1.2 * half)) ** 6)
        return self._remap(self.image, np.zeros_like(self.xx), dy)

    def clip(self, n: int = 60, seed: int = 0, drift: float = 0.05) -> list[np.ndarray]:
        """``n`` frames: the face with slow head drift, sub-pixel jitter and sensor noise; lips pulled on
        `PULL`, eyes closed on `BLINK`."""
        rng = np.random.default_rng(seed)
        pulled, closed = self.lip_pull(), self.blink()
        h, w = self.image.shape[:2]
        frames = []
        for t in range(n):
            base = pulled if t in PULL else closed if t in BLINK else self.image
            shift = np.float32([[1, 0, drift * t + rng.normal(0, 0.3)], [0, 1, 0.6 * drift * t + rng.normal(0, 0.3)]])
            moved = cv2.warpAffine(base, shift, (w, h), borderMode=cv2.BORDER_REFLECT)
            frames.append(np.clip(moved + rng.normal(0, 2, moved.shape), 0, 255).astype(np.uint8))
        return frames


@pytest.fixture(scope="module")
def face() -> WarpedFace:
    return WarpedFace()


@pytest.fixture(scope="module")
def warped_series(face):
    return make_extractor("flow").extract(ArraySource(face.clip(), fps=FPS, name="astronaut"))


def _column(series, au):
    return series.values[:, series.au_names.index(au)]


def _outside(n, *ranges):
    inside = set().union(*[set(r) for r in ranges])
    return np.array([t for t in range(n) if t not in inside])


def test_registry_lists_backends_and_rejects_unknown_names():
    assert {"flow", "pyfeat"} <= set(available_extractors())
    with pytest.raises(InputError, match="choose one of"):
        make_extractor("openface3")
    with pytest.raises(InputError, match="flow_preset"):
        make_extractor("flow", flow_preset="slowest")


def test_au_map_covers_the_project_aus_with_documented_regions():
    assert AU_NAMES == ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15",
                        "AU17", "AU20", "AU23", "AU25", "AU26", "AU45"]
    table = region_table()
    assert all(table[a]["meaning"] and table[a]["action"] for a in AU_NAMES)
    assert {r.au: r.measure for r in AU_REGIONS if r.measure != "flow"} == {
        "AU25": "lip_gap", "AU26": "chin_drop", "AU45": "eye_closure"}


def test_lip_corner_pull_peaks_in_au12_on_exactly_those_frames(warped_series):
    au12 = _column(warped_series, "AU12")
    assert warped_series.mask.all()
    rest = _outside(len(au12), PULL)
    assert set(np.argsort(au12)[-len(PULL):]) == set(PULL)  # the 8 largest values are the pulled frames
    assert au12[list(PULL)].min() > 4 * np.abs(au12[rest]).max()
    # the smile is not a frown: the lip corner depressor goes the other way on those frames
    assert _column(warped_series, "AU15")[list(PULL)].mean() < 0


def test_eye_closing_shows_in_au45_and_not_in_the_mouth(warped_series):
    au45 = _column(warped_series, "AU45")
    rest = _outside(len(au45), BLINK)
    assert set(np.argsort(au45)[-len(BLINK):]) == set(BLINK)
    assert au45[list(BLINK)].min() > 4 * np.abs(au45[rest]).max()
    au12 = _column(warped_series, "AU12")
    assert np.abs(au12[list(BLINK)]).max() < 0.5 * au12[list(PULL)].min()


def test_head_motion_is_removed(face, warped_series):
    """A still face that drifts several pixels and jitters gives near-zero flow activations."""
    frames = [f for t, f in enumerate(face.clip(n=30, seed=1, drift=0.3)) if t not in PULL]
    series = make_extractor("flow").extract(ArraySource(frames, fps=FPS))
    flow_aus = [r.au for r in AU_REGIONS if r.measure == "flow"]
    still = np.abs(series.select(flow_aus).values)
    moved = np.abs(_column(warped_series, "AU12")[list(PULL)])
    assert still.max() < 0.5 * moved.min()


def test_fit_similarity_recovers_a_known_transform():
    rng = np.random.default_rng(0)
    src = rng.uniform(0, 100, (13, 2))
    angle, scale, shift = 0.3, 1.7, np.array([5.0, -3.0])
    rot = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    matrix = fit_similarity(src, src @ rot.T + shift)
    np.testing.assert_allclose(matrix, np.hstack([rot, shift[:, None]]), atol=1e-9)


def test_region_sampler_projects_patch_flow_on_au_directions():
    """Uniform flow everywhere is head motion (removed); flow only at the lip corners is AU12/AU20."""
    face_points = WarpedFace().points
    iod = 48.0
    width, height, eye_l, eye_r = crop_geometry(int(iod))
    pts = apply_affine(fit_similarity(np.array(eye_centres(face_points)), np.array([eye_l, eye_r])), face_points)
    sampler = RegionSampler(0.15)
    uniform = np.full((height, width, 2), 3.0, np.float32)
    np.testing.assert_allclose(sampler.activations(uniform, pts, pts, iod)[:14], 0.0, atol=1e-4)
    local = np.zeros((height, width, 2), np.float32)
    for idx, side in ((48, -1), (54, 1)):
        x, y = np.round(pts[idx]).astype(int)
        local[y - 8:y + 9, x - 8:x + 9] = (side * 2.4, -2.4)  # out and up
    act = dict(zip(AU_NAMES, sampler.activations(local, pts, pts, iod)))
    assert act["AU12"] == pytest.approx(2.4 * np.sqrt(2) / iod * 100, rel=0.05)
    assert act["AU15"] == pytest.approx(-2.4 / iod * 100, rel=0.05)
    assert abs(act["AU01"]) < 1e-6 and act["AU25"] > 0


def _read_frames(path, scale=1.0):
    cap, frames = cv2.VideoCapture(str(path)), []
    while True:
        ok, frame = cap.read()
        if not ok:
            return frames
        frames.append(cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC))


def test_real_video_clip_is_tracked_on_every_frame_and_numbers_do_not_depend_on_face_size():
    clip = DATA / "wolfgang_48f_320x180.mp4"
    series = extract_video(clip)
    assert series.n_frames == 48 and series.mask.all()
    assert series.au_names == AU_NAMES and series.source == "flow" and series.scale == "percent_iod"
    assert series.fps == pytest.approx(23.976, abs=1e-3)
    assert series.meta["face_acquisitions"] == 1 and series.meta["full_frame_detections"] == 1
    assert np.isfinite(series.values).all() and series.values.std(axis=0).max() > 1.0  # he moves and talks
    bigger = make_extractor("flow").extract(ArraySource(_read_frames(clip, 1.6), fps=series.fps))
    flow_cols = [k for k, r in enumerate(AU_REGIONS) if r.measure == "flow"]
    corr = [np.corrcoef(series.values[:, k], bigger.values[:, k])[0, 1] for k in flow_cols]
    assert np.median(corr) > 0.8
    assert np.abs(series.values - bigger.values)[:, flow_cols].mean() < 0.5 * series.values[:, flow_cols].std()


def test_frames_without_a_face_are_masked_not_zero_filled():
    series = extract_video(DATA / "face_then_noface_40f.mp4")
    assert series.mask[:20].all() and not series.mask[23:].any()  # a cut to black, then a cartoon
    assert np.isnan(series.values[~series.mask]).all()
    assert np.isfinite(series.values[series.mask]).all()


def test_video_without_any_face_is_an_input_error():
    with pytest.raises(InputError, match="no face found in any of 24 frames"):
        extract_video(DATA / "no_face_24f.mp4")


def test_sub_sampling_keeps_every_stride_th_frame():
    full = extract_video(DATA / "wolfgang_48f_320x180.mp4")
    half = extract_video(DATA / "wolfgang_48f_320x180.mp4", fps=12)
    assert half.n_frames == 24 and half.fps == pytest.approx(full.fps / 2)
    assert half.meta["frame_stride"] == 2
    np.testing.assert_allclose(_column(half, "AU25"), _column(full, "AU25")[::2], atol=3.0)
