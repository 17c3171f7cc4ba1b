"""tigramite's PCMCI+ and LPCMCI over AU series, folded onto one PAG edge per AU pair (a reference engine).

Optional: needs the ``tigramite`` extra (``pip install 'causalex[tigramite]'``; tigramite is GPL-3.0, so
it is never a required dependency). It exists to compare causalex's own time-series engine
(`causalex.discover.timeseries`) with the published reference on the same data and settings:

* series are brought to the working rate as causalex does (`ts_graph.at_working_rate`: faster than one frame
  per lag step, 30 fps by default, is box-filtered down to it), each video's mean over its valid frames is
  removed, and invalid frames (mask false or not finite) are masked for every variable at every lag of a test
  (tigramite's ``mask_type="xyz"``); each video is one dataset of tigramite's ``analysis_mode="multiple"``;
* tests are tigramite's ``ParCorr`` (analytic p-values) at ``alpha``; ``tau_max`` is the number of frames
  in ``max_lag_s`` at the working rate (9 at 30 fps and 0.3 s, causalex's lag steps ``L``);
* tigramite's output is a lagged graph ``graph[i, j, tau]`` (the link ``X_i(t - tau)`` to ``X_j(t)``) with
  test values ``val[i, j, tau]``. It is folded onto one edge per AU pair with the reading of causalex's
  engine (its rule 4):

  ==========================================================  ===========  =====================================
  tigramite links between AUs i and j                         PAG edge     reading
  ==========================================================  ===========  =====================================
  lagged links i -> j only, or ``dominance`` times stronger   ``i --> j``  i leads j: a mechanism edge
  (largest |val|) than those j -> i; one of them ``-->``
  ... the same, the links LPCMCI's ``o->`` only               ``i o-> j``  j is not an ancestor of i; i may
                                                                           cause j or share a latent with it
  ... the same, the links LPCMCI's ``<->`` only               ``i <-> j``  LPCMCI found a latent, no mechanism
  lagged links both ways of similar strength                  ``i <-> j``  no feedback loops among AUs: a hidden
                                                                           common cause drives both
  no lagged link, a contemporaneous one ``graph[i, j, 0]``    its marks    ``-`` tail, ``>``/``<`` arrow,
                                                                           ``o`` circle, ``x`` (tigramite's
                                                                           conflicting orientation) circle
  ==========================================================  ===========  =====================================

  So ``-->`` (one-way lagged, or contemporaneous ``-->``) stays ``-->``; PCMCI+'s ``o-o`` and ``x-x`` become
  ``o-o``; LPCMCI's contemporaneous ``<->``, ``o->`` and ``<-o`` keep their marks. Auto-links (an AU's own
  past) are not edges.

`tigramite_pag` returns the PAG (the significant lagged links are in ``pag.meta["links"]``);
`tigramite_graph` adds causalex's debiasing and AU selection, with the return value of
`causalex.discover.ts_graph.timeseries_graph`, for ``DiscoveryConfig(engine="tigramite")``.
"""

from __future__ import annotations

import contextlib
import io
import logging
from importlib import metadata
from typing import Any

import numpy as np

from causalex.discover.background import BackgroundKnowledge
from causalex.discover.pag import ARROW, CIRCLE, MARK_NAME, NO_EDGE, PAG, TAIL
from causalex.discover.selection import apply_selection
from causalex.discover.timeseries import TimeSeriesOptions, lagged_direction
from causalex.discover.ts_graph import MIN_SD, at_working_rate
from causalex.errors import InputError
from causalex.graph import GraphEdge
from causalex.series import AUSeries

log = logging.getLogger(__name__)

METHODS = ("pcmciplus", "lpcmci")
MISSING = "the tigramite engine needs the tigramite extra: pip install 'causalex[tigramite]'"
_CHAR_MARK = {"-": TAIL, ">": ARROW, "<": ARROW, "o": CIRCLE, "x": CIRCLE}  # tigramite link characters


def _tigramite() -> dict[str, Any]:
    """tigramite's classes, imported on first use (one-line `InputError` when the extra is missing)."""
    try:
        from tigramite.data_processing import DataFrame
        from tigramite.independence_tests.parcorr import ParCorr
        from tigramite.lpcmci import LPCMCI
        from tigramite.pcmci import PCMCI
    except ImportError:
        raise InputError(MISSING) from None
    return {"DataFrame": DataFrame, "ParCorr": ParCorr, "PCMCI": PCMCI, "LPCMCI": LPCMCI}


