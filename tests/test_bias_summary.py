"""Graph diff, seed aggregation and AU-set agreement of the bias study (hand-made inputs)."""

from __future__ import annotations

import numpy as np
import pytest

from causalex.bias import agree_au_names, diff_graphs, spread_stats, summarise_reliance, summarise_runs
from causalex.bias.corpus import header_au_names
from causalex.bias.summary import RelianceScores, SeedRun, top_reliance
from causalex.errors import InputError
from causalex.graph import AUGraph, GraphEdge, full_graph
from causalex.metrics import SpottingResult, TypeScore
from causalex.series import AUSeries
from causalex.readers.openface import write_openface_csv

NODES = ["AU01", "AU02", "AU04", "AU12"]


def _graph(*edges: tuple[str, str, str, str]) -> AUGraph:
    return AUGraph(nodes=NODES, edges=[GraphEdge(s, t, ms, mt) for s, t, ms, mt in edges])


def test_diff_reads_kinds_from_the_earlier_node():
    a = _graph(("AU02", "AU01", "tail", "arrow"), ("AU12", "AU01", "circle", "arrow"))
    d = diff_graphs(a, _graph())
    assert [(p.a, p.b, p.kind_a, p.kind_b) for p in d.only_a] == [("AU01", "AU02", "<--", None),
                                                                  ("AU01", "AU12", "<-o", None)]


def test_diff_of_adjacency_only_graphs():
    d = diff_graphs(full_graph(NODES), AUGraph(nodes=NODES, adjacency=np.eye(4, k=1, dtype=np.int8)))
    assert [(p.a, p.b, p.kind_a, p.kind_b) for p in d.changed] == [
        ("AU01", "AU02", "---", "-->"), ("AU02", "AU04", "---", "-->"), ("AU04", "AU12", "---", "-->")]
    assert len(d.only_a) == 3 and not d.only_b and not d.same


def test_diff_sorts_pairs_into_only_a_only_b_changed_same_and_latent():
    a = _graph(("AU01", "AU02", "tail", "arrow"), ("AU04", "AU12", "arrow", "arrow"), ("AU01", "AU04", "tail", "arrow"))
    b = _graph(("AU01", "AU02", "tail", "arrow"), ("AU04", "AU12", "tail", "arrow"), ("AU02", "AU12", "arrow", "arrow"))
    d = diff_graphs(a, b, "casme", "samm")
    assert [(p.a, p.b) for p in d.only_a] == [("AU01", "AU04")]
    assert [(p.a, p.b, p.kind_b) for p in d.only_b] == [("AU02", "AU12", "<->")]
    assert [(p.kind_a, p.kind_b) for p in d.changed] == [("<->", "-->")]
    assert [(p.a, p.b) for p in d.same] == [("AU01", "AU02")]
    assert {(p.a, p.b) for p in d.latent} == {("AU04", "AU12"), ("AU02", "AU12")}
    doc = d.to_json()
    assert doc["counts"] == {"only_a": 1, "only_b": 1, "changed": 1, "same": 1, "latent": 2}


def test_spread_stats():
    s = spread_stats([0.2, 0.4, 0.9])
    assert s["mean"] == pytest.approx(0.5) and s["std"] == pytest.approx(np.std([0.2, 0.4, 0.9], ddof=1))
    assert spread_stats([0.3])["std"] == 0.0
    assert np.isnan(spread_stats([])["mean"])


def _result(f1_micro_tp: int, f1_macro_tp: int) -> SpottingResult:
    micro, macro = TypeScore.from_counts(f1_micro_tp, 10, 10), TypeScore.from_counts(f1_macro_tp, 10, 10)
    return SpottingResult(micro, macro, TypeScore.from_counts(f1_micro_tp + f1_macro_tp, 20, 20))


def test_summarise_runs_drop_is_per_seed_then_averaged():
    runs = [SeedRun("causal", 0, _result(6, 8), _result(4, 4)), SeedRun("causal", 1, _result(4, 6), _result(4, 5)),
            SeedRun("none", 0, _result(5, 5), _result(1, 1))]
    summary = summarise_runs(runs)
    assert list(summary) == ["causal", "none"]
    cell = summary["causal"]["macro"]
    assert cell["in_domain"]["values"] == pytest.approx([0.8, 0.6])
    assert cell["drop"]["values"] == pytest.approx([0.4, 0.1])
    assert cell["drop"]["mean"] == pytest.approx(0.25)
    assert summary["none"]["overall"]["drop"]["std"] == 0.0


def test_reliance_summary_ranks_the_au_the_model_leans_on():
    base = {"micro": 0.5, "macro": 0.7, "overall": 0.6}
    rel = RelianceScores(base=base, removed={"AU01": {**base, "overall": 0.58}, "AU14": {**base, "overall": 0.2}})
    runs = [SeedRun("causal", s, _result(1, 1), _result(1, 1), reliance={"cross_domain": rel}) for s in (0, 1)]
    summary = summarise_reliance(runs)
    assert list(summary["causal"]) == ["cross_domain"]
    assert summary["causal"]["cross_domain"]["AU14"]["mean"] == pytest.approx(0.4)
    assert top_reliance(summary["causal"]["cross_domain"], 1) == [("AU14", pytest.approx(0.4))]


def test_agree_au_names():
    same, note = agree_au_names(NODES, list(reversed(NODES)), "A", "B")
    assert same == NODES and note == ""
    shared, note = agree_au_names(NODES, ["AU02", "AU12", "AU45"], "A", "B")
    assert shared == ["AU02", "AU12"] and "from A: AU01 AU04" in note and "from B: AU45" in note
    with pytest.raises(InputError, match="need at least 2"):
        agree_au_names(NODES, ["AU45"], "A", "B")


def test_header_au_names_reads_openface_and_parquet_headers(tmp_path):
    s = AUSeries(values=np.zeros((5, 3), np.float32), mask=np.ones(5, bool), fps=30, au_names=["AU01", "AU06", "AU45"],
                 video="v")
    write_openface_csv(s, tmp_path / "v.csv")
    s.save(tmp_path / "v.parquet")
    assert header_au_names(tmp_path / "v.csv") == ["AU01", "AU06", "AU45"]
    assert header_au_names(tmp_path / "v.parquet") == ["AU01", "AU06", "AU45"]
