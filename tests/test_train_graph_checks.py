"""`--graph` checks: a misspelt variant fails before any data is read, a contemporaneous --> cycle is refused
(a lagged one is feedback over time and accepted), a graph file on fewer AUs than the series is named."""

import numpy as np
import pytest
from typer.testing import CliRunner

from causalex.errors import InputError
from causalex.graph import AUGraph, GraphEdge
from causalex.series import AUSeries
from causalex.train.graph_checks import check_graph_spec, contemporaneous_cycle, graph_au_note
from causalex_cli.main import app


def _graph(path, edges, nodes=("AU01", "AU02", "AU04", "AU06")):
    AUGraph(nodes=list(nodes), edges=edges, name="hand-made").save(path)
    return str(path)


def test_a_contemporaneous_cycle_is_refused_with_its_nodes(tmp_path):
    edges = [GraphEdge("AU01", "AU02", "tail", "arrow"), GraphEdge("AU02", "AU04", "tail", "arrow"),
             GraphEdge("AU01", "AU04", "arrow", "tail")]  # AU04 --> AU01, written the other way round
    spec = _graph(tmp_path / "cyclic.json", edges)
    with pytest.raises(InputError, match=r"cyclic.json: graph has a directed cycle AU01 --> AU02 --> AU04 --> AU01"):
        check_graph_spec(spec)


def test_acyclic_and_lagged_feedback_graphs_are_accepted(tmp_path):
    chain = [GraphEdge("AU01", "AU02", "tail", "arrow"), GraphEdge("AU02", "AU04", "tail", "arrow"),
             GraphEdge("AU01", "AU04", "circle", "arrow"), GraphEdge("AU04", "AU06", "arrow", "arrow")]
    check_graph_spec(_graph(tmp_path / "dag.json", chain))
    feedback = [GraphEdge("AU01", "AU02", "tail", "arrow", lag_s=0.0), GraphEdge("AU02", "AU04", "tail", "arrow"),
                GraphEdge("AU04", "AU01", "tail", "arrow", lag_s=0.1)]  # AU04 drives AU01 a moment later
    nodes = ["AU01", "AU02", "AU04"]
    assert contemporaneous_cycle(AUGraph(nodes=nodes, edges=feedback)) is None
    check_graph_spec(_graph(tmp_path / "feedback.json", feedback, nodes=nodes))
    feedback[2].lag_s = 0.0
    assert contemporaneous_cycle(AUGraph(nodes=nodes, edges=feedback)) == ["AU01", "AU02", "AU04", "AU01"]


def test_a_misspelt_graph_fails_before_the_data_is_read(tmp_path):
    res = CliRunner().invoke(app, ["train", str(tmp_path / "no_such_corpus"), "--labels", str(tmp_path / "l.csv"),
                                   "-o", str(tmp_path / "run"), "--graph", "causl"])
    assert res.exit_code == 2
    assert "causl: graph is neither an existing file nor one of causal" in " ".join(res.output.split())
    assert not (tmp_path / "run").exists()


def test_a_graph_file_on_fewer_aus_than_the_series_is_named(tmp_path):
    spec = _graph(tmp_path / "small.json", [], nodes=("AU01", "AU02"))
    series = [AUSeries(video="v", values=np.zeros((10, 3), np.float32), mask=np.ones(10, bool), fps=30.0,
                       au_names=["AU01", "AU02", "AU12"])]
    note = graph_au_note(spec, ["AU01", "AU02"], series)
    assert "2 AU nodes and the series 3 shared AUs" in note and "AU12 is left out" in note
    assert graph_au_note(spec, ["AU01", "AU02", "AU12"], series) is None
    assert graph_au_note("full", ["AU01"], series) is None
