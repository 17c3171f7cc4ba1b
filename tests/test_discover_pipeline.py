"""The discovery pipeline: sampling, stability, lagged folding, debiasing, FACS prior, co-occurrence, variants."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from causalex.discover.background import BackgroundKnowledge
from causalex.discover.cooccurrence import cooccurrence_graph
from causalex.discover.debias import debias_edges, edge_rule
from causalex.discover.facs_prior import DEFAULT_AU_NAMES, facs_background, facs_pairs, facs_prior_graph
from causalex.discover.lagged import fold_lagged, lagged_background
from causalex.discover.pag import ARROW, CIRCLE, PAG, TAIL
from causalex.discover.pipeline import DiscoveryConfig, build_graph_variant, discover_graph, discover_graphs
from causalex.discover.sampling import SamplingOptions, collect_samples, group_series
from causalex.discover.stability import consensus_edges, correlations_from_counts
from causalex.errors import InputError
from causalex.graph import AUGraph, GraphEdge
from causalex.labels import Interval
from causalex.series import AUSeries

AUS = ["AU01", "AU02", "AU04", "AU12"]


def make_series(video="v1", subject="s1", t=400, seed=0, names=AUS, fps=30.0) -> AUSeries:
    """A chain AU01 -> AU02 -> AU04 (one-frame lag) and an independent AU12."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(t, len(names)))
    x[1:, 1] += 0.9 * x[:-1, 0]
    x[1:, 2] += 0.9 * x[:-1, 1]
    return AUSeries(values=x, mask=np.ones(t, bool), fps=fps, au_names=names, video=video, subject=subject)


def level(**kw) -> SamplingOptions:
    return SamplingOptions(stride=1, features="level", **kw)


# ----- sampling -------------------------------------------------------------------------------------
def test_sampling_uses_valid_frames_and_drops_nan_with_a_warning(caplog):
    s = make_series(t=100)
    s.mask[:10] = False
    s.values[50, 2] = np.nan
    with caplog.at_level(logging.WARNING, logger="causalex"):
        sample = collect_samples([s], options=level())
    assert sample.n_samples == 89
    assert np.isfinite(sample.data).all()
    assert "NaN" in caplog.text


def test_inside_expressions_margin_and_stride():
    s = make_series(t=300)
    labels = [Interval("v1", 100, 105, 110, "micro"), Interval("v1", 200, 220, 239, "macro")]
    inside = collect_samples([s], labels, level(inside_expressions=True))
    assert inside.n_samples == 11 + 40
    margin = collect_samples([s], labels, level(inside_expressions=True, margin_s=1 / 3))  # 10 frames each side
    assert margin.n_samples == 31 + 60
    macro = collect_samples([s], labels, level(expression_type="macro"))
    assert macro.n_samples == 40
    strided = collect_samples([s], options=SamplingOptions(stride=4, features="level"))
    assert strided.n_samples == 75


def test_auto_stride_is_a_tenth_of_a_second_at_each_rate_then_thinned_to_max_samples():
    slow, fast = make_series("v1", t=300, fps=30.0), make_series("v2", t=2000, fps=200.0)
    auto = collect_samples([slow, fast], options=SamplingOptions(features="level"))  # stride 0 = auto
    assert auto.n_samples == 100 + 100  # every 3rd frame at 30 fps, every 20th at 200 fps
    thinned = collect_samples([slow, fast], options=SamplingOptions(features="level", max_samples=70))
    assert thinned.n_samples == 34 + 34 and thinned.strides == [9, 60]  # strides x3 (ceil(200 / 70))
    explicit = collect_samples([slow, fast], options=SamplingOptions(stride=4, features="level", max_samples=70))
    assert explicit.n_samples == 75 + 500  # an explicit stride is kept as given
    with pytest.raises(InputError, match="stride"):
        SamplingOptions(stride=-1).validate()


