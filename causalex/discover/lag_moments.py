"""Second moments of lagged AU series: the sufficient statistics of every linear time-series CI test.

Time-series discovery (`causalex.discover.timeseries`) asks many questions of the form "does AU i at
``t - l`` carry information about AU j at ``t`` given these other lagged values?". With linear
(partial-correlation) tests every such question is answered from one covariance matrix over the
columns ``X_k(t - l)`` for every AU ``k`` and every lag ``l`` of a lag grid, so the data are read once.

Rules:

* Lags are set in seconds and turned into frames at each series' own rate: the grid holds lags
  ``1 .. n_lags`` steps of ``step_s`` seconds (``round(m * step_s * fps)`` frames, at least ``m``), so a
  30 fps and a 200 fps corpus mean the same thing by "lag 2".
* A row ``t`` is used when every frame ``t - l`` of the grid is valid (mask and finite) in the same
  video: gaps are never bridged.
* Each video's AU means (over its valid frames) are subtracted first, so per-subject resting levels and
  slow baseline differences between videos do not create dependence.
* Videos are streamed in chunks: memory holds one chunk of rows, never the lagged corpus.
* ``groups`` (one integer per series, e.g. a corpus index) keep one covariance per group as well as the
  pooled one, for invariance tests across corpora; ``units`` (e.g. a subject index) keep the raw sums per
  unit, so that a bootstrap over subjects re-weights sums instead of re-reading data.
* ``rows`` (a ``[T]`` bool per series) restricts which frames may be the *present* of a row (frames inside
  labelled expressions, say); their past may lie anywhere valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from causalex.series import AUSeries

CHUNK_ROWS = 20_000  # rows of one lagged block held in memory at a time


def lag_frames(fps: float, step_s: float, n_lags: int) -> np.ndarray:
    """Frames of lags ``1 .. n_lags`` steps of ``step_s`` seconds at ``fps``. Shapes: ``[n_lags]`` int64.

    Every lag is at least its step number, so lags stay distinct at low frame rates.
    """
    steps = np.arange(1, n_lags + 1)
    return np.maximum(steps, np.round(steps * step_s * fps)).astype(np.int64)


@dataclass
class LagMoments:
    """Covariances of ``X_k(t - l)`` over AUs ``k`` and lags ``l`` in ``0 .. n_lags`` (grid steps).

    Column ``c = l * K + k`` is AU ``k`` at grid lag ``l`` (``l = 0``: the present).

    Attributes:
        au_names: the K AUs.
        n_lags: the largest grid lag L (columns ``(L + 1) * K``).
        cov: ``[(L + 1) K, (L + 1) K]`` pooled covariance (within-video centred).
        n: rows used.
        group_cov: ``{group: [(L + 1) K, (L + 1) K]}`` covariance per group; ``group_n`` their rows.
        n_videos: series that gave at least one row.
        unit_sums: ``{(group, unit): [(L + 1) K, (L + 1) K]}`` raw sums of products; ``unit_n`` their rows.
    """

    au_names: list[str]
    n_lags: int
    cov: np.ndarray
    n: int
    group_cov: dict[int, np.ndarray] = field(default_factory=dict)
    group_n: dict[int, int] = field(default_factory=dict)
    n_videos: int = 0
    unit_sums: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    unit_n: dict[tuple[int, int], int] = field(default_factory=dict)

    @property
    def k(self) -> int:
        """Number of AUs K."""
        return len(self.au_names)

    def column(self, au: int, lag: int) -> int:
        """Column of AU index ``au`` at grid lag ``lag``."""
        return lag * self.k + au

    def subset(self, keep: list[int]) -> "LagMoments":
        """The moments of AUs ``keep`` only (every lag), e.g. without constant or duplicate AUs."""
        cols = np.array([lag * self.k + a for lag in range(self.n_lags + 1) for a in keep])
        pick = np.ix_(cols, cols)
        return LagMoments([self.au_names[a] for a in keep], self.n_lags, self.cov[pick], self.n,
                          {g: c[pick] for g, c in self.group_cov.items()}, dict(self.group_n), self.n_videos,
                          {u: c[pick] for u, c in self.unit_sums.items()}, dict(self.unit_n))

    def resampled(self, counts: dict[tuple[int, int], int]) -> "LagMoments":
        """Moments of a bootstrap draw: unit ``u`` counted ``counts[u]`` times (absent: 0).

        Groups keep their own covariance (each from its drawn units), so invariance tests still work.
        """
        total = np.zeros_like(self.cov)
        per_group: dict[int, np.ndarray] = {}
        per_n: dict[int, int] = {}
        for unit, c in counts.items():
            if c <= 0 or unit not in self.unit_sums:
                continue
            g = unit[0]
            per_group[g] = per_group.get(g, 0) + c * self.unit_sums[unit]
            per_n[g] = per_n.get(g, 0) + c * self.unit_n[unit]
        n = sum(per_n.values())
        for s in per_group.values():
            total = total + s
        return LagMoments(list(self.au_names), self.n_lags, total / max(n - 1, 1), n,
                          {g: s / max(per_n[g] - 1, 1) for g, s in per_group.items()}, per_n, self.n_videos)


def _video_block(values: np.ndarray, valid: np.ndarray, lags: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Lagged rows of one video. Shapes: ``values: [T, K]``, ``valid, present: [T]``; returns ``[N, (L + 1) K]``."""
    t = len(values)
    top = int(lags[-1]) if len(lags) else 0
    if t <= top:
        return np.zeros((0, values.shape[1] * (len(lags) + 1)))
    ok = present[top:].copy()
    for lag in lags:
        ok &= valid[top - lag: t - lag]
    idx = np.flatnonzero(ok) + top
    cols = [values[idx]] + [values[idx - lag] for lag in lags]
    return np.hstack(cols)


