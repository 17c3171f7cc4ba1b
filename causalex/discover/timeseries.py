"""Time-series causal discovery over AU series: lagged parents, momentary conditional independence, a PAG.

AU series are smooth, autocorrelated and measured with noise of their own; mechanisms act with short
delays (a cause leads its effect by tens of milliseconds to a few hundred). Treating frames as i.i.d.
samples (FCI over frames, or over two time slices) confuses autocorrelation with causation: with
independent sensor noise on every AU the *effect's* past predicts the *cause's* present once the
cause's own present is conditioned on, and FCI orients mechanism edges backwards. The tests here
condition on what a time-series test must: each AU's own recent past and the past of its candidate
parents over several lags (Granger; PCMCI's "MCI" tests, Runge et al. 2019/2020).

Algorithm (every test is a Fisher-z partial-correlation test read from `LagMoments`):

1. **Lagged parents** of every AU ``j`` (PCMCI's condition selection, as a stepwise search): start from
   j's own lags ``1..L``; repeatedly add the lagged value ``X_i(t - l)`` (``i != j``) with the largest
   partial correlation with ``X_j(t)`` given the set so far while it is significant (``alpha`` divided by
   the number of candidates it was the best of) and at least ``min_effect``; then drop any that is no
   longer significant given the others.
2. **MCI**: every selected link ``X_i(t - l) -> X_j(t)`` is re-tested given j's other parents, j's own
   lags *and the cause's own past* ``X_i(t - l - 1 .. t - l - L)``: autocorrelation of the cause can no
   longer pass for a link. A pair's *directional strength* i -> j is the largest |partial correlation|
   of its surviving links, with the lag where it peaks.
3. **Contemporaneous links**: ``X_i(t)`` vs ``X_j(t)`` given both AUs' lags and lagged parents (a
   mechanism faster than one grid step, or a common cause within it), then pruned PC-style by
   conditioning on up to two other contemporaneous neighbours.
4. **Marks** per AU pair (the folding rule of this engine):

   =====================================================  ======  ==========================================
   evidence                                               edge    reading
   =====================================================  ======  ==========================================
   lagged links one way, or one way ``dominance`` times   ``-->``  cause leads effect: a mechanism edge
   stronger than the other way
   lagged links both ways of similar strength             ``<->``  AU mechanisms have no feedback loops:
                                                                   a hidden common cause drives both
   contemporaneous only                                   ``o-o``  no time order within one grid step
   =====================================================  ======  ==========================================

A hidden common cause that reaches one AU a little later than another still looks like a one-way
lagged link: no test on two series can tell it from a mechanism. Contexts (other corpora) and label
nodes can (`causalex.discover.selection`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from scipy.special import ndtr

from causalex.discover.lag_moments import LagMoments, partial_corr, partial_corr_with
from causalex.discover.pag import ARROW, CIRCLE, NO_EDGE, TAIL, PAG

log = logging.getLogger(__name__)


@dataclass
class TimeSeriesOptions:
    """Settings of time-series discovery (defaults in code)."""

    max_lag_s: float = 0.3  # longest lag tested, seconds (at each series' own frame rate)
    step_s: float = 1 / 30  # seconds per lag step (lags 1..L steps; L = round(max_lag_s / step_s))
    alpha: float = 0.001  # significance level of every partial-correlation test
    min_effect: float = 0.03  # smallest |partial correlation| that counts as a link (frames are many)
    dominance: float = 2.0  # a pair is oriented one way when that way is this many times stronger
    max_parents: int = 12  # most lagged cross parents selected per AU
    explain_ratio: float = 0.8  # a link weaker than this share of a two-link path with the same lag is a leak

    @property
    def n_lags(self) -> int:
        """Lag steps L tested (at least 1)."""
        return max(1, int(round(self.max_lag_s / self.step_s)))


@dataclass
class PairEvidence:
    """What the tests found for one AU pair (i < j)."""

    forward: float = 0.0  # strongest |MCI partial correlation| of a link i(t - l) -> j(t)
    forward_lag: int = 0  # grid lag where it peaks (0: none)
    backward: float = 0.0  # the same for j -> i
    backward_lag: int = 0
    contemporaneous: float = 0.0  # |partial correlation| of i(t), j(t) given pasts (0: pruned)


@dataclass
class TimeSeriesResult:
    """Output of `discover_timeseries`: the PAG over AUs and the evidence behind each edge."""

    pag: PAG
    evidence: dict[tuple[int, int], PairEvidence]
    parents: dict[int, list[tuple[int, int]]]  # AU j -> selected lagged parents (AU i, grid lag l)
    num_tests: int = 0
    meta: dict = field(default_factory=dict)


def _significant(r: np.ndarray, n: int, n_cond: int, alpha: float, min_effect: float) -> np.ndarray:
    """Fisher-z two-sided test at ``alpha`` and ``|r| >= min_effect``."""
    r = np.clip(np.abs(r), 0.0, 1.0 - 1e-12)
    z = np.arctanh(r) * np.sqrt(max(n - n_cond - 3, 1))
    p = 2.0 * (1.0 - ndtr(z))
    return (p < alpha) & (r >= min_effect)


class _Tester:
    """Partial-correlation tests on `LagMoments` over AUs ``0..K-1`` and grid lags ``0..L``."""

    def __init__(self, moments: LagMoments, cov: np.ndarray, n: int, opts: TimeSeriesOptions, n_lags: int,
                 exogenous: frozenset[int] = frozenset()):
        self.m, self.cov, self.n, self.opts, self.L = moments, cov, n, opts, n_lags
        self.exogenous = exogenous  # variables nothing causes: their present may be a parent too
        self.count = 0

    def col(self, au: int, lag: int) -> int:
        return self.m.column(au, lag)

    def own(self, au: int, shift: int = 0) -> list[int]:
        """Columns of ``au`` at lags ``shift + 1 .. shift + L`` (those inside the moments)."""
        return [self.col(au, shift + l) for l in range(1, self.L + 1) if shift + l <= self.m.n_lags]

    def select_parents(self, j: int) -> list[tuple[int, int]]:
        """Step 1 for AU j: stepwise lagged parent selection."""
        k, opts = self.m.k, self.opts
        y = self.col(j, 0)
        own = self.own(j)
        pool = [(i, l) for l in range(0, self.L + 1) for i in range(k)
                if i != j and (l > 0 or i in self.exogenous)]
        chosen: list[tuple[int, int]] = []
        while len(chosen) < opts.max_parents:
            rest = [c for c in pool if c not in chosen]
            if not rest:
                break
            cond = own + [self.col(i, l) for i, l in chosen]
            r = partial_corr_with(self.cov, y, np.array([self.col(i, l) for i, l in rest]), cond)
            self.count += len(rest)
            best = int(np.argmax(np.abs(r)))
            # the best of len(rest) candidates: its p-value is compared with alpha / len(rest) (Bonferroni)
            if not _significant(r[best:best + 1], self.n, len(cond), opts.alpha / len(rest), opts.min_effect)[0]:
                break
            chosen.append(rest[best])
        changed = True
        while changed and chosen:
            changed = False
            for c in list(chosen):
                others = [self.col(i, l) for i, l in chosen if (i, l) != c]
                r = partial_corr_with(self.cov, y, np.array([self.col(*c)]), own + others)
                self.count += 1
                if not _significant(r, self.n, len(own) + len(others), opts.alpha, opts.min_effect)[0]:
                    chosen.remove(c)
                    changed = True
                    break
        return chosen

    def mci(self, j: int, parents: list[tuple[int, int]], link: tuple[int, int]) -> float:
        """Step 2: |partial corr| of link (i, l) -> j given j's own lags, its other parents and i's past."""
        i, l = link
        # an exogenous cause (a label) needs no own-past conditioning: nothing can cause it, and its own past
        # would absorb a slow indicator's whole signal
        cause_past = [] if i in self.exogenous else self.own(i, shift=l)
        cond = self.own(j) + [self.col(a, b) for a, b in parents if (a, b) != link] + cause_past
        cond = list(dict.fromkeys(cond))
        r = partial_corr_with(self.cov, self.col(j, 0), np.array([self.col(i, l)]), cond)
        self.count += 1
        ok = _significant(r, self.n, len(cond), self.opts.alpha, self.opts.min_effect)[0]
        return float(abs(r[0])) if ok else 0.0

    def lagged_cond(self, au: int, parents: list[tuple[int, int]]) -> list[int]:
        return self.own(au) + [self.col(a, b) for a, b in parents]


def discover_timeseries(moments: LagMoments, opts: TimeSeriesOptions | None = None,
                        group: int | None = None, exogenous: frozenset[int] = frozenset()) -> TimeSeriesResult:
    """Time-series discovery over the AUs of ``moments`` (algorithm in the module doc).

    Args:
        moments: lagged covariances with at least ``2 L`` grid lags (the cause's past in MCI tests).
        opts: settings.
        group: use one group's covariance (a corpus) instead of the pooled one.
        exogenous: variables nothing can cause (expression label nodes): they get no parents, and any link
            with an AU is read as variable -> AU.

    Returns:
        a `TimeSeriesResult` whose PAG is over ``moments.au_names``.
    """
    opts = opts or TimeSeriesOptions()
    cov, n = (moments.cov, moments.n) if group is None else (moments.group_cov[group], moments.group_n[group])
    n_lags = min(opts.n_lags, moments.n_lags)
    t = _Tester(moments, cov, n, opts, n_lags, exogenous)
    k = moments.k
    parents = {j: [] if j in exogenous else t.select_parents(j) for j in range(k)}
    strength = np.zeros((k, k))  # strength[i, j]: i -> j
    best_lag = np.zeros((k, k), np.int64)
    for j in range(k):
        for link in parents[j]:
            s = t.mci(j, parents[j], link)
            i = link[0]
            if s > strength[i, j]:
                strength[i, j], best_lag[i, j] = s, link[1]
    _prune_path_leaks(strength, best_lag, opts.explain_ratio)
    contemporaneous = _contemporaneous(t, parents, exogenous)
    marks = np.zeros((k, k), np.int8)
    evidence: dict[tuple[int, int], PairEvidence] = {}
    for i in range(k):
        for j in range(i + 1, k):
            ev = PairEvidence(strength[i, j], int(best_lag[i, j]), strength[j, i], int(best_lag[j, i]),
                              float(contemporaneous[i, j]))
            if ev.forward or ev.backward or ev.contemporaneous:
                evidence[(i, j)] = ev
            if i in exogenous or j in exogenous:
                if (ev.forward or ev.backward or ev.contemporaneous) and not (i in exogenous and j in exogenous):
                    src, dst = (i, j) if i in exogenous else (j, i)
                    marks[src, dst], marks[dst, src] = ARROW, TAIL
            else:
                _mark_pair(marks, i, j, ev, opts.dominance)
    meta = {"engine": "fast", "method": "timeseries", "alpha": opts.alpha, "min_effect": opts.min_effect,
            "max_lag_s": opts.max_lag_s, "step_s": opts.step_s, "n_lags": n_lags, "dominance": opts.dominance,
            "n_rows": int(n), "num_tests": t.count}
    pag = PAG(list(moments.au_names), marks, meta=meta)
    return TimeSeriesResult(pag=pag, evidence=evidence, parents=parents, num_tests=t.count, meta=meta)


def _prune_path_leaks(strength: np.ndarray, lag: np.ndarray, ratio: float) -> None:
    """Remove lagged links that a stronger two-link path explains (in place).

    Conditioning on a noisily measured mediator ``m`` leaves part of a chain ``i -> m -> j`` (or of a fork
    ``m -> i``, ``m -> j``) visible as a weak direct link ``i -> j``. Such a link is dropped when both links
    of the path are stronger than ``strength[i, j] / ratio`` and the path's lags add up to the link's
    (chain: ``lag(i, m) + lag(m, j)``; fork: ``lag(m, j) - lag(m, i)``) within one grid step.

    Shapes: ``strength, lag: [K, K]`` (``[i, j]``: link i -> j).
    """
    k = strength.shape[0]
    drop = []
    for i in range(k):
        for j in range(k):
            s = strength[i, j]
            if not s:
                continue
            bar = s / ratio
            for m in range(k):
                if m in (i, j):
                    continue
                chain = strength[i, m] >= bar and strength[m, j] >= bar and abs(lag[i, m] + lag[m, j] - lag[i, j]) <= 1
                fork = strength[m, i] >= bar and strength[m, j] >= bar and abs(lag[m, j] - lag[m, i] - lag[i, j]) <= 1
                if chain or fork:
                    drop.append((i, j))
                    break
    for i, j in drop:
        strength[i, j], lag[i, j] = 0.0, 0


def _contemporaneous(t: _Tester, parents: dict[int, list[tuple[int, int]]],
                     exogenous: frozenset[int] = frozenset()) -> np.ndarray:
    """Step 3: ``[K, K]`` |partial correlation| of contemporaneous links that survive pruning (else 0)."""
    k, opts = t.m.k, t.opts
    lagged = {j: t.lagged_cond(j, parents[j]) for j in range(k)}
    strength = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1, k):
            if i in exogenous and j in exogenous:
                continue
            cond = list(dict.fromkeys(lagged[i] + lagged[j]))
            r = partial_corr(t.cov, [t.col(i, 0), t.col(j, 0)], cond)[0, 1]
            t.count += 1
            if _significant(np.array([r]), t.n, len(cond), opts.alpha, opts.min_effect)[0]:
                strength[i, j] = strength[j, i] = abs(r)
    for size in (1, 2):
        for i in range(k):
            for j in range(i + 1, k):
                if not strength[i, j]:
                    continue
                others = [m for m in range(k) if m not in (i, j) and (strength[i, m] or strength[j, m])]
                for subset in combinations(others, size):
                    cond = list(dict.fromkeys(lagged[i] + lagged[j] + [t.col(m, 0) for m in subset]
                                              + [c for m in subset for c in lagged[m]]))
                    r = partial_corr(t.cov, [t.col(i, 0), t.col(j, 0)], cond)[0, 1]
                    t.count += 1
                    if not _significant(np.array([r]), t.n, len(cond), opts.alpha, opts.min_effect)[0]:
                        strength[i, j] = strength[j, i] = 0.0
                        break
    return strength


def lagged_direction(forward: float, backward: float, dominance: float) -> str | None:
    """The reading of lagged evidence between two AUs (rule 4 of the module doc; also tigramite's fold).

    Returns:
        ``"forward"`` (links one way, or one way ``dominance`` times stronger), ``"backward"``, ``"both"``
        (similar strength both ways: a hidden common cause) or None (no lagged link).
    """
    if forward and (not backward or forward >= dominance * backward):
        return "forward"
    if backward and (not forward or backward >= dominance * forward):
        return "backward"
    return "both" if forward and backward else None


def _mark_pair(marks: np.ndarray, i: int, j: int, ev: PairEvidence, dominance: float) -> None:
    """Step 4: the edge between i and j from its evidence (``marks[a, b]`` = mark at b)."""
    way = lagged_direction(ev.forward, ev.backward, dominance)
    if way == "forward":
        marks[i, j], marks[j, i] = ARROW, TAIL
    elif way == "backward":
        marks[j, i], marks[i, j] = ARROW, TAIL
    elif way == "both":
        marks[i, j] = marks[j, i] = ARROW
    elif ev.contemporaneous:
        marks[i, j] = marks[j, i] = CIRCLE
    else:
        marks[i, j] = marks[j, i] = NO_EDGE
