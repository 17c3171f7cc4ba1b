"""AU graph file helpers: display edges, diff, GraphML/DOT export and the graph plot."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from causalex.errors import InputError
from causalex.graph import AUGraph, GraphEdge, diff_graphs, display_edges, full_graph, read_kind, reverse_kind
from causalex.graph_export import export_graph, to_dot, to_networkx

NODES = ["AU01", "AU02", "AU04", "AU12"]


def make_graph(name="g") -> AUGraph:
    edges = [GraphEdge("AU01", "AU02", "tail", "arrow", stability=0.9, mark_stability={"-->": 0.9}, reason="directed (-->)"),
             GraphEdge("AU02", "AU04", "arrow", "arrow", stability=0.7, kept=False, reason="latent common cause (<->)"),
             GraphEdge("AU04", "AU12", "circle", "arrow", stability=0.6, reason="possibly directed (o->), kept one way")]
    adj = np.zeros((4, 4), np.int8)
    adj[0, 1] = adj[2, 3] = 1
    return AUGraph(nodes=NODES, edges=edges, adjacency=adj, name=name,
                   provenance={"kind": "causal discovery", "bootstrap": 10, "threshold": 0.5})


def test_reverse_and_read_kind():
    assert reverse_kind("-->") == "<--" and reverse_kind("o->") == "<-o" and reverse_kind("<->") == "<->"
    e = GraphEdge("A", "B", "circle", "arrow")
    assert read_kind(e, "A") == "o->" and read_kind(e, "B") == "<-o"


def test_display_edges_cover_adjacency_only_graphs():
    full = display_edges(full_graph(["AU01", "AU02", "AU04"]))
    assert [(e.source, e.kind, e.target, e.reason) for e in full] == [
        ("AU01", "---", "AU02", "adjacency"), ("AU01", "---", "AU04", "adjacency"), ("AU02", "---", "AU04", "adjacency")]
    adj = np.zeros((2, 2), np.int8)
    adj[1, 0] = 1
    one_way = display_edges(AUGraph(nodes=["AU01", "AU02"], adjacency=adj))
    assert [(e.source, e.kind, e.target) for e in one_way] == [("AU02", "-->", "AU01")]


def test_diff_reports_edges_in_one_graph_and_changed_marks():
    g1 = make_graph()
    edges = [GraphEdge("AU02", "AU01", "arrow", "tail", stability=0.8),  # same edge read the other way
             GraphEdge("AU04", "AU02", "arrow", "arrow", kept=True),  # kept flag changed
             GraphEdge("AU01", "AU12", "tail", "arrow")]  # new
    g2 = AUGraph(nodes=NODES, edges=edges)
    changes = {(c.a, c.b): c for c in diff_graphs(g1, g2)}
    assert set(changes) == {("AU02", "AU04"), ("AU04", "AU12"), ("AU01", "AU12")}
    assert changes[("AU02", "AU04")].change == "kept changed"
    assert changes[("AU04", "AU12")].change == "only in 1"
    assert changes[("AU01", "AU12")].change == "only in 2" and changes[("AU01", "AU12")].kind_2 == "-->"
    g2 = AUGraph(nodes=NODES, edges=[GraphEdge("AU01", "AU02", "arrow", "arrow")] + edges[1:])
    assert {(c.a, c.b): c.change for c in diff_graphs(g1, g2)}[("AU01", "AU02")] == "marks changed"
    assert diff_graphs(g1, make_graph()) == []


def test_graph_round_trips_and_rejects_bad_files(tmp_path):
    g = make_graph()
    path = g.save(tmp_path / "g.json")
    back = AUGraph.load(path)
    assert [(e.source, e.kind, e.target, e.kept, e.reason) for e in back.edges] == \
        [(e.source, e.kind, e.target, e.kept, e.reason) for e in g.edges]
    np.testing.assert_array_equal(back.adjacency, g.adjacency)
    (tmp_path / "bad.json").write_text(json.dumps({"format": "causalex.graph", "nodes": ["AU01"],
                                                   "edges": [{"source": "AU01", "target": "AU99",
                                                              "source_mark": "tail", "target_mark": "arrow"}]}))
    with pytest.raises(InputError, match=r"bad.json: edge 1 \(AU01 --> AU99\): target 'AU99' is not a node"):
        AUGraph.load(tmp_path / "bad.json")


def _edge(source, target, source_mark="circle", target_mark="circle", **extra):
    return dict(source=source, target=target, source_mark=source_mark, target_mark=target_mark, **extra)


_OK_EDGES = [_edge("AU01", "AU02"), _edge("AU02", "AU04", "tail", "arrow")]


@pytest.mark.parametrize("change, message", [
    ({"edges": _OK_EDGES + [_edge("AU01", "AU02")]}, r"edge 3 repeats edge 1 \(AU01-AU02\)"),
    ({"edges": _OK_EDGES + [_edge("AU04", "AU02", "arrow", "tail")]}, r"edge 3 repeats edge 2 \(AU04-AU02\)"),
    ({"edges": _OK_EDGES + [_edge("AU01", "AU01")]}, r"edge 3 \(AU01 o-o AU01\) joins an AU to itself"),
    ({"edges": [_edge("AU01", "AU99")]}, r"edge 1 \(AU01 o-o AU99\): target 'AU99' is not a node of the"),
    ({"edges": [_edge("AU01", "AU02", stability=float("nan"))]},
     r"edge 1 \(AU01 o-o AU02\): stability nan is not a number in \[0, 1\]"),
    ({"edges": [_edge("AU01", "AU02", stability=1.5)]}, r"edge 1 \(AU01 o-o AU02\): stability 1.5 is not a"),
    ({"edges": [_edge("AU01", "AU02", mark_stability={"o-o": "x"})]}, "edge 1 .*: mark_stability must map"),
    ({"edges": [_edge("AU01", "AU02", kept="yes")]}, "edge 1 .*: kept 'yes' is not true or false"),
    ({"edges": [_edge("AU01", "AU02", "tail", "dot")]},
     r"edge 1 \(AU01 --\? AU02\): unknown target_mark 'dot'; valid: tail, arrow, circle"),
    ({"edges": [_edge("AU01", "AU02", w=1)]}, r"edge 1 \(AU01 o-o AU02\) has unknown field.* 'w'"),
    ({"edges": _OK_EDGES + [{"source": "AU01"}]}, "edge 3 lacks 'target', 'source_mark', 'target_mark'"),
    ({"edges": [_edge("AU01", "AU02"), "AU01-AU04"]}, "edge 2 is not an object"),
    ({"edges": {"AU01": "AU02"}}, "edges must be a list of edge objects"),
    ({"nodes": [1, 2, 3]}, "nodes must be a list of AU names"),
    ({"nodes": None}, "nodes must be a list of AU names"),
    ({"nodes": "AU01 AU02"}, "nodes must be a list of AU names"),
    ({"nodes": ["AU01", "AU02", "AU01"]}, "node AU01 is listed twice"),
    ({"adjacency": [["AU01"]]}, r'adjacency entry 1 \(\["AU01"\]\) is not a \[source, target\] pair'),
    ({"adjacency": [["AU01", "AU02"], ["AU01", "AU99"]]}, "adjacency entry 2 .* names 'AU99', not a node"),
    ({"adjacency": {"AU01": "AU02"}}, "adjacency must be a list of"),
    ({"provenance": "discovered"}, "provenance must be an object"),
    ({"name": 3}, "name must be a string"),
    ({"version": "1"}, "graph format version '1' is not an integer"),
])
def test_load_rejects_malformed_graph_with_one_clear_line(tmp_path, change, message):
    doc = {"format": "causalex.graph", "version": 1, "name": "g", "nodes": ["AU01", "AU02", "AU04"],
           "edges": _OK_EDGES, "adjacency": [["AU01", "AU02"], ["AU02", "AU01"], ["AU02", "AU04"]],
           "provenance": {}, **change}
    path = tmp_path / "g.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=f"^{re.escape(str(path))}: {message}") as err:
        AUGraph.load(path)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("edges", [[_edge("AU01", "AU02"), _edge("AU01", "AU02")], [_edge("AU01", "AU01")],
                                   [_edge("AU01", "AU02", stability=float("nan"))]])
@pytest.mark.parametrize("command", [["show"], ["plot", "-o", "g.png"], ["export", "-o", "g.dot"]])
def test_graph_commands_refuse_inconsistent_graphs(tmp_path, monkeypatch, edges, command):
    from typer.testing import CliRunner

    from causalex_cli.main import app

    monkeypatch.chdir(tmp_path)
    doc = {"format": "causalex.graph", "nodes": ["AU01", "AU02"], "edges": edges}
    Path("bad.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(app, ["-q", "graph", command[0], "bad.json", *command[1:]])
    message = res.stderr.strip()
    assert res.exit_code == 2, res.output
    assert message.startswith("error: bad.json: edge ") and "\n" not in message, message
    assert not list(tmp_path.glob("g.*"))


def test_load_keeps_an_adjacency_that_differs_from_the_edges(tmp_path):
    """The adjacency is the debiasing's decision (``o->`` kept one way), not derived from the edges."""
    doc = {"format": "causalex.graph", "version": 1, "nodes": ["AU01", "AU02", "AU04"],
           "edges": [_edge("AU01", "AU02", "circle", "arrow"),
                     _edge("AU02", "AU04", "arrow", "arrow", kept=False)],
           "adjacency": [["AU01", "AU02"], ["AU01", "AU04"]]}
    (tmp_path / "g.json").write_text(json.dumps(doc))
    g = AUGraph.load(tmp_path / "g.json")
    assert [(e.kind, e.kept) for e in g.edges] == [("o->", True), ("<->", False)]
    assert np.argwhere(g.adjacency).tolist() == [[0, 1], [0, 2]]


