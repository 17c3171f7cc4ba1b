"""Invariance of time-series links across corpora: does a link of the labelled corpus hold elsewhere?

A mechanism acts with the same gain in every corpus; a dataset bias (a latent tied to one corpus's
expressions, lighting or population) does not. `link_invariance` re-tests each link that
`causalex.discover.timeseries.discover_timeseries` found in the labelled corpus (group 0 of the
`LagMoments`) in every other group (context corpus), with the same conditioning, and flags the links that
hold in the labelled corpus only (`causalex.discover.selection` turns them into an AU selection). This is
the invariance principle of Peters, Buehlmann and Meinshausen (2016) with the corpus as the environment,
and what a context node of Joint Causal Inference (Mooij, Magliacane and Claassen, 2020) tests for links
into the AUs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from causalex.discover.lag_moments import LagMoments
from causalex.discover.pag import NO_EDGE
from causalex.discover.timeseries import TimeSeriesOptions, TimeSeriesResult, _Tester


@dataclass
class LinkInvariance:
    """A link's strength in each context (corpus) and whether it holds in all of them."""

    strengths: dict[int, float]  # group -> |partial correlation| given the link's conditioning set
    gains: dict[int, float]  # group -> regression coefficient of the effect on the cause (the mechanism's gain)
    specific: bool  # strong in some context, absent or much weaker in another


def link_invariance(moments: LagMoments, result: TimeSeriesResult, opts: TimeSeriesOptions | None = None,
                    specific_ratio: float = 0.15) -> dict[tuple[int, int], LinkInvariance]:
    """Re-test every edge of ``result`` in each group (context) of ``moments`` with the same conditioning.

    A mechanism acts with the same gain in every corpus; a dataset bias (a latent tied to one corpus's
    expressions, lighting or population) does not. The test compares the *total gain*: the sum of the
    coefficients of the cause at lags ``0..L`` in a regression of the effect on them, on the effect's own
    lags and on its other parents. Not the partial correlation: a cause that rarely moves in one corpus
    lowers the partial correlation there without changing the mechanism, and only widens the gain's standard
    error; and not one lag's coefficient: a delay that falls between two grid lags at one frame rate and on
    one at another splits its response differently.

    An edge is *corpus-specific* when its gain in the first group (the labelled corpus a model is trained
    on) is significant (at ``opts.alpha``) while in another context it is absent: not significantly above
    zero in the first group's direction, below ``specific_ratio`` times the first group's, and significantly
    different from it. A mechanism whose cause rarely moves in a context (few expressions there) is measured
    there with a gain shrunk by the cause's sensor noise, but still present; a bias is not there at all. The test is one-sided on purpose: a link that
    holds in the training corpus and not elsewhere is what a model would wrongly learn to rely on; a link
    that only another corpus shows (its own bias) never reaches a model trained on the first.

    Returns:
        ``{(i, j): LinkInvariance}`` for every adjacent pair ``i < j`` of ``result.pag`` (empty with one group).
    """
    opts = opts or TimeSeriesOptions()
    groups = sorted(moments.group_cov)
    if len(groups) < 2:
        return {}
    n_lags = min(opts.n_lags, moments.n_lags)
    testers = {g: _Tester(moments, moments.group_cov[g], moments.group_n[g], opts, n_lags) for g in groups}
    z_crit = float(-ndtri(opts.alpha / 2))
    main = groups[0]
    out = {}
    marks = result.pag.marks
    for (i, j), ev in result.evidence.items():
        if marks[i, j] == NO_EDGE:
            continue
        # the effect: the later AU of the stronger lagged direction (either, for a contemporaneous link)
        a, b = (i, j) if ev.forward >= ev.backward else (j, i)
        fits = {g: _block_fit(t, b, a, [p for p in result.parents[b] if p[0] != a]) for g, t in testers.items()}
        hi_r, hi_b, hi_se = fits[main]
        specific = False
        if hi_se > 0 and abs(hi_b) / hi_se > z_crit:
            for g, (_, lo_b, lo_se) in fits.items():
                weaker = lo_b * np.sign(hi_b) < specific_ratio * abs(hi_b)
                absent = lo_se > 0 and lo_b * np.sign(hi_b) < z_crit * lo_se  # not significantly there
                z = abs(hi_b - lo_b) / np.sqrt(hi_se ** 2 + lo_se ** 2)
                specific |= bool(g != main and weaker and absent and z > z_crit)
        out[(i, j)] = LinkInvariance({g: round(float(f[0]), 4) for g, f in fits.items()},
                                     {g: round(float(f[1]), 4) for g, f in fits.items()}, specific)
    return out


def _block_fit(t: _Tester, effect: int, cause: int, others: list[tuple[int, int]]) -> tuple[float, float, float]:
    """Total gain of ``effect`` on ``cause`` (lags 0..L) given the effect's own lags and ``others``.

    Returns:
        (|partial correlation| of the effect with the cause's summed response, total gain, its standard error).
    """
    y = t.col(effect, 0)
    xs = [t.col(cause, lag) for lag in range(0, t.L + 1)]
    z = xs + list(dict.fromkeys(t.own(effect) + [t.col(a, b) for a, b in others]))
    szz = t.cov[np.ix_(z, z)]
    szy = t.cov[z, y]
    inv = np.linalg.pinv(szz + 1e-12 * np.eye(len(z)) * np.trace(szz) / len(z))
    beta = inv @ szy
    w = np.zeros(len(z))
    w[:len(xs)] = 1.0
    resid = max(float(t.cov[y, y] - szy @ beta), 1e-300)
    dof = max(t.n - len(z) - 1, 1)
    gain = float(w @ beta)
    se = float(np.sqrt(resid * (w @ inv @ w) / dof))
    explained = gain ** 2 / float(w @ inv @ w) if se > 0 else 0.0  # variance of y the summed response explains
    r = float(np.sqrt(explained / (explained + resid))) if explained > 0 else 0.0
    return r, gain, se
