"""Bootstrap stability: how often each edge, and each edge kind, appears over resampled data.

A bootstrap run draws units (subjects, videos or frames) with replacement and discovers a PAG on the
rows they hold. Resampling whole subjects (the default) keeps each subject's temporal structure and
asks "does this edge hold across people?"; resampling frames ignores autocorrelation and so
overstates stability.

Runs are independent. With the Fisher-z test each run only needs the correlation matrix of its rows,
so all runs' matrices are computed at once from per-unit sufficient statistics (``[R, U] @ [U, K, K]``)
and handed to the engine's batched ``discover_many`` (which may use a GPU). Other tests re-run the
engine on the resampled rows, in a process pool when ``workers > 1``.

Aggregation (`consensus_edges`): for every AU pair, ``stability`` is the fraction of runs in which the
two AUs are adjacent and ``mark_stability`` the fraction of runs with each edge kind (``-->``, ``<->``,
...). The mark at each end of the saved edge is the mark found there in more than half of the runs in
which the edge appears, else a circle (undetermined): an edge read ``-->`` in 30 % of the runs and
``<--`` in 30 % is saved ``o-o``, and a conservative policy drops it.
"""

from __future__ import annotations

import logging
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from causalex.discover.pag import PAG
from causalex.graph import GraphEdge, reverse_kind

log = logging.getLogger(__name__)

_LEFT_MARK = {"-": "tail", "<": "arrow", "o": "circle"}
_RIGHT_MARK = {"-": "tail", ">": "arrow", "o": "circle"}


def resample_counts(n_units: int, runs: int, rng: np.random.Generator) -> np.ndarray:
    """How many times each unit is drawn in each run. Shapes: returns ``[R, U]`` int64 (rows sum to U)."""
    return rng.multinomial(n_units, np.full(n_units, 1.0 / n_units), size=runs).astype(np.int64)


def correlations_from_counts(data: np.ndarray, units: np.ndarray, counts: np.ndarray
                             ) -> tuple[np.ndarray, np.ndarray]:
    """Correlation matrices of resampled data, without materialising the resamples.

    A column with no variance in a run gets correlation 0 with every other column (it is then
    independent of everything in that run).

    Args:
        data: ``[N, K]`` rows.
        units: ``[N]`` unit index (0..U-1) of each row.
        counts: ``[R, U]`` draws of each unit per run.

    Returns:
        (``corrs: [R, K, K]`` float64, ``ns: [R]`` int64 sample sizes).
    """
    x = data - data.mean(axis=0, keepdims=True)  # centring first keeps the sums well conditioned
    n_units, k = counts.shape[1], data.shape[1]
    n_u = np.bincount(units, minlength=n_units).astype(np.float64)  # [U]
    ns = counts @ n_u  # [R]
    if n_units == len(x) and np.array_equal(units, np.arange(len(x))):  # frame bootstrap: one row per unit
        sums = counts @ x  # [R, K]
        prods = np.stack([(x.T * c) @ x for c in counts.astype(np.float64)])  # [R, K, K]
    else:
        sum_u = np.zeros((n_units, k))
        prod_u = np.zeros((n_units, k, k))
        for u in range(n_units):
            rows = x[units == u]
            sum_u[u] = rows.sum(axis=0)
            prod_u[u] = rows.T @ rows
        sums = counts @ sum_u
        prods = np.einsum("ru,ukl->rkl", counts.astype(np.float64), prod_u)
    mean = sums / ns[:, None]
    cov = prods / ns[:, None, None] - mean[:, :, None] * mean[:, None, :]
    std = np.sqrt(np.clip(np.einsum("rkk->rk", cov), 0.0, None))
    scale = np.where(std > 1e-6 * x.std(axis=0)[None, :], std, np.inf)  # no variance in a run: independent
    corrs = cov / (scale[:, :, None] * scale[:, None, :])
    corrs = np.clip(corrs, -1.0, 1.0)
    idx = np.arange(k)
    corrs[:, idx, idx] = 1.0
    return corrs, ns.astype(np.int64)


def _run_on_rows(args: tuple[np.ndarray, dict[str, Any]]) -> PAG:
    from causalex.discover.engines import discover_pag

    data, kwargs = args
    return discover_pag(data, **kwargs)


