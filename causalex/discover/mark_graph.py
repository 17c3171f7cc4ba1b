"""A small mutable mark graph for the orientation phases of the fast engine.

``m[a][b]`` is the mark AT ``b`` on the edge ``a``-``b`` (`pag.TAIL`, `pag.ARROW`, `pag.CIRCLE`; 0 = no edge),
the `PAG` convention, kept as Python lists because the rules read single marks in tight loops. The
queries are named after the causal-learn graph methods that the rules mirror (``get_nodes_into`` ->
`into`, ``get_endpoint(a, b)`` -> ``m[a][b]``), and iterate nodes in index order as causal-learn does.
"""

from __future__ import annotations

from collections import deque
from typing import Iterator

import numpy as np

from causalex.discover.pag import ARROW, CIRCLE, NO_EDGE, TAIL


class MarkGraph:
    """Marks of a PAG under construction plus cached semi-directed reachability.

    Args:
        marks: ``[K, K]`` marks (`PAG` convention).
        names: node names; their string hashes reproduce causal-learn's set iteration order.
    """

    def __init__(self, marks: np.ndarray, names: list[str]) -> None:
        self.m: list[list[int]] = np.asarray(marks, dtype=np.int64).tolist()
        self.k = len(names)
        self.names = list(names)
        self.version = 0  # bumped by every edit (marks or adjacency)
        self._reach_version = -1
        self._reach: list[list[bool]] = []
        self._adj: list[list[int]] | None = None  # adjacency lists, reset when an edge goes

    # ----- queries -------------------------------------------------------------------------------
    def adj(self, b: int) -> list[int]:
        """Nodes adjacent to ``b``, ascending (a fresh list)."""
        return list(self.adjacency_lists()[b])

    def adjacency_lists(self) -> list[list[int]]:
        """Adjacency list of every node, ascending (cached until an edge is removed: do not modify)."""
        if self._adj is None:
            k = self.k
            self._adj = [[i for i in range(k) if row[i] != NO_EDGE] for row in self.m]
        return self._adj

    def adjacent(self, a: int, b: int) -> bool:
        """Whether ``a`` and ``b`` share an edge."""
        return self.m[a][b] != NO_EDGE

    def into(self, n: int, mark: int) -> list[int]:
        """Nodes ``j`` whose edge with ``n`` has ``mark`` at ``n`` (causal-learn ``get_nodes_into``)."""
        m = self.m
        return [j for j in range(self.k) if m[j][n] == mark]

    def out_of_arrow(self, n: int) -> list[int]:
        """Nodes ``j`` with ``n *-> j`` (causal-learn ``get_nodes_out_of(n, ARROW)``)."""
        row = self.m[n]
        return [j for j in range(self.k) if row[j] == ARROW]

    def is_parent(self, a: int, b: int) -> bool:
        """Whether ``a --> b``."""
        return self.m[a][b] == ARROW and self.m[b][a] == TAIL

    def parents(self, c: int) -> list[int]:
        """Nodes ``i`` with ``i --> c``, ascending."""
        m = self.m
        return [i for i in range(self.k) if m[i][c] == ARROW and m[c][i] == TAIL]

    def def_collider(self, a: int, b: int, c: int) -> bool:
        """Whether ``a *-> b <-* c``."""
        return self.m[a][b] == ARROW and self.m[c][b] == ARROW

    def set_order(self, nodes: list[int]) -> list[int]:
        """``nodes`` in the iteration order of a Python set of their names built in this order.

        causal-learn keeps some node collections in sets of nodes hashed by name; iterating a set of
        the same names, inserted in the same order, visits them in the same order in this process.
        """
        index = {self.names[i]: i for i in nodes}
        bag: set[str] = set()
        for i in nodes:
            bag.add(self.names[i])
        return [index[name] for name in bag]

    def semi_directed(self, source: int, target: int) -> bool:
        """Whether a semi-directed path (each step leaves a tail or circle) of length >= 1 goes
        from ``source`` to ``target`` (causal-learn ``existsSemiDirectedPath``)."""
        return self.semi_directed_matrix()[source][target]

    def semi_directed_matrix(self) -> list[list[bool]]:
        """``R[s][t]``: `semi_directed` for all pairs (cached until the next edit: do not modify)."""
        if self._reach_version != self.version:
            marks = np.asarray(self.m)
            step = np.isin(marks.T, (TAIL, CIRCLE))  # step[u, v]: mark at u on u-v is tail or circle
            reach = step.copy()
            while True:  # squaring: paths of length <= 2^t after t rounds
                as_int = reach.astype(np.int32)
                nxt = reach | ((as_int @ as_int) > 0)
                if np.array_equal(nxt, reach):
                    break
                reach = nxt
            self._reach = reach.tolist()
            self._reach_version = self.version
        return self._reach

    def is_uncovered(self, path: list[int]) -> bool:
        """Whether no two nodes two steps apart on ``path`` are adjacent."""
        m = self.m
        return all(m[path[i]][path[i + 2]] == NO_EDGE for i in range(len(path) - 2))

    # ----- edits ---------------------------------------------------------------------------------
    def set_mark(self, a: int, b: int, mark: int) -> None:
        """Set the mark at ``b`` on the existing edge ``a``-``b``."""
        self.m[a][b] = mark
        self.version += 1

    def replace_edge(self, a: int, b: int, mark_at_a: int, mark_at_b: int) -> None:
        """Replace edge ``a``-``b`` as causal-learn's ``remove_edge`` + ``add_edge(Edge(a, b, ...))`` do.

        causal-learn's ``add_edge`` refuses (circle at the first node, tail at the second), so that
        combination deletes the edge there; it is reproduced here.
        """
        if self.m[a][b] == NO_EDGE or (mark_at_a == CIRCLE and mark_at_b == TAIL):
            self._adj = None  # adjacency changes
        if mark_at_a == CIRCLE and mark_at_b == TAIL:
            self.m[a][b] = self.m[b][a] = NO_EDGE
        else:
            self.m[b][a], self.m[a][b] = mark_at_a, mark_at_b
        self.version += 1

    def remove_edge(self, a: int, b: int) -> None:
        """Delete the edge ``a``-``b``."""
        self.m[a][b] = self.m[b][a] = NO_EDGE
        self._adj = None
        self.version += 1

    def reorient_all(self, mark: int) -> None:
        """Set both marks of every edge to ``mark``."""
        for row in self.m:
            for j, v in enumerate(row):
                if v != NO_EDGE:
                    row[j] = mark
        self.version += 1

    def to_array(self) -> np.ndarray:
        """The marks. Shapes: ``[K, K]`` int8."""
        return np.asarray(self.m, dtype=np.int8)

    # ----- path searches mirroring causal-learn's breadth-first searches -----------------------
    def uncovered_pd_path(self, start: int, nxt: int, target: int) -> bool:
        """causal-learn ``existsUncoveredPdPath(start, nxt, target)``: a potentially directed path
        ``start, nxt, ..., target`` found by its BFS (first visit wins) that is uncovered."""
        m = self.m
        seen = {start, nxt}
        queue: deque[tuple[int, list[int]]] = deque()

        def expand(t: int, path: list[int]) -> None:
            for u in self.adj(t):
                if m[u][t] in (TAIL, CIRCLE) and m[t][u] in (ARROW, CIRCLE) and u not in seen:
                    seen.add(u)
                    queue.append((u, path + [u]))

        expand(nxt, [start, nxt])
        while queue:
            t, path = queue.popleft()
            if t == target and self.is_uncovered(path):
                return True
            expand(t, path)
        return False

    def uncovered_circle_paths(self, start: int, target: int, exclude: tuple[int, ...]) -> Iterator[list[int]]:
        """causal-learn ``GetUncoveredCirclePath``: lazily yield uncovered ``o-o`` paths found by BFS."""
        m = self.m
        seen: set[int] = set()
        queue: deque[tuple[int, list[int]]] = deque()

        def expand(t: int, path: list[int]) -> None:
            for u in self.adj(t):
                if u in exclude:
                    continue
                if m[u][t] == CIRCLE and m[t][u] == CIRCLE and u not in seen:
                    seen.add(u)
                    queue.append((u, path + [u]))

        expand(start, [start])
        while queue:
            t, path = queue.popleft()
            if t == target and self.is_uncovered(path):
                yield path
            expand(t, path)
