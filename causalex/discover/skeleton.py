"""PC-stable adjacency search ("fast adjacency search") with batched CI tests, over one or many runs.

Behaviour follows causal-learn's ``fas`` (FCI) and ``skeleton_discovery`` (PC, ``stable=True``): at depth
``d`` every ordered adjacent pair ``(x, y)`` is tested given every size-``d`` subset of ``adj(x) \\ {y}``
(all of them: causal-learn does not stop at the first independence in stable mode), edges are removed
only at the end of the depth, and the separating set of a removed pair is the UNION of all conditioning
sets that gave independence at that depth, from both sides. Depths run while the maximum degree minus
one exceeds the depth and the depth limit allows. Pairs forbidden in both directions by background
knowledge are removed at depth 0.

All tests of one depth, over all runs, go to the CI test as one batch (deduplicated: ``x | y, S`` and
``y | x, S`` are one test).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations

import numpy as np

from causalex.discover.citest import CITest

CHUNK = 200_000  # tests per CI-test call (bounds memory of the gathered sub-matrices)


@dataclass
class Skeleton:
    """Result of the adjacency search for one run.

    Attributes:
        adjacency: ``[K, K]`` bool, symmetric.
        sepsets: ``{(i, j): frozenset}`` for every removed pair, both orders.
        max_depth: last depth searched (-1 when no test ran).
        num_tests: number of distinct CI tests evaluated.
    """

    adjacency: np.ndarray
    sepsets: dict[tuple[int, int], frozenset[int]] = field(default_factory=dict)
    max_depth: int = -1
    num_tests: int = 0


@lru_cache(maxsize=None)
def _others(m: int) -> np.ndarray:
    """Row p lists 0..m-1 without p. Shapes: ``[m, m - 1]``."""
    full = np.tile(np.arange(m), (m, 1))
    return full[~np.eye(m, dtype=bool)].reshape(m, m - 1)


@lru_cache(maxsize=None)
def _combos(n: int, d: int) -> np.ndarray:
    """All size-``d`` subsets of ``range(n)`` in lexicographic order. Shapes: ``[C(n, d), d]``."""
    subsets = list(combinations(range(n), d))
    return np.array(subsets, dtype=np.int64).reshape(len(subsets), d)


def _tests_at_depth(adj: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (x, y, S) of depth ``d`` for one adjacency. Shapes: ``x, y: [T]``, ``S: [T, d]``."""
    xs, ys, ss = [], [], []
    for x in range(adj.shape[0]):
        nb = np.flatnonzero(adj[x])
        m = len(nb)
        if m == 0 or m - 1 < d:
            continue
        combos = _combos(m - 1, d)  # [C, d]
        s = nb[_others(m)[:, combos]] if d > 0 else np.zeros((m, 1, 0), np.int64)  # [m, C, d]
        c = combos.shape[0]
        xs.append(np.full(m * c, x, np.int64))
        ys.append(np.repeat(nb, c))
        ss.append(s.reshape(m * c, d))
    if not xs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, d), np.int64)
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ss)


def _unique_tests(run: np.ndarray, lo: np.ndarray, hi: np.ndarray, s: np.ndarray, k: int,
                  runs: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of distinct tests and the inverse map. Shapes: ``[U]``, ``[T]``."""
    cols = np.concatenate([run[:, None], lo[:, None], hi[:, None], s], axis=1)
    bits = np.log2(max(runs, 2)) + cols.shape[1] * np.log2(max(k, 2))
    if bits < 62:  # one int64 key per test: run, lo, hi, S as digits in base k
        key = run.copy()
        for col in cols.T[1:]:
            key = key * k + col
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(cols, axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def adjacency_search(test: CITest, num_nodes: int, alpha: float, depth: int = -1,
                     banned: np.ndarray | None = None) -> list[Skeleton]:
    """Run the stable adjacency search for every run of ``test`` in lockstep.

    Args:
        test: CI test over ``test.num_runs`` data sets with ``num_nodes`` variables each.
        num_nodes: K.
        alpha: significance level; ``p > alpha`` means independent (removes the edge).
        depth: largest conditioning-set size, -1 for no limit.
        banned: ``[K, K]`` bool, pairs forbidden in both directions by background knowledge.

    Returns:
        One `Skeleton` per run.
    """
    k, runs = num_nodes, test.num_runs
    adjs = np.tile(~np.eye(k, dtype=bool), (runs, 1, 1))  # [R, K, K]
    sep_bits = [dict() for _ in range(runs)]
    results = [Skeleton(adjacency=adjs[r]) for r in range(runs)]
    limit = np.inf if depth == -1 else depth
    d = -1
    while True:
        active = [r for r in range(runs) if adjs[r].sum(axis=1).max(initial=0) - 1 > d and d < limit]
        if not active:
            break
        d += 1
        parts = [(r, *_tests_at_depth(adjs[r], d)) for r in active]
        run = np.concatenate([np.full(len(p[1]), p[0], np.int64) for p in parts])
        x = np.concatenate([p[1] for p in parts])
        y = np.concatenate([p[2] for p in parts])
        s = np.concatenate([p[3] for p in parts]) if parts else np.zeros((0, d), np.int64)
        removal = np.zeros((runs, k, k), bool)
        if len(x):
            lo, hi = np.minimum(x, y), np.maximum(x, y)
            first, inverse = _unique_tests(run, lo, hi, s, k, runs)
            ind_unique = np.zeros(len(first), bool)
            for start in range(0, len(first), CHUNK):
                sel = first[start:start + CHUNK]
                ind_unique[start:start + CHUNK] = test.independent(lo[sel], hi[sel], s[sel], run[sel], alpha)
            for r in active:
                results[r].num_tests += int(np.count_nonzero(run[first] == r))
            ind = ind_unique[inverse]
            _collect_sepsets(run[ind], lo[ind], hi[ind], s[ind], sep_bits, removal)
        if d == 0 and banned is not None:
            removal[active] |= banned[None] & adjs[active]
        for r in active:
            pairs = np.argwhere(np.triu(removal[r] | removal[r].T, 1))
            for i, j in pairs.tolist():
                members = frozenset(sep_bits[r].get((i, j), ()))
                results[r].sepsets[(i, j)] = results[r].sepsets[(j, i)] = members
                adjs[r, i, j] = adjs[r, j, i] = False
            results[r].max_depth = d
    for r in range(runs):
        results[r].adjacency = adjs[r].copy()
    return results


def _collect_sepsets(run: np.ndarray, lo: np.ndarray, hi: np.ndarray, s: np.ndarray,
                     sep_bits: list[dict], removal: np.ndarray) -> None:
    """Mark pairs with an independence for removal and union their conditioning sets."""
    removal[run, lo, hi] = True
    if s.shape[1] == 0 or len(run) == 0:
        return
    k = removal.shape[1]
    if k <= 62:  # union as bit masks
        masks = np.bitwise_or.reduce(np.left_shift(np.int64(1), s), axis=1)
        table = np.zeros(removal.shape, np.int64)
        np.bitwise_or.at(table, (run, lo, hi), masks)
        for r, i, j in np.argwhere(table).tolist():
            bits = int(table[r, i, j])
            sep_bits[r].setdefault((i, j), set()).update(v for v in range(k) if bits >> v & 1)
        return
    for r, i, j, row in zip(run.tolist(), lo.tolist(), hi.tolist(), s.tolist()):
        sep_bits[r].setdefault((i, j), set()).update(row)
