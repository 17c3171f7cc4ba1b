"""Checks of a graph JSON document (README, "Formats") before it becomes an `causalex.graph.AUGraph`.

Used when a graph file or a checkpoint's graph is read: every problem is one line naming the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from typing import Any

from causalex.errors import input_error
from causalex.graph import MARKS, GraphEdge

_EDGE_FIELDS = tuple(f.name for f in fields(GraphEdge))
_REQUIRED_EDGE_FIELDS = ("source", "target", "source_mark", "target_mark")


def _is_fraction(x: Any) -> bool:
    """Whether ``x`` is a JSON number in [0, 1] (NaN is not)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and 0.0 <= x <= 1.0


def _edge_label(e: dict[str, Any]) -> str:
    """``AU01 o-> AU02`` for an edge object of a graph file, ``?`` for a missing or unknown mark."""
    sm, tm = e.get("source_mark"), e.get("target_mark")
    left = {"tail": "-", "arrow": "<", "circle": "o"}.get(sm, "?") if isinstance(sm, str) else "?"
    right = {"tail": "-", "arrow": ">", "circle": "o"}.get(tm, "?") if isinstance(tm, str) else "?"
    return f"{e.get('source')} {left}-{right} {e.get('target')}"


def check_graph_doc(path: str | os.PathLike | None, doc: dict[str, Any]) -> None:
    """Check the content of a graph JSON document (README, "Formats") before it becomes an `AUGraph`.

    ``nodes`` must be distinct AU names; each edge an object with the `GraphEdge` fields (``source``,
    ``target`` and both marks required) that joins two different nodes, with a stability in [0, 1], and
    no two edges may join the same AUs (in either direction); each ``adjacency`` entry must be a
    ``[source, target]`` pair of nodes. Edges and adjacency entries are numbered from 1 in the messages.
    The adjacency is not compared with the edges: the debiasing policy decides it (an ``o->`` edge may be
    kept one way only) and graphs without a PAG (``full``, ``none``) carry only an adjacency.

    Raises:
        InputError: one line naming ``path`` and the first problem found.
    """
    if "nodes" not in doc:
        raise input_error(path, "invalid graph file (no 'nodes' field)")
    nodes = doc["nodes"]
    if not isinstance(nodes, list) or not all(isinstance(n, str) and n for n in nodes):
        raise input_error(path, "nodes must be a list of AU names")
    known: set[str] = set()
    for n in nodes:
        if n in known:
            raise input_error(path, f"node {n} is listed twice")
        known.add(n)
    edges = doc.get("edges", [])
    if not isinstance(edges, list):
        raise input_error(path, "edges must be a list of edge objects")
    seen: dict[frozenset[str], int] = {}
    for k, e in enumerate(edges, 1):
        if not isinstance(e, dict):
            raise input_error(path, f"edge {k} is not an object")
        missing = [f for f in _REQUIRED_EDGE_FIELDS if f not in e]
        if missing:
            raise input_error(path, f"edge {k} lacks {', '.join(repr(f) for f in missing)}")
        label = f"edge {k} ({_edge_label(e)})"
        unknown = [f for f in e if f not in _EDGE_FIELDS]
        if unknown:
            raise input_error(path, f"{label} has unknown field(s) {', '.join(repr(f) for f in unknown)}")
        for end in ("source", "target"):
            if not isinstance(e[end], str) or e[end] not in known:
                raise input_error(path, f"{label}: {end} {e[end]!r} is not a node of the graph")
        for end in ("source_mark", "target_mark"):
            if e[end] not in MARKS:
                raise input_error(path, f"{label}: unknown {end} {e[end]!r}; valid: {', '.join(MARKS)}")
        if e["source"] == e["target"]:
            raise input_error(path, f"{label} joins an AU to itself")
        pair = frozenset((e["source"], e["target"]))
        if pair in seen:
            raise input_error(path, f"edge {k} repeats edge {seen[pair]} ({e['source']}-{e['target']})")
        seen[pair] = k
        if not _is_fraction(e.get("stability", 1.0)):
            raise input_error(path, f"{label}: stability {e['stability']!r} is not a number in [0, 1]")
        freq = e.get("mark_stability", {})
        if not isinstance(freq, dict) or not all(_is_fraction(v) for v in freq.values()):
            raise input_error(path, f"{label}: mark_stability must map edge kinds to numbers in [0, 1]")
        if not isinstance(e.get("kept", True), bool):
            raise input_error(path, f"{label}: kept {e['kept']!r} is not true or false")
        if not isinstance(e.get("reason", ""), str):
            raise input_error(path, f"{label}: reason must be a string")
    adjacency = doc.get("adjacency", [])
    if not isinstance(adjacency, list):
        raise input_error(path, "adjacency must be a list of [source, target] pairs")
    for k, entry in enumerate(adjacency, 1):
        where = f"adjacency entry {k} ({json.dumps(entry)})"
        if not isinstance(entry, list) or len(entry) != 2:
            raise input_error(path, f"{where} is not a [source, target] pair")
        for name in entry:
            if not isinstance(name, str) or name not in known:
                raise input_error(path, f"{where} names {name!r}, not a node of the graph")
    if not isinstance(doc.get("name", ""), str):
        raise input_error(path, "name must be a string")
    if not isinstance(doc.get("provenance", {}), dict):
        raise input_error(path, "provenance must be an object")
    selection = doc.get("selection", {})
    if not isinstance(selection, dict):
        raise input_error(path, "selection must map AU names to {selected, reason} objects")
    for au, decision in selection.items():
        if au not in known:
            raise input_error(path, f"selection names {au!r}, not a node of the graph")
        if not isinstance(decision, dict) or not isinstance(decision.get("selected"), bool):
            raise input_error(path, f"selection of {au}: needs 'selected' true or false")
    links = doc.get("label_links", [])
    if not isinstance(links, list) or not all(isinstance(d, dict) and d.get("au") in known and
                                              isinstance(d.get("label"), str) for d in links):
        raise input_error(path, "label_links must be a list of {label, au, lag_s, strength} objects naming nodes")
