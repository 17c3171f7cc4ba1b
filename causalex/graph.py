"""The AU causal graph: PAG edges with endpoint marks, stability, the debiased adjacency, provenance.

An edge between AUs ``source`` and ``target`` carries the mark at each end, as FCI outputs it:
``tail`` (-), ``arrow`` (>) or ``circle`` (o). So ``source --> target`` is (tail, arrow),
``source <-> target`` is (arrow, arrow), ``source o-> target`` is (circle, arrow).

The model uses ``adjacency``: ``A[i, j] = 1`` means a message flows from node i to node j (cause i,
effect j). It is derived from the PAG by a debiasing policy (see `causalex.discover`); edges that the
policy drops stay in the file with ``kept = False`` and the ``reason``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from causalex.errors import input_error, require_file
from causalex.fileio import write_text_atomic

MARKS = ("tail", "arrow", "circle")
MARK_SYMBOL = {"tail": "-", "arrow": ">", "circle": "o"}
GRAPH_FORMAT = "causalex.graph"
GRAPH_FORMAT_VERSION = 1


@dataclass
class GraphEdge:
    """One PAG edge and what the debiasing made of it.

    Attributes:
        source, target: AU names.
        source_mark, target_mark: endpoint marks at each end (``tail``/``arrow``/``circle``).
        stability: fraction of bootstrap runs in which the two AUs were adjacent (1.0 without bootstrap).
        mark_stability: fraction of runs per edge kind, e.g. ``{"-->": 0.7, "<->": 0.2}``.
        kept: whether the model uses the edge.
        reason: why it was kept or dropped (``directed``, ``latent common cause``, ``below stability``, ...).
    """

    source: str
    target: str
    source_mark: str
    target_mark: str
    stability: float = 1.0
    mark_stability: dict[str, float] = field(default_factory=dict)
    kept: bool = True
    reason: str = ""
    lag_s: float | None = None  # time-series discovery: the cause's lead in seconds where the link peaks
    context_strength: dict[str, float] = field(default_factory=dict)  # |partial corr| of the link per corpus

    def __post_init__(self) -> None:
        for m in (self.source_mark, self.target_mark):
            if m not in MARKS:
                raise ValueError(f"unknown endpoint mark {m!r}; valid: {', '.join(MARKS)}")
        if isinstance(self.stability, bool) or not isinstance(self.stability, (int, float)):
            raise ValueError(f"edge {self.source} - {self.target}: stability {self.stability!r} is not a number")
        if not isinstance(self.kept, bool):
            raise ValueError(f"edge {self.source} - {self.target}: kept {self.kept!r} is not true or false")

    @property
    def kind(self) -> str:
        """Edge drawn as text, e.g. ``-->``, ``<->``, ``o->``, ``o-o``, ``---``."""
        left = {"tail": "-", "arrow": "<", "circle": "o"}[self.source_mark]
        right = {"tail": "-", "arrow": ">", "circle": "o"}[self.target_mark]
        return f"{left}-{right}"


@dataclass
class AUGraph:
    """A saved AU graph: nodes, PAG edges, the adjacency the model uses, and provenance.

    Attributes:
        nodes: AU names (node order of ``adjacency``).
        edges: PAG edges (kept and dropped).
        adjacency: ``[K, K]`` 0/1 matrix, ``A[i, j] = 1`` for a message i -> j.
        provenance: how the graph was made (data hash, engine, CI test, alpha, versions, command).
        name: short label (``causal``, ``facs``, ...).
        selection: AU selection, ``{AU: {"selected": bool, "reason": str}}`` (`causalex.discover.selection`);
            empty: every node is used. A model masks the input of an AU that is not selected.
    """

    nodes: list[str]
    edges: list[GraphEdge] = field(default_factory=list)
    adjacency: np.ndarray | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    selection: dict[str, dict[str, Any]] = field(default_factory=dict)
    label_links: list[dict[str, Any]] = field(default_factory=list)  # expression label -> AU links (not model
    # edges): ``{"label": "micro", "au": "AU12", "lag_s": 0.033, "strength": 0.21}``

    def __post_init__(self) -> None:
        k = len(self.nodes)
        if len(set(self.nodes)) != k:
            raise ValueError(f"duplicate node names in {self.nodes}")
        if self.adjacency is None:
            self.adjacency = adjacency_from_edges(self.nodes, [e for e in self.edges if e.kept])
        self.adjacency = np.asarray(self.adjacency, dtype=np.int8)
        if self.adjacency.shape != (k, k):
            raise ValueError(f"adjacency must be [{k}, {k}], got {self.adjacency.shape}")
        names = set(self.nodes)
        for e in self.edges:
            if e.source not in names or e.target not in names:
                raise ValueError(f"edge {e.source}-{e.target} names a node not in the graph")
        for au in self.selection:
            if au not in names:
                raise ValueError(f"selection names {au}, not a node of the graph")

    def is_selected(self, au: str) -> bool:
        """Whether the model may use AU ``au`` (True when the graph carries no selection for it)."""
        return bool(self.selection.get(au, {}).get("selected", True))

    @property
    def selection_only(self) -> bool:
        """Whether the graph was debiased with the ``selection-only`` policy: its edges are shown, a model uses
        none of them (only the AU selection)."""
        return (self.provenance or {}).get("policy") == "selection-only"

    def deselected(self) -> list[str]:
        """Nodes the AU selection leaves out of the model, in node order."""
        return [a for a in self.nodes if not self.is_selected(a)]

    def node_mask(self, au_names: list[str]) -> np.ndarray:
        """1 for AUs the model may use, 0 for those the selection leaves out. Shapes: ``[K']`` float32."""
        return np.array([1.0 if self.is_selected(a) else 0.0 for a in au_names], np.float32)

    def adjacency_for(self, au_names: list[str]) -> np.ndarray:
        """Adjacency restricted/reordered to ``au_names``. Shapes: ``[K', K']`` float32.

        Raises:
            InputError: if an AU in ``au_names`` is not a node of the graph.
        """
        missing = [a for a in au_names if a not in self.nodes]
        if missing:
            raise input_error(self.provenance.get("file"), f"graph has no node(s) {', '.join(missing)}")
        idx = [self.nodes.index(a) for a in au_names]
        return self.adjacency[np.ix_(idx, idx)].astype(np.float32)

    def kept_edges(self) -> list[GraphEdge]:
        """Edges the model uses."""
        return [e for e in self.edges if e.kept]

    def to_json(self) -> dict[str, Any]:
        """The JSON document of the graph file (README, "Formats")."""
        src, dst = np.nonzero(self.adjacency)
        return {
            "format": GRAPH_FORMAT,
            "version": GRAPH_FORMAT_VERSION,
            "name": self.name,
            "nodes": self.nodes,
            "edges": [asdict(e) for e in self.edges],
            "adjacency": [[self.nodes[i], self.nodes[j]] for i, j in zip(src.tolist(), dst.tolist())],
            "provenance": self.provenance,
            **({"selection": self.selection} if self.selection else {}),
            **({"label_links": self.label_links} if self.label_links else {}),
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the graph JSON atomically; returns the path."""
        write_text_atomic(path, json.dumps(self.to_json(), indent=2) + "\n")
        return Path(path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "AUGraph":
        """Read a graph JSON written by `save`.

        Raises:
            InputError: missing file, not JSON, not a causalex graph, or inconsistent content.
        """
        require_file(path, "graph file")
        try:
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise input_error(path, f"not a JSON file ({exc})") from exc
        if not isinstance(doc, dict) or doc.get("format") != GRAPH_FORMAT:
            raise input_error(path, f"not a causalex graph file (missing format: {GRAPH_FORMAT!r})")
        version = doc.get("version", 0)
        if isinstance(version, bool) or not isinstance(version, int):
            raise input_error(path, f"graph format version {version!r} is not an integer")
        if version > GRAPH_FORMAT_VERSION:
            raise input_error(path, f"graph format version {version} is newer than this causalex")
        from causalex.graph_doc import check_graph_doc

        check_graph_doc(path, doc)
        try:
            nodes = list(doc["nodes"])
            edges = [GraphEdge(**e) for e in doc.get("edges", [])]
            adj = np.zeros((len(nodes), len(nodes)), np.int8)
            for a, b in doc.get("adjacency", []):
                adj[nodes.index(a), nodes.index(b)] = 1
            prov = dict(doc.get("provenance", {}))
            prov["file"] = str(path)
            return cls(nodes=nodes, edges=edges, adjacency=adj, provenance=prov, name=doc.get("name", ""),
                       selection=dict(doc.get("selection", {})), label_links=list(doc.get("label_links", [])))
        except KeyError as exc:
            raise input_error(path, f"invalid graph file (no {exc.args[0]!r} field)") from exc
        except (TypeError, ValueError) as exc:
            raise input_error(path, f"invalid graph file ({exc})") from exc


def adjacency_from_edges(nodes: list[str], edges: list[GraphEdge]) -> np.ndarray:
    """Message-passing adjacency of kept edges: ``-->`` gives i->j, anything else both directions.

    Shapes: returns ``[K, K]`` int8.
    """
    index = {n: i for i, n in enumerate(nodes)}
    adj = np.zeros((len(nodes), len(nodes)), np.int8)
    for e in edges:
        i, j = index[e.source], index[e.target]
        if e.source_mark == "tail" and e.target_mark == "arrow":
            adj[i, j] = 1
        elif e.source_mark == "arrow" and e.target_mark == "tail":
            adj[j, i] = 1
        else:
            adj[i, j] = adj[j, i] = 1
    return adj


def linked_pairs(graph: AUGraph) -> int:
    """Number of unordered AU pairs the adjacency links (in either direction)."""
    adj = np.asarray(graph.adjacency) != 0
    return int(np.count_nonzero(np.triu(adj | adj.T, k=1)))


def full_graph(nodes: list[str], name: str = "full") -> AUGraph:
    """Fully connected graph (every ordered pair, no self loops): the ``full`` ablation."""
    adj = np.ones((len(nodes), len(nodes)), np.int8) - np.eye(len(nodes), dtype=np.int8)
    return AUGraph(nodes=list(nodes), adjacency=adj, name=name, provenance={"kind": "full"})


def empty_graph(nodes: list[str], name: str = "none") -> AUGraph:
    """Graph with no edges: the ``none`` ablation (each AU node sees only itself)."""
    return AUGraph(nodes=list(nodes), adjacency=np.zeros((len(nodes), len(nodes)), np.int8), name=name,
                   provenance={"kind": "none"})


def stability_threshold(graph: AUGraph) -> float:
    """The bootstrap stability threshold the graph was debiased with (0.0 without bootstrap)."""
    prov = graph.provenance
    return float(prov.get("threshold") or 0.0) if prov.get("bootstrap") else 0.0


def display_edges(graph: AUGraph, stable_only: bool = False) -> list[GraphEdge]:
    """The graph's PAG edges plus one edge per adjacency pair that no PAG edge covers.

    Graphs built without a PAG (``full``, ``none``, hand-made adjacencies) carry only an adjacency; for
    showing, plotting, exporting and comparing they get ``-->`` (one-way) or ``---`` (both ways) edges
    with the reason ``adjacency``.

    Args:
        graph: the graph.
        stable_only: leave out dropped edges below the bootstrap stability threshold (a bootstrap
            records every pair adjacent in any run; most of them are noise).
    """
    covered = {frozenset((e.source, e.target)) for e in graph.edges}
    threshold = stability_threshold(graph) if stable_only else 0.0
    out = [e for e in graph.edges if e.kept or e.stability >= threshold]
    adj = graph.adjacency
    for i, a in enumerate(graph.nodes):
        for j in range(i + 1, len(graph.nodes)):
            b = graph.nodes[j]
            if frozenset((a, b)) in covered or not (adj[i, j] or adj[j, i]):
                continue
            if adj[i, j] and adj[j, i]:
                out.append(GraphEdge(a, b, "tail", "tail", reason="adjacency"))
            elif adj[i, j]:
                out.append(GraphEdge(a, b, "tail", "arrow", reason="adjacency"))
            else:
                out.append(GraphEdge(b, a, "tail", "arrow", reason="adjacency"))
    return out


_FLIP = {"<": ">", ">": "<", "-": "-", "o": "o"}


def reverse_kind(kind: str) -> str:
    """The same edge read the other way: ``-->`` <-> ``<--``, ``o->`` <-> ``<-o``, ``<->`` unchanged."""
    return f"{_FLIP[kind[2]]}-{_FLIP[kind[0]]}"


def read_kind(edge: GraphEdge, source: str) -> str:
    """The edge's kind read from ``source`` (one of its ends), e.g. ``<--`` for ``b --> source``."""
    return edge.kind if source == edge.source else reverse_kind(edge.kind)


@dataclass
class EdgeChange:
    """One AU pair that differs between two graphs (``None`` where a graph lacks the edge)."""

    a: str
    b: str
    kind_1: str | None
    kind_2: str | None
    kept_1: bool | None
    kept_2: bool | None
    stability_1: float | None
    stability_2: float | None

    @property
    def change(self) -> str:
        """``only in 1``, ``only in 2``, ``marks changed`` or ``kept changed``."""
        if self.kind_2 is None:
            return "only in 1"
        if self.kind_1 is None:
            return "only in 2"
        return "marks changed" if self.kind_1 != self.kind_2 else "kept changed"


def diff_graphs(g1: AUGraph, g2: AUGraph, stable_only: bool = False) -> list[EdgeChange]:
    """Edges present in only one graph, and edges whose marks or kept flag differ.

    Both graphs are compared through `display_edges` (``stable_only`` as there); kinds are read in the
    same direction (from the first graph's source, else the second's). Pairs are ordered by change,
    then by the first graph's node order.
    """
    e1 = {frozenset((e.source, e.target)): e for e in display_edges(g1, stable_only)}
    e2 = {frozenset((e.source, e.target)): e for e in display_edges(g2, stable_only)}
    order = {n: i for i, n in enumerate(list(g1.nodes) + [n for n in g2.nodes if n not in g1.nodes])}
    out = []
    for pair in set(e1) | set(e2):
        x, y = e1.get(pair), e2.get(pair)
        ref = x or y
        a, b = ref.source, ref.target
        k1 = read_kind(x, a) if x else None
        k2 = read_kind(y, a) if y else None
        if x is not None and y is not None and k1 == k2 and x.kept == y.kept:
            continue
        out.append(EdgeChange(a, b, k1, k2, x.kept if x else None, y.kept if y else None,
                              x.stability if x else None, y.stability if y else None))
    out.sort(key=lambda c: (c.change, order.get(c.a, 0), order.get(c.b, 0)))
    return out
