"""The partial ancestral graph (PAG) that the discovery engines return.

``marks[i, j]`` is the endpoint mark AT NODE ``j`` on the edge between ``i`` and ``j``:
``NO_EDGE`` (0), ``TAIL`` (1), ``ARROW`` (2) or ``CIRCLE`` (3). So ``i --> j`` is
``marks[i, j] = ARROW, marks[j, i] = TAIL``; ``i <-> j`` has both ``ARROW``; ``i o-> j`` is
``marks[i, j] = ARROW, marks[j, i] = CIRCLE``. PC returns its CPDAG in the same type (``-->``/``---``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from causalex.graph import GraphEdge

NO_EDGE = 0
TAIL = 1
ARROW = 2
CIRCLE = 3

MARK_NAME = {TAIL: "tail", ARROW: "arrow", CIRCLE: "circle"}
_NAME_MARK = {v: k for k, v in MARK_NAME.items()}
_LEFT = {TAIL: "-", ARROW: "<", CIRCLE: "o"}
_RIGHT = {TAIL: "-", ARROW: ">", CIRCLE: "o"}


@dataclass(eq=False)
class PAG:
    """A PAG (FCI) or CPDAG (PC) over named nodes.

    Attributes:
        node_names: names of the K nodes, in the order of ``marks``.
        marks: ``[K, K]`` int8 endpoint marks, ``marks[i, j]`` = mark at ``j`` of edge ``i``-``j``.
        sepsets: separating sets found by the adjacency search, ``{(i, j): (k, ...)}`` with ``i < j``
            (informational; not part of equality).
        meta: how the graph was found (engine, method, alpha, depth, CI test).
    """

    node_names: list[str]
    marks: np.ndarray
    sepsets: dict[tuple[int, int], tuple[int, ...]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.node_names = [str(n) for n in self.node_names]
        self.marks = np.asarray(self.marks, dtype=np.int8)
        k = len(self.node_names)
        if self.marks.shape != (k, k):
            raise ValueError(f"marks must be [{k}, {k}], got {self.marks.shape}")
        if len(set(self.node_names)) != k:
            raise ValueError(f"duplicate node names in {self.node_names}")
        if not np.array_equal(self.marks == NO_EDGE, self.marks.T == NO_EDGE):
            raise ValueError("marks must have an edge at both ends or at neither")
        if np.any(np.diag(self.marks) != NO_EDGE):
            raise ValueError("marks must have an empty diagonal (no self loops)")
        if np.any((self.marks < NO_EDGE) | (self.marks > CIRCLE)):
            raise ValueError("marks must be 0 (none), 1 (tail), 2 (arrow) or 3 (circle)")

    @property
    def num_nodes(self) -> int:
        """Number of nodes K."""
        return len(self.node_names)

    def edges(self) -> Iterator[tuple[int, int, int, int]]:
        """Yield ``(i, j, mark_at_i, mark_at_j)`` for every edge with ``i < j``, row-major order."""
        src, dst = np.nonzero(np.triu(self.marks != NO_EDGE, 1))
        for i, j in zip(src.tolist(), dst.tolist()):
            yield i, j, int(self.marks[j, i]), int(self.marks[i, j])

    def skeleton(self) -> np.ndarray:
        """Adjacency of the undirected skeleton. Shapes: returns ``[K, K]`` bool, symmetric."""
        return self.marks != NO_EDGE

    def edge_kind(self, i: int, j: int) -> str:
        """Edge between ``i`` and ``j`` read from ``i`` to ``j``: ``-->``, ``<--``, ``<->``, ``o->``,
        ``<-o``, ``o-o``, ``---``, ``-o``/``o-`` variants, or ``""`` when not adjacent."""
        at_j, at_i = int(self.marks[i, j]), int(self.marks[j, i])
        if at_j == NO_EDGE:
            return ""
        return f"{_LEFT[at_i]}-{_RIGHT[at_j]}"

    def num_edges(self) -> int:
        """Number of edges."""
        return int(np.count_nonzero(np.triu(self.marks != NO_EDGE, 1)))

    def to_graph_edges(self) -> list[GraphEdge]:
        """The edges as `causalex.graph.GraphEdge` (source = lower index), stability 1.0."""
        return [GraphEdge(source=self.node_names[i], target=self.node_names[j],
                          source_mark=MARK_NAME[mi], target_mark=MARK_NAME[mj])
                for i, j, mi, mj in self.edges()]

    @classmethod
    def from_graph_edges(cls, node_names: list[str], edges: list[GraphEdge]) -> "PAG":
        """Build a PAG from `GraphEdge` objects (inverse of `to_graph_edges`)."""
        index = {n: k for k, n in enumerate(node_names)}
        marks = np.zeros((len(node_names), len(node_names)), np.int8)
        for e in edges:
            i, j = index[e.source], index[e.target]
            marks[j, i] = _NAME_MARK[e.source_mark]
            marks[i, j] = _NAME_MARK[e.target_mark]
        return cls(list(node_names), marks)

    @classmethod
    def from_causallearn(cls, graph: Any, names: list[str] | None = None) -> "PAG":
        """Convert a causal-learn ``GeneralGraph`` (from ``fci``) or ``CausalGraph`` (from ``pc``).

        causal-learn stores ``graph[j, i] = 1`` and ``graph[i, j] = -1`` for ``i --> j``; its endpoint
        codes are -1 tail, 1 arrow, 2 circle, and ``graph[i, j]`` is the mark at ``i``.

        Args:
            graph: a ``GeneralGraph``, a ``CausalGraph`` (its ``.G`` is used) or a raw ``[K, K]`` matrix.
            names: node names (default: causal-learn's own node names, else ``X1..XK``).
        """
        general = getattr(graph, "G", graph)
        matrix = np.asarray(getattr(general, "graph", general))
        k = matrix.shape[0]
        if names is None:
            nodes = getattr(general, "nodes", None) or getattr(general, "get_nodes", lambda: None)()
            names = [n.get_name() for n in nodes] if nodes else [f"X{i + 1}" for i in range(k)]
        code = {0: NO_EDGE, -1: TAIL, 1: ARROW, 2: CIRCLE}
        marks = np.zeros((k, k), np.int8)
        for a in range(k):
            for b in range(k):
                value = int(matrix[a, b])
                if value not in code:
                    raise ValueError(f"unknown causal-learn endpoint code {value} at ({a}, {b})")
                marks[b, a] = code[value]  # matrix[a, b] is the mark at a, ours is marks[b, a]
        return cls(list(names), marks)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PAG):
            return NotImplemented
        return self.node_names == other.node_names and np.array_equal(self.marks, other.marks)

    def __hash__(self) -> int:
        return hash((tuple(self.node_names), self.marks.tobytes()))

    def __repr__(self) -> str:
        parts = [f"{self.node_names[i]} {self.edge_kind(i, j)} {self.node_names[j]}"
                 for i, j, _, _ in self.edges()]
        return f"PAG({self.num_nodes} nodes: {', '.join(parts) or 'no edges'})"
