"""The graphs in graphs/ load, are listed in graphs/README.md, and the simulated ones are what their
rebuild commands give with the current simulator and discovery (a stale file fails here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from causalex.discover.pipeline import discover_graph
from causalex.graph import AUGraph
from causalex.simulate import generate_corpus
from causalex.train.config import GraphConfig

GRAPHS = Path(__file__).resolve().parents[1] / "graphs"


def _edges(graph: AUGraph) -> set[tuple]:
    return {(e.source, e.target, e.source_mark, e.target_mark, e.kept) for e in graph.edges}


@pytest.fixture(scope="module")
def small_corpus():
    return generate_corpus("small", seed=0)


@pytest.mark.parametrize("path", sorted(GRAPHS.glob("*.json")), ids=lambda p: p.name)
def test_every_shipped_graph_loads_and_is_documented(path):
    graph = AUGraph.load(path)
    assert graph.nodes and graph.adjacency.shape == (len(graph.nodes), len(graph.nodes))
    assert f"`{path.name}`" in (GRAPHS / "README.md").read_text()


def test_true_graph_is_the_simulators(small_corpus):
    shipped = AUGraph.load(GRAPHS / "simulated_small_true.json")
    assert _edges(shipped) == _edges(small_corpus.true_graph)


def test_train_graph_is_what_train_builds_on_that_corpus(small_corpus):
    shipped = AUGraph.load(GRAPHS / "simulated_small_train.json")
    assert shipped.provenance["method"] == "timeseries" and shipped.provenance["policy"] == "selection-only"
    fresh = discover_graph(small_corpus.series, small_corpus.labels, GraphConfig().discovery_config())
    assert fresh.provenance["data_hash"] == shipped.provenance["data_hash"]
    assert _edges(fresh) == _edges(shipped)
    np.testing.assert_array_equal(fresh.adjacency_for(shipped.nodes), shipped.adjacency)
    assert fresh.selection == shipped.selection


def test_bootstrap_graph_was_discovered_on_the_current_simulators_corpus():
    # the same data as the train graph, whose hash the test above ties to a fresh corpus
    shipped = AUGraph.load(GRAPHS / "simulated_small.json")
    assert shipped.provenance["data_hash"] == AUGraph.load(GRAPHS / "simulated_small_train.json").provenance["data_hash"]
