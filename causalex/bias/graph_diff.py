"""Differences between the AU graphs of two corpora, sorted for the bias report.

Built on `causalex.graph.diff_graphs` (edges in only one graph, edges whose marks differ): this module
adds the pairs that are the same in both and the pairs FCI marks ``<->`` (latent common cause) in
either graph. A dataset-specific bias shows up as a ``<->`` that exists in one corpus's graph only.
Kinds are read from the AU of the pair that comes first in graph A's node order, e.g. ``-->``, ``<--``, ``<->``, ``o->``; graphs without
PAG edges (``full``, ``none``) are read from their adjacency (``---`` for a two-way message).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from causalex.graph import AUGraph, diff_graphs as diff_edges, display_edges, read_kind, reverse_kind

LATENT = "<->"


@dataclass
class PairChange:
    """One AU pair and its edge kind in each graph (None: not adjacent there)."""

    a: str
    b: str
    kind_a: str | None
    kind_b: str | None

    def to_json(self) -> dict[str, Any]:
        """``{"a", "b", "kind_a", "kind_b"}``."""
        return {"a": self.a, "b": self.b, "kind_a": self.kind_a, "kind_b": self.kind_b}


@dataclass
class GraphDiff:
    """How the graph of corpus A differs from the graph of corpus B.

    Attributes:
        name_a, name_b: labels of the two corpora.
        nodes: AUs of graph A.
        only_a: pairs adjacent in A only.
        only_b: pairs adjacent in B only.
        changed: pairs adjacent in both with different marks (e.g. ``-->`` vs ``<->``).
        same: pairs adjacent in both with the same marks.
    """

    name_a: str
    name_b: str
    nodes: list[str]
    only_a: list[PairChange] = field(default_factory=list)
    only_b: list[PairChange] = field(default_factory=list)
    changed: list[PairChange] = field(default_factory=list)
    same: list[PairChange] = field(default_factory=list)

    @property
    def latent(self) -> list[PairChange]:
        """Pairs marked ``<->`` in A or in B."""
        return [p for p in self.only_a + self.only_b + self.changed + self.same if LATENT in (p.kind_a, p.kind_b)]

    def to_json(self) -> dict[str, Any]:
        """JSON document with the lists above and their counts."""
        lists = {"only_a": self.only_a, "only_b": self.only_b, "changed": self.changed, "same": self.same,
                 "latent": self.latent}
        out: dict[str, Any] = {"name_a": self.name_a, "name_b": self.name_b, "nodes": self.nodes}
        out.update({k: [p.to_json() for p in v] for k, v in lists.items()})
        out["counts"] = {k: len(v) for k, v in lists.items()}
        return out


def _ordered(p: PairChange, rank: dict[str, int]) -> PairChange:
    """The pair read from its earlier node (kinds reversed when the ends swap)."""
    if rank[p.a] <= rank[p.b]:
        return p
    flip = lambda k: reverse_kind(k) if k is not None else None  # noqa: E731
    return PairChange(p.b, p.a, flip(p.kind_a), flip(p.kind_b))


def diff_graphs(graph_a: AUGraph, graph_b: AUGraph, name_a: str = "A", name_b: str = "B") -> GraphDiff:
    """Compare two AU graphs pair by pair.

    Args:
        graph_a, graph_b: the graphs (typically discovered with the same settings on two corpora).
        name_a, name_b: labels used in reports.

    Returns:
        A `GraphDiff`; lists are in the order of graph A's nodes.
    """
    rank = {n: i for i, n in enumerate(list(graph_a.nodes) + [n for n in graph_b.nodes if n not in graph_a.nodes])}
    diff = GraphDiff(name_a=name_a, name_b=name_b, nodes=list(graph_a.nodes))
    differing = set()
    for c in diff_edges(graph_a, graph_b):
        if c.kind_1 == c.kind_2:  # only the kept flag differs: the same PAG edge
            continue
        change = _ordered(PairChange(c.a, c.b, c.kind_1, c.kind_2), rank)
        differing.add(frozenset((c.a, c.b)))
        {"only in 1": diff.only_a, "only in 2": diff.only_b}.get(c.change, diff.changed).append(change)
    in_b = {frozenset((e.source, e.target)) for e in display_edges(graph_b)}
    for e in display_edges(graph_a):
        pair = frozenset((e.source, e.target))
        if pair in in_b and pair not in differing:
            a, b = sorted((e.source, e.target), key=rank.__getitem__)
            kind = read_kind(e, a)
            diff.same.append(PairChange(a, b, kind, kind))
    for group in (diff.only_a, diff.only_b, diff.changed, diff.same):
        group.sort(key=lambda p: (rank[p.a], rank[p.b]))
    return diff
