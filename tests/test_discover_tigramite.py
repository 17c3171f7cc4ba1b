"""The tigramite reference engine: folding its lagged graph, the missing-extra error, a chain found the right way."""

from __future__ import annotations

import builtins

import numpy as np
import pytest
from scipy.signal import lfilter

from causalex.discover import tigramite_engine as te
from causalex.discover.pag import ARROW, CIRCLE, NO_EDGE, TAIL
from causalex.errors import InputError
from causalex.series import AUSeries

AUS = ["AU01", "AU02", "AU04", "AU12"]


def chain_series(video: str, seed: int, t: int = 1500) -> AUSeries:
    """AU01 -> AU02 (lag 2 frames) -> AU04 (lag 1), AU12 independent; smooth signals, a few invalid frames."""
    rng = np.random.default_rng(seed)
    phi = np.exp(-1.0 / 4.0)
    x = lfilter([np.sqrt(1 - phi ** 2)], [1, -phi], rng.standard_normal((t, 4)), axis=0)
    x[2:, 1] += 0.9 * x[:-2, 0]
    x[1:, 2] += 0.8 * x[:-1, 1]
    x += 0.2 * rng.standard_normal((t, 4)) + 1.5  # sensor noise and a resting level (removed per video)
    mask = np.ones(t, bool)
    mask[100:104] = False
    x[100:104] = 0.0  # tracking lost: zero-filled, masked
    return AUSeries(values=x, mask=mask, fps=30.0, au_names=AUS, video=video)


def _graph(k: int, tau_max: int, links: dict[tuple[int, int, int], tuple[str, float]]):
    graph = np.zeros((k, k, tau_max + 1), dtype="U3")
    val = np.zeros((k, k, tau_max + 1))
    for (i, j, tau), (link, v) in links.items():
        graph[i, j, tau], val[i, j, tau] = link, v
        if tau == 0:  # tigramite stores a contemporaneous link both ways
            graph[j, i, 0] = link[::-1].translate(str.maketrans("<>", "><"))
            val[j, i, 0] = v
    return graph, val


def test_fold_reads_lagged_links_like_causalex_engine():
    graph, val = _graph(6, 3, {
        (0, 1, 2): ("-->", 0.4),                            # one way: 0 --> 1
        (2, 3, 1): ("-->", 0.3), (3, 2, 2): ("-->", 0.25),  # both ways, similar: 2 <-> 3
        (4, 5, 1): ("-->", 0.5), (5, 4, 3): ("-->", 0.1),   # both ways, 4 -> 5 dominates: 4 --> 5
        (1, 2, 0): ("o-o", 0.2),                            # contemporaneous only: o-o
        (0, 3, 0): ("x-x", 0.2),                            # conflicting orientation: o-o
        (0, 5, 0): ("<--", 0.2),                            # contemporaneous 5 --> 0
        (1, 5, 1): ("-->", 0.3), (5, 1, 0): ("-->", 0.3),   # a lagged link wins over a contemporaneous one
    })
    m = te.fold_lagged_graph(graph, val, dominance=2.0)
    assert (m[0, 1], m[1, 0]) == (ARROW, TAIL)
    assert (m[2, 3], m[3, 2]) == (ARROW, ARROW)
    assert (m[4, 5], m[5, 4]) == (ARROW, TAIL)
    assert (m[1, 2], m[2, 1]) == (CIRCLE, CIRCLE)
    assert (m[0, 3], m[3, 0]) == (CIRCLE, CIRCLE)
    assert (m[5, 0], m[0, 5]) == (ARROW, TAIL)
    assert (m[1, 5], m[5, 1]) == (ARROW, TAIL)
    assert m[0, 2] == m[0, 4] == NO_EDGE


def test_fold_keeps_lpcmci_latent_and_circle_marks():
    graph, val = _graph(4, 2, {(0, 1, 1): ("<->", 0.3), (2, 3, 2): ("o->", 0.3), (1, 2, 0): ("<-o", 0.2),
                               (0, 3, 1): ("o->", 0.2), (0, 3, 2): ("-->", 0.3)})
    m = te.fold_lagged_graph(graph, val)
    assert (m[0, 1], m[1, 0]) == (ARROW, ARROW)  # LPCMCI's lagged <->: a latent
    assert (m[2, 3], m[3, 2]) == (ARROW, CIRCLE)  # o->
    assert (m[1, 2], m[2, 1]) == (CIRCLE, ARROW)  # 1 <-o 2: marks as given
    assert (m[0, 3], m[3, 0]) == (ARROW, TAIL)  # one link --> is enough for a tail


def test_missing_extra_is_one_clear_line(monkeypatch):
    real_import = builtins.__import__

    def no_tigramite(name, *args, **kwargs):
        if name.split(".")[0] == "tigramite":
            raise ImportError("No module named 'tigramite'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tigramite)
    with pytest.raises(InputError) as err:
        te.tigramite_pag([chain_series("v0", 0)])
    assert str(err.value) == "the tigramite engine needs the tigramite extra: pip install 'causalex[tigramite]'"


def test_unknown_method_lists_the_choices():
    with pytest.raises(InputError, match="pcmciplus, lpcmci"):
        te.tigramite_pag([chain_series("v0", 0)], method="pcmci")


def test_pcmciplus_finds_the_chain_the_right_way(capsys):
    pytest.importorskip("tigramite")
    series = [chain_series(f"v{k}", k) for k in range(2)]
    pag = te.tigramite_pag(series, method="pcmciplus", max_lag_s=0.1, alpha=0.001)
    assert capsys.readouterr().out == ""  # tigramite's prints are silenced
    assert pag.node_names == AUS and pag.meta["tau_max"] == 3 and pag.meta["n_datasets"] == 2
    assert pag.edge_kind(0, 1) == "-->" and pag.edge_kind(1, 2) == "-->"
    assert not pag.marks[3].any()  # AU12 is independent
    lags = {(ln["cause"], ln["effect"]): ln["lag_s"] for ln in pag.meta["links"]}
    assert lags[("AU01", "AU02")] == pytest.approx(2 / 30, abs=1e-3)
    edges = {(e.source, e.target): e for e in te.tigramite_edges(pag)}
    assert edges[("AU01", "AU02")].kind == "-->" and edges[("AU01", "AU02")].lag_s == pytest.approx(2 / 30, abs=1e-3)


def test_tigramite_graph_returns_what_timeseries_graph_returns():
    pytest.importorskip("tigramite")
    from causalex.discover.timeseries import TimeSeriesOptions

    series = [chain_series(f"v{k}", k) for k in range(2)]
    edges, adjacency, selection, prov = te.tigramite_graph(series, AUS, TimeSeriesOptions(max_lag_s=0.1), "lenient",
                                                           None)
    assert adjacency.shape == (4, 4) and adjacency[0, 1] == 1 and adjacency[1, 0] == 0
    assert set(selection) == set(AUS) and prov["timeseries"]["engine"] == "tigramite"
    assert {(e.source, e.target) for e in edges if e.kept} >= {("AU01", "AU02"), ("AU02", "AU04")}