def _datasets(series: list[AUSeries], names: list[str], tau_max: int
              ) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Per video, ``[T, K]`` values (own mean removed, invalid frames 0) and ``[T, K]`` masks (True: invalid).

    Videos with fewer than ``2 tau_max + 2`` frames (no row: tigramite's window is twice ``tau_max``) or
    fewer than 2 valid frames are left out.
    """
    data, masks = {}, {}
    for s in series:
        s = s if list(s.au_names) == names else s.select(names)
        values = np.asarray(s.values, dtype=np.float64)
        valid = np.asarray(s.mask, bool) & np.isfinite(values).all(axis=1)
        if len(values) < 2 * tau_max + 2 or valid.sum() < 2:
            continue
        data[len(data)] = np.where(valid[:, None], values - values[valid].mean(axis=0), 0.0)
        masks[len(masks)] = np.repeat(~valid[:, None], len(names), axis=1)
    return data, masks


def fold_lagged_graph(graph: np.ndarray, val: np.ndarray, dominance: float = 2.0) -> np.ndarray:
    """Fold a tigramite graph onto PAG marks, one edge per pair (rule table in the module doc).

    Shapes: ``graph: [K, K, tau_max + 1]`` link strings, ``val: [K, K, tau_max + 1]``; returns ``[K, K]`` int8
    marks (``marks[i, j]`` = mark at j, `causalex.discover.pag`).
    """
    k = graph.shape[0]
    marks = np.zeros((k, k), np.int8)
    for i in range(k):
        for j in range(i + 1, k):
            fwd, fwd_mark = _direction(graph[i, j, 1:], val[i, j, 1:])
            back, back_mark = _direction(graph[j, i, 1:], val[j, i, 1:])
            way = lagged_direction(fwd, back, dominance)
            if way == "forward":
                marks[i, j], marks[j, i] = ARROW, fwd_mark
            elif way == "backward":
                marks[j, i], marks[i, j] = ARROW, back_mark
            elif way == "both":
                marks[i, j] = marks[j, i] = ARROW
            elif graph[i, j, 0]:
                link = str(graph[i, j, 0])
                marks[j, i], marks[i, j] = _CHAR_MARK[link[0]], _CHAR_MARK[link[2]]
    return marks


def _direction(links: np.ndarray, values: np.ndarray) -> tuple[float, int]:
    """Strength (largest |val| of the lagged links one way, 0: none) and the mark at the cause.

    The cause's mark is a tail when any link is ``-->``, a circle when any is ``o->`` (or ``x->``), an arrow
    when every link is LPCMCI's ``<->``.
    """
    present = [str(s) for s in links if s]
    if not present:
        return 0.0, NO_EDGE
    strength = float(max(abs(v) for s, v in zip(links, values) if s))
    left = {s[0] for s in present}
    mark = TAIL if "-" in left else CIRCLE if left & {"o", "x"} else ARROW
    return max(strength, 1e-12), mark


def tigramite_pag(series: list[AUSeries], *, method: str = "pcmciplus", max_lag_s: float = 0.3,
                  alpha: float = 0.001, step_s: float = 1 / 30, dominance: float = 2.0) -> PAG:
    """Run tigramite's PCMCI+ or LPCMCI (ParCorr) on AU series and fold its lagged graph into a PAG.

    Args:
        series: AU series (same AUs; ``values: [T, K]``, ``mask: [T]``); brought to the working rate here.
        method: ``"pcmciplus"`` (`PCMCI.run_pcmciplus`) or ``"lpcmci"`` (`LPCMCI.run_lpcmci`, latents).
        max_lag_s: longest lag tested, seconds (``tau_max`` = its frames at the working rate).
        alpha: significance level of every test (tigramite's ``pc_alpha``).
        step_s: seconds per lag step; series faster than ``1 / step_s`` fps are box-filtered to it.
        dominance: a pair is oriented one way when that way's links are this many times stronger.

    Returns:
        a PAG over the AU names of the first series (constant AUs are isolated nodes). ``meta`` has
        ``links``: ``[{"cause", "effect", "lag_s", "link", "value"}]`` for every significant lagged cross link.

    Raises:
        InputError: tigramite is not installed; an unknown method; no series; series at different rates
            after bringing them to the working rate; no video longer than the lag window; fewer than 2 AUs vary.
    """
    if method not in METHODS:
        raise InputError(f"unknown tigramite method {method!r}; valid: {', '.join(METHODS)}")
    tg = _tigramite()
    if not series:
        raise InputError("no AU series to discover from")
    names = list(series[0].au_names)
    working = at_working_rate(series, TimeSeriesOptions(max_lag_s=max_lag_s, step_s=step_s, alpha=alpha))
    rates = sorted({float(s.fps) for s in working})
    if len(rates) > 1:
        raise InputError(f"the tigramite engine needs one frame rate; the series run at {', '.join(map(str, rates))} "
                         f"fps at the working rate (give series of one rate, or {1 / step_s:g} fps or faster)")
    fps = rates[0]
    tau_max = max(1, int(round(max_lag_s * fps)))
    data, masks = _datasets(working, names, tau_max)
    if not data:
        raise InputError(f"no video is longer than the {2 * tau_max + 2} frames of the lag window "
                         f"(twice --max-lag {max_lag_s:g} s at {fps:g} fps); lower --max-lag or give longer videos")
    valid = np.concatenate([data[d][~masks[d][:, 0]] for d in data])
    tested = [k for k in range(len(names)) if valid[:, k].std() >= MIN_SD]
    if len(tested) < 2:
        varying = ", ".join(names[k] for k in tested) or "none"
        raise InputError(f"fewer than 2 AUs vary ({varying}); nothing to discover")
    frame = tg["DataFrame"]({d: v[:, tested] for d, v in data.items()},
                            mask={d: m[:, tested] for d, m in masks.items()},
                            analysis_mode="multiple", var_names=[names[k] for k in tested])
    test = tg["ParCorr"](significance="analytic", mask_type="xyz")
    with contextlib.redirect_stdout(io.StringIO()):  # tigramite prints; the library must not
        if method == "pcmciplus":
            result = tg["PCMCI"](dataframe=frame, cond_ind_test=test, verbosity=0).run_pcmciplus(
                tau_min=0, tau_max=tau_max, pc_alpha=alpha)
        else:
            result = tg["LPCMCI"](dataframe=frame, cond_ind_test=test, verbosity=0).run_lpcmci(
                tau_min=0, tau_max=tau_max, pc_alpha=alpha)
    graph, val = result["graph"], np.nan_to_num(np.asarray(result["val_matrix"], dtype=np.float64))
    sub = fold_lagged_graph(graph, val, dominance)  # over the tested AUs
    marks = np.zeros((len(names), len(names)), np.int8)
    marks[np.ix_(tested, tested)] = sub
    links = [{"cause": names[tested[i]], "effect": names[tested[j]], "lag_s": round(int(tau) / fps, 4),
              "link": str(graph[i, j, tau]), "value": round(float(val[i, j, tau]), 4)}
             for i, j, tau in zip(*np.nonzero(graph != "")) if i != j and tau > 0]
    meta = {"engine": "tigramite", "method": method, "ci_test": "parcorr", "alpha": alpha, "max_lag_s": max_lag_s,
            "step_s": step_s, "fps": fps, "tau_max": tau_max, "dominance": dominance, "n_datasets": len(data),
            "n_frames": int(sum(len(v) for v in data.values())), "tested_aus": [names[k] for k in tested],
            "tigramite": metadata.version("tigramite"), "links": links}
    return PAG(names, marks, meta=meta)


def tigramite_edges(pag: PAG) -> list[GraphEdge]:
    """The PAG's edges as `GraphEdge` with ``lag_s``: the lag of the strongest lagged link of the edge's
    direction (a ``<->`` or contemporaneous edge: the strongest either way; none: 0)."""
    best: dict[tuple[str, str], tuple[float, float]] = {}
    for link in pag.meta.get("links", []):
        key = (link["cause"], link["effect"])
        if abs(link["value"]) > best.get(key, (-1.0, 0.0))[0]:
            best[key] = (abs(link["value"]), link["lag_s"])
    edges = []
    for i, j, at_i, at_j in pag.edges():
        a, b = pag.node_names[i], pag.node_names[j]
        ways = [(a, b)] if at_j == ARROW and at_i != ARROW else [(b, a)] if at_i == ARROW and at_j != ARROW \
            else [(a, b), (b, a)]
        lags = [best[w] for w in ways if w in best]
        lag = max(lags)[1] if lags else 0.0
        edges.append(GraphEdge(a, b, MARK_NAME[at_i], MARK_NAME[at_j], lag_s=lag))
    return edges


def tigramite_graph(series: list[AUSeries], names: list[str], opts: TimeSeriesOptions, policy: str,
                    background: BackgroundKnowledge | None, *, method: str = "pcmciplus"
                    ) -> tuple[list[GraphEdge], np.ndarray, dict[str, dict[str, Any]], dict[str, Any]]:
    """`tigramite_pag` with causalex's debiasing and AU selection (one context: no corpus-specific links).

    Args:
        series: the corpus (AU columns ``names``).
        names: the AUs (graph nodes).
        opts: ``max_lag_s``, ``step_s`` and ``alpha`` are used (``min_effect`` has no tigramite counterpart).
        policy: debiasing policy of `causalex.discover.debias`.
        background: forbidden / required edges (applied after discovery, by the debiasing).
        method: ``"pcmciplus"`` or ``"lpcmci"``.

    Returns:
        (edges, adjacency ``[K, K]``, selection, provenance fields), as `ts_graph.timeseries_graph`.
    """
    every = [s if list(s.au_names) == names else s.select(names) for s in series]
    pag = tigramite_pag(every, method=method, max_lag_s=opts.max_lag_s, alpha=opts.alpha, step_s=opts.step_s,
                        dominance=opts.dominance)
    tested = pag.meta["tested_aus"]
    selection, edges, adjacency = apply_selection(names, tested, tigramite_edges(pag), set(), 1, policy, 0.0,
                                                  background)
    meta = {k: v for k, v in pag.meta.items() if k != "links"}
    prov = {"n_samples": meta["n_frames"], "tested_aus": tested,
            "dropped_aus": {a: "constant in the usable frames" for a in names if a not in tested},
            "timeseries": meta}
    log.info("tigramite %s graph: %d links over %d AUs", method, len(edges), len(tested))
    return edges, adjacency, selection, prov
