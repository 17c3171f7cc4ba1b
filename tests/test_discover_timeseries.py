"""Time-series discovery: lagged moments, MCI tests, invariance across corpora, AU selection, graph files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.signal import lfilter

from causalex.discover import lag_moments as lm
from causalex.discover.lag_moments import lag_frames, lag_moments
from causalex.discover.pipeline import DiscoveryConfig, discover_graph
from causalex.discover.selection import select_aus
from causalex.discover.invariance import link_invariance
from causalex.discover.timeseries import TimeSeriesOptions, discover_timeseries
from causalex.errors import InputError
from causalex.graph import AUGraph, GraphEdge
from causalex.series import AUSeries

AUS = ["AU01", "AU02", "AU04", "AU12"]


def smooth(rng, n, k, tau=4.0):
    """AR(1) signals with time constant ``tau`` frames: ``[n, k]``."""
    phi = np.exp(-1.0 / tau)
    return lfilter([np.sqrt(1 - phi ** 2)], [1, -phi], rng.standard_normal((n, k)), axis=0)


def chain_series(video="v0", subject="s0", t=3000, seed=0, coupling=(0.9, 0.8), noise=0.3, fps=30.0,
                 names=AUS) -> AUSeries:
    """AU01 -> AU02 (lag 2 frames) -> AU04 (lag 1), AU12 independent; smooth signals and autocorrelated
    sensor noise on every AU (the case where FCI over two time slices orients edges backwards)."""
    rng = np.random.default_rng(seed)
    x = smooth(rng, t, 4)
    x[2:, 1] += coupling[0] * x[:-2, 0]
    x[1:, 2] += coupling[1] * x[:-1, 1]
    x += noise * smooth(rng, t, 4, tau=1.5)
    return AUSeries(values=x, mask=np.ones(t, bool), fps=fps, au_names=list(names), video=video, subject=subject)


def edges_of(graph: AUGraph) -> dict[frozenset, GraphEdge]:
    return {frozenset((e.source, e.target)): e for e in graph.edges}


# ----- lagged moments ------------------------------------------------------------------------------
def test_lag_frames_are_seconds_at_each_rate():
    assert lag_frames(30.0, 1 / 30, 3).tolist() == [1, 2, 3]
    assert lag_frames(200.0, 1 / 30, 3).tolist() == [7, 13, 20]
    assert lag_frames(10.0, 1 / 30, 3).tolist() == [1, 2, 3]  # at least one frame per step


def test_lag_moments_match_a_hand_built_matrix_skip_gaps_and_stream_in_chunks(monkeypatch):
    s = chain_series(t=200)
    s.mask[50] = False
    x = s.values.astype(np.float64)
    values = x - x[s.mask].mean(axis=0)
    rows = [np.concatenate([values[t], values[t - 1], values[t - 2]]) for t in range(2, 200)
            if s.mask[t] and s.mask[t - 1] and s.mask[t - 2]]
    expected = np.array(rows).T @ np.array(rows) / (len(rows) - 1)
    got = lag_moments([s], 2, 1 / 30)
    assert got.n == len(rows) == 198 - 3
    np.testing.assert_allclose(got.cov, expected, rtol=1e-10, atol=1e-12)
    monkeypatch.setattr(lm, "CHUNK_ROWS", 17)
    np.testing.assert_allclose(lag_moments([s], 2, 1 / 30).cov, expected, rtol=1e-10, atol=1e-12)


def test_rows_restrict_the_present_frame_and_units_resample():
    s = chain_series(t=300)
    rows = np.zeros(300, bool)
    rows[100:150] = True
    assert lag_moments([s], 2, 1 / 30, rows=[rows]).n == 50
    two = lag_moments([s, chain_series("v1", "s1", t=300, seed=1)], 2, 1 / 30, units=[0, 1])
    same = two.resampled({(0, 0): 1, (0, 1): 1})
    np.testing.assert_allclose(same.cov, two.cov)
    only_first = two.resampled({(0, 0): 2})
    np.testing.assert_allclose(only_first.cov * (only_first.n - 1) / 2,
                               two.unit_sums[(0, 0)] * 1.0, rtol=1e-12)


# ----- discovery -----------------------------------------------------------------------------------
def test_lagged_chain_is_oriented_by_time_despite_sensor_noise():
    series = [chain_series(f"v{i}", f"s{i % 3}", seed=i) for i in range(4)]
    opts = TimeSeriesOptions(max_lag_s=0.2)
    result = discover_timeseries(lag_moments(series, 2 * opts.n_lags, opts.step_s), opts)
    pag = result.pag
    kinds = {(a, b): pag.edge_kind(pag.node_names.index(a), pag.node_names.index(b))
             for a, b in (("AU01", "AU02"), ("AU02", "AU04"))}
    assert kinds == {("AU01", "AU02"): "-->", ("AU02", "AU04"): "-->"}, kinds
    assert result.evidence[(0, 1)].forward_lag == 2 and result.evidence[(1, 2)].forward_lag == 1
    assert not pag.marks[3].any()  # AU12 is independent of everything
    assert not pag.marks[0, 2]  # AU01 - AU04 is the chain's leak through a noisy mediator: pruned


def test_simulated_corpus_mechanism_is_found_and_oriented_right():
    from causalex.simulate import generate_corpus

    corpus = generate_corpus("small", seed=0)
    graph = discover_graph(corpus.series, corpus.labels, DiscoveryConfig(policy="conservative"))
    truth = {(e.source, e.target) for e in corpus.true_graph.edges if e.kept}
    kept = {(e.source, e.target) if e.kind == "-->" else (e.target, e.source) for e in graph.kept_edges()}
    assert truth <= kept, truth - kept  # every mechanism edge, the right way round
    assert len(kept - truth) <= 1
    bias = edges_of(graph).get(frozenset(("AU14", "AU23")))
    assert bias is None or not bias.kept
    assert graph.provenance["selection_contexts"] == 1 and graph.provenance["method"] == "timeseries"


def test_a_link_that_holds_in_one_corpus_only_is_corpus_specific():
    rng = np.random.default_rng(3)

    def corpus(linked: bool, quiet: float, seed0: int):
        out = []
        for v in range(3):
            s = chain_series(f"c{seed0}v{v}", f"c{seed0}s{v}", t=4000, seed=seed0 + v, coupling=(0.9, 0.8))
            x = s.values
            x[:, 0] *= quiet  # a cause that moves less in this corpus (a mechanism still holds)
            x[:, 3] = smooth(rng, len(x), 1)[:, 0] + (0.9 * x[:, 2] if linked else 0.0)  # AU04 -> AU12 in A only
            out.append(s)
        return out

    a, b = corpus(True, 1.0, 0), corpus(False, 0.5, 10)
    opts = TimeSeriesOptions(max_lag_s=0.2)
    moments = lag_moments(a + b, 2 * opts.n_lags, opts.step_s, [0] * 3 + [1] * 3)
    result = discover_timeseries(moments, opts, group=0)
    inv = link_invariance(moments, result, opts)
    assert inv[(2, 3)].specific  # present in A, absent in B
    assert not inv[(0, 1)].specific and not inv[(1, 2)].specific  # the mechanism holds in both


def test_default_policy_gives_the_model_the_selection_and_no_edge():
    from causalex.train.config import GraphConfig

    a = [chain_series(f"a{i}", f"s{i}", seed=i) for i in range(3)]
    graph = discover_graph(a, config=DiscoveryConfig())
    assert graph.provenance["policy"] == "selection-only" == GraphConfig().discovery_config().policy
    assert graph.edges and not graph.kept_edges() and not graph.adjacency.any()
    chain = edges_of(graph)[frozenset(("AU01", "AU02"))]
    assert chain.kind == "-->" and chain.reason.startswith("directed (-->); not used")
    conservative = discover_graph(a, config=DiscoveryConfig(policy="conservative"))
    assert [(e.source, e.target, e.kind) for e in conservative.edges] == [(e.source, e.target, e.kind)
                                                                          for e in graph.edges]
    assert conservative.adjacency.any() and DiscoveryConfig(method="fci").resolved_policy == "conservative"
    assert graph.selection == conservative.selection  # the policy decides the edges, never the selection
    assert graph.selection["AU01"]["reason"].startswith("mechanism")


# ----- AU selection --------------------------------------------------------------------------------
def _edge(a, b, kind, strength=0.1):
    marks = {"-->": ("tail", "arrow"), "<->": ("arrow", "arrow"), "o-o": ("circle", "circle")}[kind]
    return GraphEdge(a, b, *marks, kept=kind == "-->", context_strength={"main": strength, "B": 0.0})


def test_selection_rule_reasons():
    nodes = ["AU01", "AU02", "AU12", "AU14", "AU23", "AU45", "AU09", "AU10"]
    edges = [_edge("AU01", "AU02", "-->", 0.2), _edge("AU14", "AU23", "<->", 0.1), _edge("AU12", "AU14", "-->", 0.03),
             _edge("AU12", "AU02", "-->", 0.15), _edge("AU09", "AU10", "<->", 0.1)]
    specific = {frozenset(("AU14", "AU23")), frozenset(("AU12", "AU14"))}
    selection, out = select_aus(nodes, nodes, edges, specific, n_contexts=2)
    assert not selection["AU14"]["selected"] and not selection["AU23"]["selected"]
    assert "corpus-specific" in selection["AU14"]["reason"]
    assert selection["AU12"]["selected"]  # a real mechanism link outweighs its biased one
    assert selection["AU01"]["reason"].startswith("mechanism")
    assert selection["AU09"]["selected"] and selection["AU09"]["reason"].startswith("confounded")
    assert selection["AU45"] == {"selected": True, "reason": "no evidence of bias"}
    kept = {(e.source, e.target) for e in out if e.kept}
    assert kept == {("AU01", "AU02"), ("AU12", "AU02")}
    one, _ = select_aus(nodes, nodes, edges, set(), n_contexts=1)
    assert one["AU23"]["selected"] and "give a second corpus" in one["AU23"]["reason"]


def test_graph_file_keeps_selection_and_lags(tmp_path):
    g = AUGraph(nodes=["AU01", "AU02"], edges=[GraphEdge("AU01", "AU02", "tail", "arrow", lag_s=0.0667,
                                                         context_strength={"main": 0.2, "B": 0.19})],
                selection={"AU01": {"selected": True, "reason": "mechanism"},
                           "AU02": {"selected": False, "reason": "corpus-specific"}})
    back = AUGraph.load(g.save(tmp_path / "g.json"))
    assert back.selection == g.selection and back.edges[0].lag_s == 0.0667 and back.deselected() == ["AU02"]
    assert back.node_mask(["AU02", "AU01"]).tolist() == [0.0, 1.0]
    doc = json.loads((tmp_path / "g.json").read_text())
    doc["selection"] = {"AU99": {"selected": False}}
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="bad.json.*AU99"):
        AUGraph.load(tmp_path / "bad.json")


def test_model_ignores_an_au_the_selection_leaves_out():
    import torch

    from causalex.model.config import ModelConfig
    from causalex.model.network import build_model

    k = 4
    torch.manual_seed(0)
    model = build_model(ModelConfig(node_hidden=4, temporal_channels=8), np.zeros((k, k), np.float32),
                        np.array([1, 1, 0, 1], np.float32)).eval()
    x = torch.randn(1, 32, k, model.config.in_features)
    y = x.clone()
    y[:, :, 2] = torch.randn(1, 32, model.config.in_features) * 5
    with torch.no_grad():
        torch.testing.assert_close(model(x)["spot"], model(y)["spot"])
    assert "node_mask" not in model.state_dict()  # from the graph, not the weights: old checkpoints load


# ----- pipeline: contexts, bootstrap, bad input ----------------------------------------------------
def test_context_corpus_is_read_for_invariance_and_bootstrap_gives_stability():
    a = [chain_series(f"a{i}", f"s{i}", seed=i) for i in range(4)]
    b = [chain_series(f"b{i}", f"t{i}", seed=20 + i) for i in range(2)]
    cfg = DiscoveryConfig(bootstrap=5, seed=1, policy="conservative")
    graph = discover_graph(a, config=cfg, contexts={"B": b})
    assert set(graph.provenance["contexts"]) == {"main", "B"} and graph.provenance["resample"] == "subject"
    chain = edges_of(graph)[frozenset(("AU01", "AU02"))]
    assert chain.kept and chain.stability == 1.0 and set(chain.context_strength) == {"main", "B"}
    assert graph.provenance == discover_graph(a, config=cfg, contexts={"B": b}).provenance | {
        "created": graph.provenance["created"]}


def test_bad_input_is_one_clear_error(tmp_path):
    short = [chain_series(f"v{i}", t=15) for i in range(3)]
    with pytest.raises(InputError, match="usable frame.*--max-lag"):
        discover_graph(short, config=DiscoveryConfig())
    a = [chain_series(f"a{i}", f"s{i}", seed=i) for i in range(2)]
    other = chain_series("b0", names=["AU01", "AU02", "AU05", "AU12"])
    other.meta["file"] = str(tmp_path / "b0.csv")
    with pytest.raises(InputError, match="b0.csv.*lacks AU\\(s\\) AU04"):
        discover_graph(a, config=DiscoveryConfig(), contexts={"B": [other]})
    with pytest.raises(InputError, match="context corpus 'B' has no AU series"):
        discover_graph(a, config=DiscoveryConfig(), contexts={"B": []})
    with pytest.raises(InputError, match="context corpora need the timeseries method"):
        discover_graph(a, config=DiscoveryConfig(method="fci"), contexts={"B": a})
    with pytest.raises(InputError, match="max lag must be > 0"):
        DiscoveryConfig(max_lag_s=0).validate()
    with pytest.raises(InputError, match="resamples subjects or videos"):
        discover_graph(a, config=DiscoveryConfig(bootstrap=2, resample="frame"))
    dup = [chain_series(f"d{i}", f"s{i}", seed=i) for i in range(2)]
    for s in dup:
        s.values[:, 3] = s.values[:, 0]
    graph = discover_graph(dup, config=DiscoveryConfig())
    assert graph.provenance["dropped_aus"] == {"AU12": "duplicate of AU01"}
    assert graph.selection["AU12"]["selected"]


def test_high_frame_rate_series_are_discovered_at_the_working_rate():
    from causalex.discover.ts_graph import at_working_rate

    fast = chain_series(fps=200.0, t=2000)
    work = at_working_rate([fast, chain_series()], TimeSeriesOptions())
    assert work[0].fps == pytest.approx(30.0) and work[0].n_frames == 300 and work[1].fps == 30.0


def test_label_nodes_reach_the_expression_roots_and_need_labels(caplog):
    import logging

    from causalex.simulate import generate_corpus

    corpus = generate_corpus("small", seed=0)
    graph = discover_graph(corpus.series, corpus.labels, DiscoveryConfig(label_nodes=True))
    reached = {(d["label"], d["au"]) for d in graph.label_links}
    roots = {"AU12", "AU04", "AU01", "AU09", "AU15"}  # the default mechanism's expression roots
    assert {au for _, au in reached} & roots and {lab for lab, _ in reached} <= {"micro", "macro"}
    assert all(d["au"] in graph.nodes and d["lag_s"] >= 0 for d in graph.label_links)
    effects = {"AU02", "AU05", "AU07", "AU10", "AU17", "AU26"}  # reached only through the mechanism
    assert not {au for _, au in reached} & effects, reached
    assert graph.provenance["label_nodes"] and "directly" in graph.selection[graph.label_links[0]["au"]]["reason"]
    assert graph.edges == discover_graph(corpus.series, corpus.labels, DiscoveryConfig()).edges  # AU graph unchanged
    with pytest.raises(InputError, match="label nodes need labels"):
        discover_graph(corpus.series, None, DiscoveryConfig(label_nodes=True))
    macro_only = [iv for iv in corpus.labels if iv.type == "macro"]
    with caplog.at_level(logging.WARNING, logger="causalex"):
        only = discover_graph(corpus.series, macro_only, DiscoveryConfig(label_nodes=True))
    assert "no micro-expression" in caplog.text and {d["label"] for d in only.label_links} == {"macro"}
    from causalex.labels import Interval

    with pytest.raises(InputError, match="hold no expression in these videos"):
        discover_graph(corpus.series, [Interval("elsewhere", 1, 2, 3, "micro")], DiscoveryConfig(label_nodes=True))
    with pytest.raises(InputError, match="label nodes need the timeseries method"):
        DiscoveryConfig(label_nodes=True, method="fci").validate()


def test_tigramite_engine_settings_and_run():
    with pytest.raises(InputError, match="tigramite engine runs the timeseries method only"):
        DiscoveryConfig(engine="tigramite", method="fci").validate()
    with pytest.raises(InputError, match="runs once"):
        DiscoveryConfig(engine="tigramite", bootstrap=3).validate()
    with pytest.raises(InputError, match="not causal-learn"):
        DiscoveryConfig(engine="causal-learn").validate()
    pytest.importorskip("tigramite")
    series = [chain_series(f"v{i}", f"s{i}", seed=i, t=800) for i in range(2)]
    graph = discover_graph(series, config=DiscoveryConfig(engine="tigramite", max_lag_s=0.1, policy="conservative"))
    assert graph.provenance["engine"] == "tigramite"
    kept = {(e.source, e.target) if e.kind == "-->" else (e.target, e.source) for e in graph.kept_edges()}
    assert ("AU01", "AU02") in kept
    with pytest.raises(InputError, match="no --context"):
        discover_graph(series, config=DiscoveryConfig(engine="tigramite"), contexts={"B": [chain_series("b", seed=9)]})