def lag_moments(series: list[AUSeries], n_lags: int, step_s: float, groups: list[int] | None = None,
                units: list[int] | None = None, rows: list[np.ndarray | None] | None = None) -> LagMoments:
    """Accumulate `LagMoments` over a corpus (all series with the same AUs, in the same order).

    Args:
        series: AU series (``values: [T, K]``, ``mask: [T]``).
        n_lags: largest grid lag L (>= 1).
        step_s: seconds per grid step.
        groups: a group id per series (covariances per group too); None: one group.
        units: a unit id per series (raw sums per ``(group, unit)`` for the bootstrap); None: one per group.
        rows: per series, ``[T]`` bool frames allowed as a row's present (None: every valid frame).

    Returns:
        the moments; ``n`` is 0 when no row qualifies (the caller reports it).
    """
    k = len(series[0].au_names)
    width = (n_lags + 1) * k
    groups = list(groups) if groups is not None else [0] * len(series)
    units = list(units) if units is not None else [0] * len(series)
    rows = list(rows) if rows is not None else [None] * len(series)
    sums: dict[tuple[int, int], np.ndarray] = {}
    counts: dict[tuple[int, int], int] = {}
    used = 0
    for s, g, u, allowed in zip(series, groups, units, rows):
        values = np.asarray(s.values, dtype=np.float64)
        valid = s.mask & np.isfinite(values).all(axis=1)
        if valid.sum() < 2:
            continue
        values = np.where(valid[:, None], values - values[valid].mean(axis=0), 0.0)
        present = valid if allowed is None else valid & np.asarray(allowed, bool)
        lags = lag_frames(s.fps, step_s, n_lags)
        start = int(lags[-1])
        got = 0
        # chunk over time with an overlap of the largest lag, so no row is lost or counted twice
        for lo in range(0, max(1, len(values) - start), CHUNK_ROWS):
            hi = min(len(values), lo + CHUNK_ROWS + start)
            block = _video_block(values[lo:hi], valid[lo:hi], lags, present[lo:hi])
            if len(block):
                acc = sums.setdefault((g, u), np.zeros((width, width)))
                acc += block.T @ block
                counts[(g, u)] = counts.get((g, u), 0) + len(block)
                got += len(block)
        used += got > 0
    group_sums: dict[int, np.ndarray] = {}
    group_n: dict[int, int] = {}
    for (g, _), acc in sums.items():
        group_sums[g] = group_sums.get(g, 0) + acc
        group_n[g] = group_n.get(g, 0) + counts[(g, _)]
    n = sum(group_n.values())
    total = sum(group_sums.values()) if group_sums else np.zeros((width, width))
    cov = total / max(n - 1, 1)
    group_cov = {g: group_sums[g] / max(group_n[g] - 1, 1) for g in group_sums}
    return LagMoments(au_names=list(series[0].au_names), n_lags=n_lags, cov=cov, n=n, group_cov=group_cov,
                      group_n=group_n, n_videos=used, unit_sums=sums, unit_n=counts)


def partial_corr(cov: np.ndarray, targets: list[int], cond: list[int]) -> np.ndarray:
    """Partial correlations among ``targets`` given ``cond`` from a covariance matrix.

    Shapes: ``cov: [C, C]``; returns ``[len(targets), len(targets)]``.
    """
    t = np.asarray(targets)
    sub = cov[np.ix_(t, t)]
    if cond:
        c = np.asarray(cond)
        a = cov[np.ix_(c, c)]
        b = cov[np.ix_(c, t)]
        sub = sub - b.T @ np.linalg.solve(a + 1e-12 * np.eye(len(c)) * np.trace(a) / len(c), b)
    d = np.sqrt(np.clip(np.diag(sub), 1e-300, None))
    return sub / d[:, None] / d[None, :]


def partial_corr_with(cov: np.ndarray, target: int, candidates: np.ndarray, cond: list[int]) -> np.ndarray:
    """Partial correlation of each candidate column with ``target`` given ``cond`` (one solve for all).

    Shapes: ``cov: [C, C]``, ``candidates: [M]``; returns ``[M]``.
    """
    cols = np.concatenate([[target], candidates]).astype(np.int64)
    if cond:
        c = np.asarray(cond)
        a = cov[np.ix_(c, c)]
        b = cov[np.ix_(c, cols)]
        sol = np.linalg.solve(a + 1e-12 * np.eye(len(c)) * np.trace(a) / len(c), b)
        resid_ty = cov[target, cols] - b[:, 0] @ sol
        var = np.diag(cov)[cols] - np.einsum("ij,ij->j", b, sol)
    else:
        resid_ty = cov[target, cols]
        var = np.diag(cov)[cols]
    var = np.clip(var, 1e-300, None)
    return resid_ty[1:] / np.sqrt(var[0] * var[1:])
