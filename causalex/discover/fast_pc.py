"""Fast PC orientation: background knowledge, unshielded colliders (``uc_sepset``) and Meek rules.

Mirrors causal-learn's ``pc`` with its defaults (``stable=True``, ``uc_rule=0``, ``uc_priority=2``) after the
adjacency search: ``orient_by_background_knowledge``, ``UCSepset.uc_sepset(priority=2)`` and ``Meek.meek``.
Both work through lists of triples whose order comes from causal-learn's ``find_adj`` (tails first, then
arrowheads, in matrix order) and through its ancestor matrix ``dpath``, which causal-learn updates
incrementally (and rebuilds when a directed edge is removed) rather than as a true transitive closure.
Orientation conflicts on sampled data depend on both, so both are reproduced here.
"""

from __future__ import annotations

import numpy as np

from causalex.discover.background import CompiledKnowledge
from causalex.discover.pag import ARROW, NO_EDGE, TAIL


class _PCGraph:
    """Marks (``m[a][b]`` = mark at b) plus causal-learn's ``dpath`` (``d[j][i]``: i is an ancestor of j)."""

    def __init__(self, adjacency: np.ndarray) -> None:
        k = adjacency.shape[0]
        self.k = k
        self.m = np.where(adjacency, TAIL, NO_EDGE).astype(np.int64).tolist()
        self.d = np.eye(k, dtype=bool)

    def directed(self, i: int, j: int) -> bool:
        return self.m[j][i] == TAIL and self.m[i][j] == ARROW

    def undirected(self, i: int, j: int) -> bool:
        return self.m[i][j] == TAIL and self.m[j][i] == TAIL

    def _adjust(self, i: int, j: int) -> None:
        """causal-learn ``adjust_dpath(i, j)`` after adding ``i --> j``."""
        self.d[j] |= self.d[i]
        self.d[:, i] |= self.d[:, j]

    def _rebuild(self) -> None:
        """causal-learn ``reconstitute_dpath``: replay directed edges, last edge (in matrix order) first."""
        self.d = np.eye(self.k, dtype=bool)
        for i in reversed(range(self.k)):
            for j in reversed(range(i + 1, self.k)):
                if self.directed(i, j):
                    self._adjust(i, j)
                elif self.directed(j, i):
                    self._adjust(j, i)

    def orient(self, i: int, j: int) -> None:
        """Remove edge i-j and add ``i --> j`` (causal-learn ``remove_edge`` + ``add_edge``)."""
        was_directed = self.directed(i, j) or self.directed(j, i)
        self.m[i][j] = self.m[j][i] = NO_EDGE
        if was_directed:
            self._rebuild()
        self.m[j][i], self.m[i][j] = TAIL, ARROW
        self._adjust(i, j)

    def is_ancestor(self, a: int, b: int) -> bool:
        return bool(self.d[b, a])

    def adjacency_list(self) -> list[tuple[int, int]]:
        """causal-learn ``find_adj``: pairs (a, b) with a tail at a, then with an arrowhead at a."""
        m, k = self.m, self.k
        tails = [(c, r) for r in range(k) for c in range(k) if m[c][r] == TAIL]
        heads = [(c, r) for r in range(k) for c in range(k) if m[c][r] == ARROW]
        return tails + heads


def _triples(pairs: list[tuple[int, int]], keep) -> list[tuple[int, int, int]]:
    """``(u, v, w)`` for pairs ``(u, v)``, ``(v, w)`` (``u != w``) in causal-learn's permutation order."""
    by_first: dict[int, list[int]] = {}
    for u, v in pairs:
        by_first.setdefault(u, []).append(v)
    return [(u, v, w) for u, v in pairs for w in by_first.get(v, ()) if u != w and keep(u, w)]


def _kites(triangles: list[tuple[int, int, int]], g: _PCGraph) -> list[tuple[int, int, int, int]]:
    """causal-learn ``find_kites`` order: ``(i, j, k, l)`` from triangles ``(i, j, l)``, ``(i, k, l)``."""
    by_ends: dict[tuple[int, int], list[int]] = {}
    for i, j, l in triangles:
        by_ends.setdefault((i, l), []).append(j)
    return [(i, j, k, l) for i, j, l in triangles for k in by_ends[(i, l)]
            if j < k and g.m[j][k] == NO_EDGE]


def pc_orient(adjacency: np.ndarray, sepsets: dict[tuple[int, int], frozenset[int]],
              knowledge: CompiledKnowledge | None = None) -> np.ndarray:
    """Orient a PC skeleton into a CPDAG.

    Args:
        adjacency: ``[K, K]`` bool skeleton.
        sepsets: separating sets of removed pairs (both orders).
        knowledge: compiled background knowledge or None.

    Returns:
        ``[K, K]`` int8 marks (`PAG` convention; ``-->`` and ``---`` only).
    """
    g = _PCGraph(adjacency)
    f = knowledge.forbidden if knowledge is not None else None
    r = knowledge.required if knowledge is not None else None
    if knowledge is not None:
        for i in range(g.k):
            for j in range(i + 1, g.k):
                if not g.undirected(i, j):
                    continue
                # causal-learn orient_by_background_knowledge: this precedence, edge by edge
                if f[j][i]:
                    g.orient(i, j)
                elif f[i][j] or r[j][i]:
                    g.orient(j, i)
                elif r[i][j]:
                    g.orient(i, j)
    # unshielded colliders, priority 2 ("prioritise existing colliders")
    def non_adjacent(u: int, w: int) -> bool:
        return g.m[u][w] == NO_EDGE

    for x, y, z in [t for t in _triples(g.adjacency_list(), non_adjacent) if t[0] < t[2]]:
        if f is not None and (f[x][y] or f[z][y] or r[y][x] or r[y][z]):
            continue
        if y in sepsets.get((x, z), frozenset()):
            continue
        if not g.directed(y, x) and not g.directed(y, z):
            g.orient(x, y)
            g.orient(z, y)
    _meek(g, f, r)
    return np.asarray(g.m, dtype=np.int8)


def _meek(g: _PCGraph, f, r) -> None:
    """causal-learn ``Meek.meek``: rules 1-3 over triples fixed at the start, until nothing changes."""
    pairs = g.adjacency_list()
    unshielded = _triples(pairs, lambda u, w: g.m[u][w] == NO_EDGE)
    triangles = _triples(pairs, lambda u, w: g.m[u][w] != NO_EDGE)
    kites = _kites(triangles, g)

    def blocked(a: int, b: int) -> bool:  # knowledge forbids a --> b or requires b --> a
        return f is not None and (f[a][b] or r[b][a])

    loop = True
    while loop:
        loop = False
        for i, j, k in unshielded:
            if g.directed(i, j) and g.undirected(j, k) and not blocked(j, k):
                if g.is_ancestor(k, j):
                    continue
                g.orient(j, k)
                loop = True
        for i, j, k in triangles:
            if g.directed(i, j) and g.directed(j, k) and g.undirected(i, k) and not blocked(i, k):
                if g.is_ancestor(k, i):
                    continue
                g.orient(i, k)
                loop = True
        for i, j, k, l in kites:
            if (g.undirected(i, j) and g.undirected(i, k) and g.directed(j, l) and g.directed(k, l)
                    and g.undirected(i, l) and not blocked(i, l)):
                if g.is_ancestor(l, i):
                    continue
                g.orient(i, l)
                loop = True