def test_train_builds_the_causal_graph_with_discover_defaults():
    from causalex.train.config import GraphConfig

    cfg = GraphConfig().discovery_config()
    default = DiscoveryConfig()
    assert (cfg.alpha, cfg.method, cfg.sampling) == (default.alpha, default.method, default.sampling)
    assert cfg.method == "timeseries" and (cfg.policy, cfg.background) == ("selection-only", "none")
    assert default.resolved_policy == cfg.policy  # discover's default for the method is train's
    fci = GraphConfig(method="fci").discovery_config()  # FCI's measured best for spotting: lenient + FACS prior
    assert (fci.policy, fci.background) == ("lenient", "facs")
    assert GraphConfig(alpha=0.05, stride=7).discovery_config().sampling.stride == 7
    plain = GraphConfig(method="fci", policy="conservative", background="none").discovery_config()
    assert (plain.policy, plain.background) == (DiscoveryConfig(method="fci").resolved_policy, default.background)
    with pytest.raises(InputError, match="unknown background"):
        GraphConfig(background="ekman").discovery_config().validate()


def test_lagged_and_diff_features_pair_each_frame_with_its_past():
    s = make_series(t=50, fps=30.0)
    s.mask[20] = False
    lagged = collect_samples([s], options=SamplingOptions(stride=1, features="lagged", lag_s=0.1))
    assert lagged.data.shape[1] == 2 * len(AUS)
    assert lagged.variable_names[:2] == ["AU01@lag", "AU02@lag"]
    # frames 3..49 minus frame 20 and frame 23 (whose past is frame 20)
    assert lagged.n_samples == 47 - 2
    np.testing.assert_allclose(lagged.data[0, :4], s.values[0])
    np.testing.assert_allclose(lagged.data[0, 4:], s.values[3])
    diff = collect_samples([s], options=SamplingOptions(stride=1, features="diff", lag_s=0.1))
    np.testing.assert_allclose(diff.data[0], s.values[3] - s.values[0], rtol=1e-6)


def test_constant_and_duplicate_aus_are_dropped_and_stay_nodes(caplog):
    s = make_series(names=["AU01", "AU02", "AU04", "AU12", "AU15", "AU17"])
    s.values[:, 4] = 0.0
    s.values[:, 5] = s.values[:, 0]
    with caplog.at_level(logging.WARNING, logger="causalex"):
        sample = collect_samples([s], options=level())
    assert sample.tested_aus == ["AU01", "AU02", "AU04", "AU12"]
    assert sample.dropped_aus == {"AU15": "constant in the selected frames", "AU17": "duplicate of AU01"}
    assert "AU15 left out of discovery" in caplog.text
    graph = discover_graph([s], config=DiscoveryConfig(method="fci", sampling=level()))
    assert graph.nodes == s.au_names
    assert not any("AU15" in (e.source, e.target) for e in graph.edges)


def test_too_few_frames_is_a_clear_error():
    s = make_series(t=5)
    with pytest.raises(InputError, match=r"only 5 usable frame\(s\) for 4 variables; discovery needs at least 7"):
        collect_samples([s], options=level())


def test_au_name_mismatch_names_the_file():
    a = make_series(video="a")
    b = make_series(video="b", names=["AU01", "AU02", "AU04", "AU15"])
    b.meta["file"] = "b.csv"
    with pytest.raises(InputError, match=r"^b\.csv: AU names differ .*lacks AU12; has extra AU15"):
        collect_samples([a, b])
    sample = collect_samples([a, b], options=level(), au_names=["AU01", "AU02", "AU04"])
    assert sample.tested_aus == ["AU01", "AU02", "AU04"]


def test_group_series_per_subject_and_type():
    series = [make_series("v1", "s1"), make_series("v2", "s2"), make_series("v3", "")]
    labels = [Interval("v3", 1, 2, 3, "macro", subject="s1"), Interval("v1", 1, 2, 3, "micro")]
    groups = group_series(series, labels, "subject")
    assert {k: [s.video for s in v[0]] for k, v in groups.items()} == {"s1": ["v1", "v3"], "s2": ["v2"]}
    assert set(group_series(series, labels, "type")) == {"macro", "micro"}
    with pytest.raises(InputError, match="valid: dataset, subject, type"):
        group_series(series, labels, "emotion")


# ----- stability ------------------------------------------------------------------------------------
@pytest.mark.parametrize("unit_kind", ["subject", "frame"])
def test_resampled_correlations_match_materialised_resamples(unit_kind):
    rng = np.random.default_rng(1)
    data = rng.normal(size=(60, 3)) + 5.0
    data[:, 1] += data[:, 0]
    units = np.repeat(np.arange(6), 10) if unit_kind == "subject" else np.arange(60)
    counts = rng.multinomial(units.max() + 1, np.full(units.max() + 1, 1 / (units.max() + 1)), size=4)
    corrs, ns = correlations_from_counts(data, units, counts)
    for r in range(4):
        rows = np.concatenate([np.tile(np.nonzero(units == u)[0], c) for u, c in enumerate(counts[r])])
        np.testing.assert_allclose(corrs[r], np.corrcoef(data[rows].T), atol=1e-9)
        assert ns[r] == len(rows)


