"""The ``cooccurrence`` graph variant: AUs that activate together, without any causal claim.

This is the graph AUW-GCN-style models use (an AU co-occurrence prior) and the baseline the causal
graph is compared with in the train and bias ablations. Two ways to build it:

* ``activation`` (needs labels): an AU is *active* in a labelled expression when its peak inside the
  interval exceeds the video's median by ``activation_z`` standard deviations of that video; AUs i
  and j are linked when the Jaccard index of their activation sets,
  ``#(i and j active) / #(i or j active)``, reaches ``threshold`` (default 0.3).
* ``correlation``: AUs are linked when ``|Pearson r|`` over all valid frames reaches ``threshold``
  (default 0.3).

``auto`` uses ``activation`` when labels are given and ``correlation`` otherwise. Links are
undirected (``---``), messages both ways.
"""

from __future__ import annotations

import logging

import numpy as np

from causalex.discover.sampling import MIN_STD, SamplingOptions, align_au_names, collect_samples
from causalex.errors import InputError
from causalex.graph import AUGraph, GraphEdge
from causalex.labels import Interval
from causalex.series import AUSeries

log = logging.getLogger(__name__)

COOCCURRENCE_METHODS = ("auto", "activation", "correlation")
DEFAULT_THRESHOLD = 0.3


def activation_matrix(series: list[AUSeries], labels: list[Interval], activation_z: float = 2.0) -> np.ndarray:
    """Which AUs are active in each labelled expression.

    Args:
        series: AU series with identical AU columns.
        labels: expression intervals (those whose video is not in ``series`` are skipped).
        activation_z: peak above the video median, in video standard deviations, that counts as active.

    Returns:
        ``[E, K]`` bool, one row per labelled expression found in ``series``.
    """
    by_video = {s.video: s for s in series}
    rows = []
    stats: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for iv in labels:
        s = by_video.get(iv.video)
        if s is None:
            continue
        if s.video not in stats:
            valid = s.valid_values().astype(np.float64)
            valid = valid[np.isfinite(valid).all(axis=1)]
            if len(valid) == 0:
                stats[s.video] = (np.zeros(s.n_aus), np.zeros(s.n_aus))
            else:
                stats[s.video] = (np.median(valid, axis=0), valid.std(axis=0))
        median, std = stats[s.video]
        window = slice(iv.onset, min(iv.offset + 1, s.n_frames))
        vals = s.values[window][s.mask[window]].astype(np.float64)
        vals = vals[np.isfinite(vals).all(axis=1)]
        if len(vals) == 0:
            continue
        score = (vals.max(axis=0) - median) / np.where(std > MIN_STD, std, np.inf)
        rows.append(score >= activation_z)
    return np.array(rows, dtype=bool).reshape(-1, series[0].n_aus if series else 0)


def cooccurrence_graph(series: list[AUSeries], labels: list[Interval] | None = None, *, method: str = "auto",
                       threshold: float = DEFAULT_THRESHOLD, activation_z: float = 2.0,
                       au_names: list[str] | None = None, name: str = "cooccurrence") -> AUGraph:
    """Build the co-occurrence graph of a corpus.

    Args:
        series: the corpus.
        labels: expression intervals (needed by ``activation``).
        method: ``auto``, ``activation`` or ``correlation`` (see the module docstring).
        threshold: minimum Jaccard index (activation) or ``|r|`` (correlation) for an edge.
        activation_z: activation threshold in video standard deviations (activation only).
        au_names: AUs to use (default: those of the first series).
        name: graph name.

    Raises:
        ValueError: unknown method (lists the valid ones).
        InputError: activation without labels, labels that match no video, AU mismatch, too few frames.
    """
    if method not in COOCCURRENCE_METHODS:
        raise ValueError(f"unknown co-occurrence method {method!r}; valid: {', '.join(COOCCURRENCE_METHODS)}")
    if not 0.0 <= threshold <= 1.0:
        raise InputError(f"co-occurrence threshold must be in [0, 1], got {threshold}")
    if method == "auto":
        method = "activation" if labels else "correlation"
    series = align_au_names(series, au_names)
    names = list(series[0].au_names)
    k = len(names)
    if method == "activation":
        if not labels:
            raise InputError("the activation co-occurrence graph needs labels (pass a labels CSV)")
        active = activation_matrix(series, labels, activation_z)
        if len(active) == 0:
            raise InputError("no labelled expression matches a video of the AU series (check the video ids)")
        both = active.T.astype(np.int64) @ active.astype(np.int64)  # [K, K] co-activation counts
        count = np.diag(both)
        union = count[:, None] + count[None, :] - both
        score = np.where(union > 0, both / np.maximum(union, 1), 0.0)
        detail = {"n_expressions": int(len(active)), "activation_z": activation_z}
        reasons = {(i, j): f"co-activation Jaccard {score[i, j]:.2f} ({both[i, j]} of {len(active)} expressions)"
                   for i in range(k) for j in range(i + 1, k)}
    else:
        sample = collect_samples(series, options=SamplingOptions(stride=1, features="level"))
        idx = [names.index(a) for a in sample.tested_aus]
        score = np.zeros((k, k))
        score[np.ix_(idx, idx)] = np.abs(np.corrcoef(sample.data, rowvar=False))
        detail = {"n_frames": sample.n_samples}
        reasons = {(i, j): f"correlation |r| {score[i, j]:.2f}" for i in range(k) for j in range(i + 1, k)}
    edges = [GraphEdge(names[i], names[j], "tail", "tail", kept=True, reason=reasons[i, j])
             for i in range(k) for j in range(i + 1, k) if score[i, j] >= threshold]
    log.info("co-occurrence graph (%s, threshold %.2f): %d edges", method, threshold, len(edges))
    prov = {"kind": "cooccurrence", "method": method, "threshold": threshold, **detail}
    return AUGraph(nodes=names, edges=edges, provenance=prov, name=name)
