"""The PAG type and the background-knowledge builder."""

from __future__ import annotations

import numpy as np
import pytest

from causalex.discover.background import BackgroundKnowledge
from causalex.discover.pag import ARROW, CIRCLE, PAG, TAIL
from causalex.errors import InputError
from causalex.graph import GraphEdge


def small_pag() -> PAG:
    marks = np.zeros((4, 4), np.int8)
    marks[0, 1], marks[1, 0] = ARROW, TAIL      # A --> B
    marks[1, 2], marks[2, 1] = ARROW, ARROW     # B <-> C
    marks[3, 2], marks[2, 3] = ARROW, CIRCLE    # D o-> C
    marks[0, 3], marks[3, 0] = CIRCLE, CIRCLE   # A o-o D
    return PAG(["A", "B", "C", "D"], marks)


def test_edges_kinds_and_skeleton():
    pag = small_pag()
    assert list(pag.edges()) == [(0, 1, TAIL, ARROW), (0, 3, CIRCLE, CIRCLE), (1, 2, ARROW, ARROW),
                                 (2, 3, ARROW, CIRCLE)]
    assert [pag.edge_kind(i, j) for i, j, _, _ in pag.edges()] == ["-->", "o-o", "<->", "<-o"]
    assert pag.edge_kind(1, 0) == "<--" and pag.edge_kind(3, 2) == "o->" and pag.edge_kind(0, 2) == ""
    assert pag.skeleton().sum() == 8 and pag.num_edges() == 4


def test_graph_edges_round_trip():
    pag = small_pag()
    edges = pag.to_graph_edges()
    assert edges[0] == GraphEdge("A", "B", "tail", "arrow")
    assert [e.kind for e in edges] == ["-->", "o-o", "<->", "<-o"]
    assert PAG.from_graph_edges(pag.node_names, edges) == pag


def test_from_causallearn_reads_its_endpoint_convention():
    from causallearn.graph.GeneralGraph import GeneralGraph
    from causallearn.graph.GraphNode import GraphNode

    nodes = [GraphNode(n) for n in "ABC"]
    graph = GeneralGraph(nodes)
    graph.add_directed_edge(nodes[0], nodes[1])
    graph.graph[1, 2], graph.graph[2, 1] = 2, 1  # B o-> C: circle at B, arrow at C
    pag = PAG.from_causallearn(graph)
    assert pag.node_names == ["A", "B", "C"]
    assert pag.edge_kind(0, 1) == "-->" and pag.edge_kind(1, 2) == "o->"


def test_equality_and_validation():
    a, b = small_pag(), small_pag()
    assert a == b and hash(a) == hash(b)
    b.marks[0, 1] = CIRCLE
    assert a != b
    with pytest.raises(ValueError, match="both ends"):
        PAG(["A", "B"], np.array([[0, 2], [0, 0]]))
    with pytest.raises(ValueError, match=r"\[3, 3\]"):
        PAG(["A", "B", "C"], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="duplicate"):
        PAG(["A", "A"], np.zeros((2, 2)))


def test_background_rules_and_matrices():
    bk = BackgroundKnowledge().forbid("A", "B").require("C", "A").add_tier(0, ["C"]).add_tier(1, ["A", "B"])
    names = ["A", "B", "C"]
    assert bk.is_forbidden("A", "B") and not bk.is_forbidden("B", "A")
    assert bk.is_forbidden("A", "C") and not bk.is_forbidden("C", "A")  # tier 1 -> tier 0
    assert bk.is_required("C", "A") and not bk.is_empty()
    f = bk.forbidden_matrix(names)
    assert f.tolist() == [[False, True, True], [False, False, True], [False, False, False]]
    bk.forbid_within_tier(1)
    assert bk.is_forbidden("B", "A")
    compiled = bk.compile(names)
    assert compiled.required[2][0] and compiled.r4_first_pass


def test_background_to_causallearn_has_the_same_rules():
    from causallearn.graph.GraphNode import GraphNode

    bk = BackgroundKnowledge().forbid("A", "B").require("B", "C").add_tier(0, ["C"]).add_tier(2, ["A"])
    cl = bk.to_causallearn(["A", "B", "C"])
    for a in "ABC":
        for b in "ABC":
            if a != b:
                assert cl.is_forbidden(GraphNode(a), GraphNode(b)) == bk.is_forbidden(a, b)
                assert cl.is_required(GraphNode(a), GraphNode(b)) == bk.is_required(a, b)


def test_background_bad_input():
    with pytest.raises(InputError, match="self loop"):
        BackgroundKnowledge().forbid("A", "A")
    with pytest.raises(InputError, match="non-negative"):
        BackgroundKnowledge().add_tier(-1, ["A"])
    with pytest.raises(InputError, match="unknown node"):
        BackgroundKnowledge().require("A", "Z").forbidden_matrix(["A", "B"])
