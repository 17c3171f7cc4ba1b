"""Export an `AUGraph` to GraphML (through networkx) and to Graphviz DOT (written here, no graphviz needed).

Both formats keep every edge (kept and dropped) with its endpoint marks, kind, stability, kept flag,
reason, and the message directions the model uses (``messages``: ``forward``, ``backward``, ``both``
or ``none``, read against the edge's source -> target). In DOT the marks become arrow shapes:
a tail is ``none``, an arrowhead ``normal``, a circle ``odot``; dropped edges are dashed and grey.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from causalex.fileio import atomic_write, write_text_atomic
from causalex.graph import AUGraph, GraphEdge, display_edges

EXPORT_FORMATS = ("graphml", "dot")
DOT_ARROW = {"tail": "none", "arrow": "normal", "circle": "odot"}


def message_directions(graph: AUGraph, edge: GraphEdge) -> str:
    """``forward`` / ``backward`` / ``both`` / ``none``: the model's messages along ``edge``."""
    i, j = graph.nodes.index(edge.source), graph.nodes.index(edge.target)
    fwd, back = bool(graph.adjacency[i, j]), bool(graph.adjacency[j, i])
    return {(True, True): "both", (True, False): "forward", (False, True): "backward"}.get((fwd, back), "none")


def to_networkx(graph: AUGraph):
    """A ``networkx.DiGraph``: one node per AU, one edge source -> target per PAG edge.

    Dict-valued data (``mark_stability``, provenance) is stored as JSON strings so that every
    attribute is a GraphML scalar.
    """
    import networkx as nx

    g = nx.DiGraph(name=graph.name, provenance=json.dumps(graph.provenance, sort_keys=True, default=str))
    for node in graph.nodes:
        g.add_node(node)
    for e in display_edges(graph):
        g.add_edge(e.source, e.target, source_mark=e.source_mark, target_mark=e.target_mark, kind=e.kind,
                   stability=float(e.stability), mark_stability=json.dumps(e.mark_stability, sort_keys=True),
                   kept=bool(e.kept), reason=e.reason, messages=message_directions(graph, e))
    return g


def _dot_id(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(graph: AUGraph) -> str:
    """The graph as Graphviz DOT text (circular ``circo`` layout, marks as arrowtail/arrowhead)."""
    lines = [f"digraph {_dot_id(graph.name or 'au_graph')} {{",
             f"  graph [layout=circo, label={_dot_id(_dot_title(graph))}, fontsize=12];",
             "  node [shape=circle, style=filled, fillcolor=\"#eef3fb\", fontsize=11];"]
    lines += [f"  {_dot_id(n)};" for n in graph.nodes]
    for e in display_edges(graph):
        attrs = {
            "dir": "both", "arrowtail": DOT_ARROW[e.source_mark], "arrowhead": DOT_ARROW[e.target_mark],
            "label": f"{e.stability:.2f}", "tooltip": e.reason or e.kind,
            "kind": e.kind, "kept": str(e.kept).lower(), "messages": message_directions(graph, e),
        }
        if e.kept:
            attrs["color"] = "#b2182b" if e.kind == "<->" else "#1f3b73"
        else:
            attrs.update(style="dashed", color="#9a9a9a", fontcolor="#9a9a9a")
        body = ", ".join(f"{k}={_dot_id(v)}" for k, v in attrs.items())
        lines.append(f"  {_dot_id(e.source)} -> {_dot_id(e.target)} [{body}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_title(graph: AUGraph) -> str:
    kept = sum(e.kept for e in display_edges(graph))
    return f"{graph.name or 'AU graph'}: {len(graph.nodes)} AUs, {kept} kept edges (dashed: dropped)"


def export_graph(graph: AUGraph, path: str | os.PathLike, fmt: str) -> Path:
    """Write ``graph`` as ``graphml`` or ``dot`` to ``path`` (atomic).

    Raises:
        ValueError: unknown format (lists the valid ones).
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; valid: {', '.join(EXPORT_FORMATS)}")
    path = Path(path)
    if fmt == "dot":
        write_text_atomic(path, to_dot(graph))
        return path
    import networkx as nx

    with atomic_write(path) as tmp:
        nx.write_graphml(to_networkx(graph), tmp)
    return path
