"""Checks of a run's ``--graph`` made before any data is read, and of a graph file against the series.

`check_graph_spec` refuses an unknown variant name (``causl``) or a graph file that cannot hold a causal
model: a directed cycle of contemporaneous ``-->`` edges (``AU01 --> AU02 --> AU01``). An ancestral graph
(what FCI and PC return) is acyclic, so such a cycle means a hand-edited or corrupted file. A cycle that
passes through a *lagged* edge (``lag_s`` > 0, from the time-series discovery) is feedback over time
(AU01 now drives AU02 a moment later, which drives AU01 later still) and is accepted: the model's message
passing takes any adjacency. `graph_au_note` says which of the series' AUs a graph file leaves out of the
model (its nodes become the model's AUs); `graph_leak_warning` words a graph file discovered on test subjects.
"""

from __future__ import annotations

import logging
from pathlib import Path

from causalex.errors import input_error
from causalex.graph import AUGraph, GraphEdge
from causalex.series import AUSeries, common_au_names
from causalex.train.graphs import GRAPH_NAMES

log = logging.getLogger(__name__)



def _directed(edge: GraphEdge) -> tuple[str, str] | None:
    """``(cause, effect)`` of a ``-->`` edge (either orientation in the file), None for other marks."""
    if edge.source_mark == "tail" and edge.target_mark == "arrow":
        return edge.source, edge.target
    if edge.source_mark == "arrow" and edge.target_mark == "tail":
        return edge.target, edge.source
    return None


def contemporaneous_cycle(graph: AUGraph) -> list[str] | None:
    """A directed cycle of ``-->`` edges without lag, as its nodes (first repeated last), or None.

    Edges with ``lag_s`` > 0 are left out (feedback over time is not a cycle of the causal model).
    """
    children: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for e in graph.edges:
        pair = _directed(e)
        if pair is not None and not (e.lag_s is not None and e.lag_s > 0):
            children[pair[0]].append(pair[1])
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in graph.nodes:
        if state.get(start):
            continue
        path, stack = [start], [iter(children[start])]
        state[start] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(child) == 1:
                return path[path.index(child):] + [child]
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append(iter(children[child]))
    return None


def check_graph_spec(spec: str) -> None:
    """Refuse a ``--graph`` that is neither a variant name nor a usable graph file, before data is read.

    Raises:
        InputError: an unknown name (the valid ones listed), an unreadable graph file, or a graph file with
            a contemporaneous ``-->`` cycle (named).
    """
    if spec in GRAPH_NAMES:
        return
    if not Path(spec).is_file():
        raise input_error(spec, f"graph is neither an existing file nor one of {', '.join(GRAPH_NAMES)}")
    cycle = contemporaneous_cycle(AUGraph.load(spec))
    if cycle is not None:
        raise input_error(spec, f"graph has a directed cycle {' --> '.join(cycle)} (no lag): a causal graph is "
                                "acyclic; fix the file's edge marks")


def graph_au_note(spec: str, au_names: list[str], series: list[AUSeries]) -> str | None:
    """A warning when the graph file ``spec`` leaves out AUs every series has (the model will not see them);
    None for variant names or a graph on all of them."""
    if spec in GRAPH_NAMES:
        return None
    shared = common_au_names(series)
    left_out = [a for a in shared if a not in au_names]
    if not left_out:
        return None
    return (f"{spec}: the graph has {len(au_names)} AU nodes and the series {len(shared)} "
            f"shared AUs: the model uses the graph's AUs only, so {', '.join(left_out)} {'is' if len(left_out) == 1 else 'are'} left out of it "
            "(pass a graph on every AU, or --exclude-aus to leave AUs out on purpose)")


def graph_leak_warning(graph_spec: str, subjects: list[str]) -> str:
    """The warning of a run whose graph file was discovered on data of its test subjects."""
    return (f"the graph {graph_spec} was discovered on data of {len(subjects)} test subject(s) "
            f"({', '.join(subjects[:5])}{', ...' if len(subjects) > 5 else ''}): the cross-validation scores are "
            "optimistic; use --graph causal (rebuilt per fold from the training subjects) for a fair estimate")