def bootstrap_pags(data: np.ndarray, units: np.ndarray, runs: int, *, seed: int = 0, engine: str = "fast",
                   ci_test: str = "fisherz", device: str | None = None, workers: int = 1,
                   **discover_kwargs: Any) -> list[PAG]:
    """Discover one PAG per bootstrap run.

    Args:
        data: ``[N, K]`` samples.
        units: ``[N]`` int unit index of each row (0..U-1); units are drawn with replacement.
        runs: number of runs R (>= 1).
        seed: seed of the resampling.
        engine, ci_test: the engine and CI test. ``fast`` + ``fisherz`` batches all runs through
            ``discover_many`` (on ``device``); anything else runs the engine on each resample's rows.
        device: torch device for the batched tests (None: numpy).
        workers: processes for the per-resample runs.
        **discover_kwargs: method, alpha, depth, background, node_names.

    Returns:
        R PAGs over the K columns, in run order.
    """
    from causalex.discover.engines import discover_many

    rng = np.random.default_rng(seed)
    n_units = int(units.max()) + 1
    counts = resample_counts(n_units, runs, rng)
    if engine == "fast" and ci_test == "fisherz":
        pags: list[PAG] = []
        chunk = 64  # bounds the memory of the [chunk, K, K] matrices and of the batched tests
        for start in range(0, runs, chunk):
            corrs, ns = correlations_from_counts(data, units, counts[start:start + chunk])
            pags.extend(discover_many(corrs, ns, device=device, **discover_kwargs))
            log.debug("bootstrap runs %d-%d done", start + 1, start + len(corrs))
        return pags
    rows_of_unit = [np.nonzero(units == u)[0] for u in range(n_units)]
    jobs = []
    for r, c in enumerate(counts):
        idx = np.concatenate([np.tile(rows_of_unit[u], int(c[u])) for u in np.nonzero(c)[0]])
        jobs.append((data[idx], {**discover_kwargs, "engine": engine, "ci_test": ci_test, "seed": seed + r}))
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(_run_on_rows, jobs))
    return [_run_on_rows(j) for j in jobs]


def _majority_mark(counter: Counter, end: int, adjacent: int) -> str:
    """The mark at one end (``end`` 0: source, 2: target) found in more than half the runs, else circle."""
    names = _LEFT_MARK if end == 0 else _RIGHT_MARK
    votes: Counter = Counter()
    for kind, count in counter.items():
        votes[names[kind[end]]] += count
    mark, count = votes.most_common(1)[0]
    return mark if 2 * count > adjacent else "circle"


def consensus_edges(pags: list[PAG], node_names: list[str]) -> list[GraphEdge]:
    """Edges that appear in at least one PAG, with stability and majority marks at each end.

    Args:
        pags: PAGs over the same nodes (``pags[r].node_names`` is a subset of ``node_names``, in order).
        node_names: names used in the returned edges.

    Returns:
        one `GraphEdge` per AU pair adjacent in some run, ordered by decreasing stability; an edge
        whose only arrowhead is at the first AU is stored reversed (as ``-->``).
    """
    runs = len(pags)
    kinds: dict[tuple[str, str], Counter] = {}
    order = {n: i for i, n in enumerate(node_names)}
    for pag in pags:
        names = pag.node_names
        for i, j, _mi, _mj in pag.edges():
            a, b = names[i], names[j]
            kind = pag.edge_kind(i, j)
            if order[a] > order[b]:
                a, b, kind = b, a, reverse_kind(kind)
            kinds.setdefault((a, b), Counter())[kind] += 1
    edges = []
    for (a, b), counter in kinds.items():
        adjacent = sum(counter.values())
        src_mark = _majority_mark(counter, 0, adjacent)
        dst_mark = _majority_mark(counter, 2, adjacent)
        if src_mark == "arrow" and dst_mark != "arrow":  # store it so that the arrow points at the target
            a, b, src_mark, dst_mark = b, a, dst_mark, src_mark
            counter = Counter({reverse_kind(k): v for k, v in counter.items()})
        freq = {k: round(v / runs, 4) for k, v in counter.most_common()}
        edges.append(GraphEdge(a, b, src_mark, dst_mark, stability=round(adjacent / runs, 4), mark_stability=freq))
    edges.sort(key=lambda e: (-e.stability, order[e.source], order[e.target]))
    return edges