def test_a_column_without_variance_in_a_run_is_independent():
    data = np.array([[0.0, 1.0], [0.0, 2.0], [1.0, 3.0], [1.0, 5.0]])
    corrs, _ = correlations_from_counts(data, np.array([0, 0, 1, 1]), np.array([[2, 0]]))
    np.testing.assert_allclose(corrs[0], np.eye(2))


def _pag(kind: str) -> PAG:
    marks = np.zeros((3, 3), np.int8)
    left = {"-": TAIL, "<": ARROW, "o": CIRCLE}[kind[0]]
    right = {"-": TAIL, ">": ARROW, "o": CIRCLE}[kind[2]]
    marks[0, 1], marks[1, 0] = right, left
    return PAG(["A", "B", "C"], marks)


def test_consensus_takes_the_majority_mark_at_each_end():
    edges = consensus_edges([_pag("-->")] * 6 + [_pag("<->")] * 2 + [PAG(["A", "B", "C"], np.zeros((3, 3)))] * 2,
                            ["A", "B", "C"])
    assert len(edges) == 1
    e = edges[0]
    assert (e.source, e.kind, e.target, e.stability) == ("A", "-->", "B", 0.8)
    assert e.mark_stability == {"-->": 0.6, "<->": 0.2}
    split = consensus_edges([_pag("-->")] * 3 + [_pag("<--")] * 3, ["A", "B", "C"])[0]
    assert split.kind == "o-o"  # no mark holds a majority at either end
    flipped = consensus_edges([_pag("<--")] * 3, ["A", "B", "C"])[0]
    assert (flipped.source, flipped.kind, flipped.target) == ("B", "-->", "A")
    assert flipped.mark_stability == {"-->": 1.0}


# ----- lagged folding -------------------------------------------------------------------------------
def test_fold_lagged_reads_time_order_and_symmetric_lags_as_confounding():
    names = ["A@lag", "B@lag", "C@lag", "A", "B", "C"]
    marks = np.zeros((6, 6), np.int8)

    def edge(i, j, at_i, at_j):
        marks[j, i], marks[i, j] = at_i, at_j

    edge(0, 4, TAIL, ARROW)  # A@lag --> B : A causes B
    edge(1, 5, TAIL, ARROW)  # B@lag --> C ...
    edge(2, 4, TAIL, ARROW)  # ... and C@lag --> B: both lags -> B <-> C
    edge(3, 5, TAIL, ARROW)  # contemporaneous A --> C, no cross-lag edge: no time order -> A o-o C
    edge(0, 3, TAIL, ARROW)  # autocorrelation: ignored
    folded = fold_lagged(PAG(names, marks), ["A", "B", "C"])
    assert folded.edge_kind(0, 1) == "-->"
    assert folded.edge_kind(1, 2) == "<->"
    assert folded.edge_kind(0, 2) == "o-o"
    assert folded.meta["fold"] == {"A|B": "lag", "A|C": "contemporaneous", "B|C": "both lags"}
    marks[3, 5] = marks[5, 3] = ARROW  # contemporaneous A <-> C stays a latent common cause
    assert fold_lagged(PAG(names, marks), ["A", "B", "C"]).edge_kind(0, 2) == "<->"


def test_lagged_background_orders_time_and_copies_rules():
    bk = lagged_background(["A", "B"], BackgroundKnowledge().forbid("A", "B"))
    assert bk.is_forbidden("B", "B@lag") and not bk.is_forbidden("B@lag", "A")
    assert bk.is_forbidden("A@lag", "B") and bk.is_forbidden("A", "B")


# ----- debiasing ------------------------------------------------------------------------------------
def test_debias_rule_table():
    assert edge_rule("-->", "conservative")[0] == ("fwd",)
    assert edge_rule("<->", "lenient") == ((), "latent common cause (<->)")
    assert edge_rule("o->", "conservative")[0] == ()
    assert edge_rule("o->", "lenient")[0] == ("fwd",)
    assert edge_rule("o-o", "lenient")[0] == ("fwd", "back")
    assert edge_rule("<->", "keep-all")[0] == ("fwd", "back")
    with pytest.raises(ValueError, match="valid: conservative, lenient, keep-all"):
        edge_rule("-->", "aggressive")