def test_graphml_keeps_marks_and_messages(tmp_path):
    import networkx as nx

    g = make_graph()
    nxg = to_networkx(g)
    assert nxg["AU04"]["AU12"]["kind"] == "o->" and nxg["AU04"]["AU12"]["messages"] == "forward"
    assert nxg["AU02"]["AU04"]["kept"] is False and nxg["AU02"]["AU04"]["messages"] == "none"
    path = export_graph(g, tmp_path / "g.graphml", "graphml")
    back = nx.read_graphml(path)
    assert back["AU01"]["AU02"]["target_mark"] == "arrow" and back["AU01"]["AU02"]["stability"] == 0.9
    assert json.loads(back["AU01"]["AU02"]["mark_stability"]) == {"-->": 0.9}
    with pytest.raises(ValueError, match="valid: graphml, dot"):
        export_graph(g, tmp_path / "g.x", "gexf")


def test_dot_uses_arrow_shapes_for_marks():
    dot = to_dot(make_graph())
    assert dot.startswith('digraph "g" {') and dot.rstrip().endswith("}")
    line = next(l for l in dot.splitlines() if '"AU04" -> "AU12"' in l)
    assert 'arrowtail="odot"' in line and 'arrowhead="normal"' in line and 'dir="both"' in line
    dropped = next(l for l in dot.splitlines() if '"AU02" -> "AU04"' in l)
    assert 'style="dashed"' in dropped and 'arrowtail="normal"' in dropped
    directed = next(l for l in dot.splitlines() if '"AU01" -> "AU02"' in l)
    assert 'arrowtail="none"' in directed
    assert to_dot(AUGraph(nodes=['A"U'.replace('"', ""), "AU02"], name='q"t')).startswith('digraph "q\\"t"')


