"""`causalex graph show|diff|plot|export|build` and their one-line errors (exit 2, no file written)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from causalex.graph import AUGraph, GraphEdge
from causalex_cli.main import app
from test_cli_discover import assert_bad_input
from test_graph import NODES, make_graph

runner = CliRunner()


@pytest.fixture
def graphs(tmp_path):
    g1 = make_graph("first")
    g2 = AUGraph(nodes=NODES, edges=[GraphEdge("AU01", "AU02", "tail", "arrow"),
                                     GraphEdge("AU02", "AU04", "circle", "circle", kept=False, reason="undetermined"),
                                     GraphEdge("AU01", "AU12", "arrow", "arrow", kept=False)], name="second")
    return g1.save(tmp_path / "g1.json"), g2.save(tmp_path / "g2.json")


def test_show_lists_marks_stability_and_reasons(graphs):
    res = runner.invoke(app, ["graph", "show", str(graphs[0])])
    assert res.exit_code == 0, res.output
    for text in ("AU01", "-->", "<->", "o->", "0.90", "latent", "3 PAG edges, 2 kept"):
        assert text in res.stdout, text
    kept = runner.invoke(app, ["graph", "show", str(graphs[0]), "--kept-only"])
    assert "<->" not in kept.stdout and "o->" in kept.stdout


def test_diff_shows_what_one_graph_adds(graphs):
    res = runner.invoke(app, ["graph", "diff", *map(str, graphs)])
    assert res.exit_code == 0, res.output
    for text in ("marks changed", "only in 1", "only in 2", "o-o", "AU12"):
        assert text in res.stdout, text
    same = runner.invoke(app, ["graph", "diff", str(graphs[0]), str(graphs[0])])
    assert same.exit_code == 0 and "same edges" in same.stdout


def test_plot_and_export(graphs, tmp_path):
    png = tmp_path / "g.png"
    res = runner.invoke(app, ["graph", "plot", str(graphs[0]), "-o", str(png)])
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:4] == b"\x89PNG"
    dot = tmp_path / "g.dot"
    res = runner.invoke(app, ["graph", "export", str(graphs[0]), "-o", str(dot)])
    assert res.exit_code == 0 and 'arrowtail="odot"' in dot.read_text()
    gml = tmp_path / "out.xml"
    res = runner.invoke(app, ["graph", "export", str(graphs[0]), "--format", "graphml", "-o", str(gml)])
    assert res.exit_code == 0 and "<graphml" in gml.read_text()


def test_build_variants(tmp_path):
    out = tmp_path / "facs.json"
    res = runner.invoke(app, ["graph", "build", "facs", "-o", str(out)])
    assert res.exit_code == 0, res.output
    graph = AUGraph.load(out)
    assert len(graph.nodes) == 17 and graph.name == "facs" and all(e.kind == "---" for e in graph.edges)
    res = runner.invoke(app, ["graph", "build", "full", "-o", str(tmp_path / "full.json")])
    assert res.exit_code == 0 and AUGraph.load(tmp_path / "full.json").adjacency.sum() == 17 * 16


def test_bad_inputs_are_one_line_errors(graphs, tmp_path):
    png = tmp_path / "g.png"
    assert_bad_input(["graph", "plot", str(tmp_path / "missing.json")], png, "missing.json", "does not exist")
    not_graph = tmp_path / "other.json"
    not_graph.write_text(json.dumps({"nodes": []}))
    assert_bad_input(["graph", "plot", str(not_graph)], png, "other.json", "not a causalex graph file")
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    assert_bad_input(["graph", "export", str(broken), "--format", "dot"], tmp_path / "g.dot", "broken.json", "not a JSON file")
    assert_bad_input(["graph", "plot", str(graphs[0])], tmp_path / "g.jpg", "must be a .png")
    assert_bad_input(["graph", "export", str(graphs[0])], tmp_path / "g.txt", "cannot tell the export format", "(graphml, dot)")
    assert_bad_input(["graph", "export", str(graphs[0]), "--format", "gexf"], tmp_path / "g.gexf", "valid: graphml, dot")
    assert_bad_input(["graph", "build", "random"], tmp_path / "r.json", "valid: causal, cooccurrence, facs, full, none")
    assert_bad_input(["graph", "build", "cooccurrence"], tmp_path / "c.json", "needs AU series")
    res = runner.invoke(app, ["-q", "graph", "show", str(not_graph)])
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
    res = runner.invoke(app, ["-q", "graph", "diff", str(graphs[0]), str(broken)])
    assert res.exit_code == 2 and "broken.json" in res.stderr
def test_graph_commands_take_a_model_folder(tmp_path):
    from causalex.graph import full_graph

    model = tmp_path / "model"
    model.mkdir()
    full_graph(["AU01", "AU02", "AU04"]).save(model / "graph.json")
    (model / "config.json").write_text('{"config": {"model": {"dynamic": true}}}')
    result = CliRunner().invoke(app, ["graph", "show", str(model)])
    assert result.exit_code == 0, result.output
    assert "AU01" in result.output and "6 message directions" in result.output
    assert "was trained with --dynamic" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(app, ["graph", "show", str(empty)])
    assert result.exit_code != 0 and "not a regular file" in result.output