def test_debias_edges_threshold_background_and_adjacency():
    nodes = ["A", "B", "C", "D"]
    edges = [GraphEdge("A", "B", "tail", "arrow", stability=0.9), GraphEdge("B", "C", "arrow", "arrow"),
             GraphEdge("C", "D", "circle", "circle", stability=0.8), GraphEdge("A", "D", "tail", "arrow", stability=0.2)]
    out, adj = debias_edges(nodes, edges, "conservative", threshold=0.5)
    assert [e.kept for e in out] == [True, False, False, False]
    assert [e.reason.split(" (")[0] for e in out] == ["directed", "latent common cause", "undetermined orientation",
                                                     "below stability threshold"]
    assert adj.tolist() == [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    bk = BackgroundKnowledge().forbid("D", "C").require("B", "C")
    out, adj = debias_edges(nodes, edges, "lenient", threshold=0.5, background=bk)
    assert [e.kept for e in out] == [True, True, True, False]
    assert "D -> C forbidden" in out[2].reason and "required" in out[1].reason
    assert adj[2, 3] == 1 and adj[3, 2] == 0 and adj[1, 2] == 1 and adj[2, 1] == 0


# ----- FACS prior and co-occurrence -----------------------------------------------------------------
def test_facs_prior_links_prototypes_and_neighbours():
    pairs = facs_pairs()
    assert "happiness" in pairs[("AU06", "AU12")]
    assert "anatomy: brows" in pairs[("AU01", "AU02")] and "surprise" in pairs[("AU01", "AU02")]
    assert ("AU09", "AU45") not in pairs
    graph = facs_prior_graph()
    assert graph.nodes == DEFAULT_AU_NAMES and all(e.kind == "---" and e.kept for e in graph.edges)
    assert graph.adjacency_for(["AU06", "AU12"]).tolist() == [[0, 1], [1, 0]]
    bk = facs_background(DEFAULT_AU_NAMES)
    assert bk.is_forbidden("AU09", "AU45") and bk.is_forbidden("AU45", "AU09")
    assert not bk.is_forbidden("AU06", "AU12")


def test_cooccurrence_from_activation_and_from_correlation():
    t = 300
    x = np.zeros((t, 3))
    for onset in (20, 80, 140, 200):
        x[onset:onset + 10, 0] = 3.0
        x[onset + 2:onset + 12, 1] = 2.0
    x[250:260, 2] = 3.0
    x += np.random.default_rng(0).normal(scale=0.05, size=x.shape)
    s = AUSeries(values=x, mask=np.ones(t, bool), fps=30, au_names=["AU01", "AU02", "AU04"], video="v")
    labels = [Interval("v", o, o + 5, o + 12, "macro") for o in (20, 80, 140, 200)] + [Interval("v", 248, 252, 262, "macro")]
    graph = cooccurrence_graph([s], labels)
    assert [(e.source, e.target) for e in graph.edges] == [("AU01", "AU02")]
    assert graph.provenance["method"] == "activation"
    corr = cooccurrence_graph([s], None, threshold=0.5)
    assert [(e.source, e.target) for e in corr.edges] == [("AU01", "AU02")]
    with pytest.raises(ValueError, match="valid: auto, activation, correlation"):
        cooccurrence_graph([s], labels, method="mutual")


# ----- pipeline -------------------------------------------------------------------------------------
def test_discover_graph_finds_the_lagged_chain_and_records_provenance():
    series = [make_series(f"v{i}", f"s{i % 3}", seed=i) for i in range(6)]
    cfg = DiscoveryConfig(method="fci", alpha=0.01, bootstrap=8, device="cpu",
                          sampling=SamplingOptions(stride=1, features="lagged", lag_s=1 / 30))
    graph = discover_graph(series, config=cfg, command="causalex discover x -o g.json")
    kept = {(e.source, e.target) for e in graph.kept_edges()}
    assert kept == {("AU01", "AU02"), ("AU02", "AU04")}
    prov = graph.provenance
    assert prov["bootstrap"] == 8 and prov["resample"] == "subject" and prov["policy"] == "conservative"
    assert prov["command"] == "causalex discover x -o g.json" and len(prov["data_hash"]) == 64
    assert {"numpy", "causalex", "python"} <= set(prov["versions"])
    assert graph.adjacency_for(["AU01", "AU02"]).tolist() == [[0, 1], [0, 0]]


def test_bootstrap_without_subjects_says_it_resamples_videos(caplog):
    cfg = DiscoveryConfig(method="fci", alpha=0.01, bootstrap=3, device="cpu", sampling=level())
    subjectless = [make_series(f"v{i}", "", seed=i) for i in range(3)]
    with caplog.at_level(logging.WARNING, logger="causalex"):
        graph = discover_graph(subjectless, config=cfg)
    assert graph.provenance["resample"] == "video" and "no video has a subject" in caplog.text
    caplog.clear()
    labels = [Interval("v0", 10, 12, 14, "macro", subject="s9"), Interval("v1", 10, 12, 14, "macro", subject="s9")]
    with caplog.at_level(logging.WARNING, logger="causalex"):
        graph = discover_graph(subjectless, labels, cfg)
    assert graph.provenance["resample"] == "subject" and "1 of 3 video(s) have no subject" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="causalex"):
        discover_graphs(subjectless, [Interval("other", 1, 2, 3, "micro", subject="s1")], cfg)
    assert "the labels name none of the 3 videos" in caplog.text