def test_plot_draws_each_mark_distinctly(tmp_path):
    from matplotlib.patches import Circle, PathPatch, Polygon

    from causalex.viz.graph_plot import plot_graph

    fig = plot_graph(make_graph(), tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax = fig.axes[0]
    arrowheads = [p for p in ax.patches if isinstance(p, Polygon)]
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    curves = [p for p in ax.patches if isinstance(p, PathPatch)]
    assert len(arrowheads) == 1 + 2 + 1  # -->, <->, o->
    assert len(circles) == len(NODES) + 1  # the nodes and the one circle mark
    dashed = [c for c in curves if c.get_linestyle() not in ("-", "solid")]
    assert len(curves) == 3 and len(dashed) == 1
    assert fig.legends and len(fig.legends[0].get_texts()) == 4  # directed, <->, circle, dropped
    hidden = plot_graph(make_graph(), None, show_dropped=False)
    assert len([p for p in hidden.axes[0].patches if isinstance(p, PathPatch)]) == 2


def test_stable_only_hides_dropped_edges_below_the_threshold():
    g = make_graph()
    g.edges.append(GraphEdge("AU01", "AU12", "tail", "arrow", stability=0.2, kept=False, reason="below stability"))
    assert len(display_edges(g)) == 4 and len(display_edges(g, stable_only=True)) == 3
    other = make_graph()
    assert [c.b for c in diff_graphs(g, other)] == ["AU12"] and diff_graphs(g, other, stable_only=True) == []