def test_discover_graphs_per_subject_skips_groups_without_enough_frames():
    series = [make_series("v1", "s1"), make_series("v2", "s2", t=6)]
    graphs, skipped = discover_graphs(series, None, DiscoveryConfig(method="fci", sampling=level()), per="subject")
    assert list(graphs) == ["s1"] and "only 6 usable" in skipped["s2"]
    assert graphs["s1"].provenance["group"] == {"per": "subject", "name": "s1"}


def test_bad_config_values_name_the_choices():
    with pytest.raises(InputError, match="valid: timeseries, fci, pc"):
        DiscoveryConfig(method="ges").validate()
    with pytest.raises(InputError, match="valid: conservative, lenient, keep-all"):
        DiscoveryConfig(policy="x").validate()
    with pytest.raises(InputError, match="valid: lagged"):
        DiscoveryConfig(sampling=SamplingOptions(features="wavelet")).validate()


def test_build_graph_variant_names():
    series = [make_series("v1"), make_series("v2", seed=1)]
    assert build_graph_variant("full", series).adjacency.sum() == 12
    assert build_graph_variant("none", series).adjacency.sum() == 0
    assert build_graph_variant("facs", series).nodes == AUS
    assert build_graph_variant("cooccurrence", series).provenance["method"] == "correlation"
    assert isinstance(build_graph_variant("causal", series, config=DiscoveryConfig(sampling=level())), AUGraph)
    with pytest.raises(ValueError, match="valid: causal, cooccurrence, facs, full, none"):
        build_graph_variant("random", series)


def test_simulated_corpus_recovers_the_mechanism_and_flags_the_bias():
    """FCI over two time slices on the simulator's biased `small` corpus: the true AU mechanism's skeleton is
    recovered and the bias link (AU14-AU23, tied by a latent) comes out as <-> or o-o and is dropped."""
    from causalex.simulate import generate_corpus

    corpus = generate_corpus("small", seed=0)
    graph = discover_graph(corpus.series, corpus.labels, DiscoveryConfig(method="fci", bootstrap=20, device="cpu"))
    truth = {frozenset((e.source, e.target)) for e in corpus.true_graph.edges if e.kept}
    bias_pair = frozenset(("AU14", "AU23"))
    found = {frozenset((e.source, e.target)) for e in graph.edges if e.stability >= 0.5} - {bias_pair}
    precision, recall = len(found & truth) / len(found), len(found & truth) / len(truth)
    assert recall >= 0.5 and precision >= 0.4, (precision, recall)
    bias = [e for e in graph.edges if frozenset((e.source, e.target)) == bias_pair]
    assert bias and bias[0].stability >= 0.5 and bias[0].kind in ("<->", "o-o") and not bias[0].kept
    kept = {frozenset((e.source, e.target)) for e in graph.kept_edges()}
    assert bias_pair not in kept and len(kept & truth) / len(kept) >= 0.6, kept
