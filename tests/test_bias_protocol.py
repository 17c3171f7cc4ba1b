"""Bias study protocol: leakage order, aggregation, bad input (with a small threshold spotter as backend)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import causalex.bias.corpus as corpus_mod
from causalex.bias import CorpusSource, StudyConfig, run_bias_study, write_report
from causalex.errors import InputError
from causalex.labels import Interval, read_labels_csv, read_predictions_csv, write_labels_csv
from causalex.metrics import evaluate_spotting
from causalex.readers.openface import write_openface_csv
from causalex.simulate import generate_corpus, write_corpus


class ThresholdSpotter:
    """Test double of a trained spotter: runs of the mean AU z-score above a learned level.

    ``fit`` picks, on the training labels, the z level (from a small grid) with the best F1;
    ``predict`` ignores removed AUs. Every call is logged so that the tests can check the order.
    """

    def __init__(self, log: list) -> None:
        self.log = log

    @staticmethod
    def _spot(series, level: float, removed=()) -> list[Interval]:
        out = []
        for s in series:
            keep = [i for i, a in enumerate(s.au_names) if a not in removed]
            x = np.where(s.mask, s.values[:, keep].mean(axis=1), 0.0)
            z = (x - np.median(x)) / (x.std() + 1e-6)
            above = np.concatenate([[0], (z > level).astype(np.int8), [0]])
            edges = np.flatnonzero(np.diff(above))
            for start, stop in zip(edges[0::2], edges[1::2]):
                kind = "macro" if (stop - start) / s.fps >= 0.5 else "micro"
                out.append(Interval(s.video, int(start), int((start + stop - 1) // 2), int(stop - 1), kind,
                                    score=float(z[start:stop].max())))
        return out

    def fit(self, series, labels, graph, seed):
        self.log.append(("fit", frozenset(s.video for s in series), graph.name))
        grid = [0.5, 1.0, 1.5, 2.0]
        f1 = [evaluate_spotting(self._spot(series, g), labels).overall.f1 for g in grid]
        return {"level": grid[int(np.argmax(f1))] + 0.01 * seed}

    def predict(self, model, series, removed_aus=()):
        self.log.append(("predict", frozenset(s.video for s in series), tuple(removed_aus)))
        return self._spot(series, model["level"], removed_aus)


def make_corpus(root: Path, name: str, bias: float, seed: int, **overrides) -> tuple[Path, Path]:
    """Write a tiny simulated corpus; returns (folder, labels CSV)."""
    out = root / name
    write_corpus(generate_corpus("tiny", bias=bias, seed=seed, **overrides), out)
    return out, out / "labels.csv"


@pytest.fixture()
def corpora(tmp_path):
    a = make_corpus(tmp_path, "A", 2.0, 1)
    b = make_corpus(tmp_path, "B", 0.0, 2)
    return CorpusSource("A", str(a[0]), str(a[1])), CorpusSource("B", str(b[0]), str(b[1]))


def _instrument(monkeypatch, log: list) -> None:
    """Record every full read of series and labels (the header-only peek is not a read of the data)."""
    load_series, read_labels = corpus_mod.load_series_inputs, corpus_mod.read_labels_file

    def spy_series(paths, fps=None):
        log.append(("read_series", Path(list(paths)[0]).name))
        return load_series(paths, fps=fps)

    def spy_labels(path):
        log.append(("read_labels", Path(path).parent.name))
        return read_labels(path)

    monkeypatch.setattr(corpus_mod, "load_series_inputs", spy_series)
    monkeypatch.setattr(corpus_mod, "read_labels_file", spy_labels)


def test_test_corpus_is_read_only_after_every_model_is_trained(corpora, monkeypatch):
    log: list = []
    _instrument(monkeypatch, log)
    train, test = corpora
    study = run_bias_study(train, test, ThresholdSpotter(log), StudyConfig(variants=("facs", "none"), seeds=(0, 1)))
    kinds = [entry[0] for entry in log]
    first_b = min(i for i, e in enumerate(log) if e[0].startswith("read") and e[1] == "B")
    last_fit = max(i for i, k in enumerate(kinds) if k == "fit")
    assert last_fit < first_b
    assert ("read_series", "A") in log[:first_b] and ("read_labels", "A") in log[:first_b]
    # every fit saw only corpus A videos; LOSO folds never include the held-out subject
    a_videos = {s.video for s in generate_corpus("tiny", bias=2.0, seed=1).series}
    assert all(e[1] <= a_videos for e in log if e[0] == "fit")
    assert len([k for k in kinds if k == "fit"]) == 2 * 2 * (2 + 1)  # variants x seeds x (2 folds + full)
    assert study.events.index("load B") > max(i for i, e in enumerate(study.events) if e.startswith("fit"))


def test_study_logs_its_size_before_training_and_a_time_after_the_first(corpora, caplog):
    import logging

    log: list = []
    with caplog.at_level(logging.INFO, logger="causalex.bias"):
        run_bias_study(*corpora, ThresholdSpotter(log), StudyConfig(variants=("facs", "none"), seeds=(0,)))
    plan = next(r for r in caplog.records if "bias study plan" in r.getMessage())
    assert "2 variant(s) x 1 seed(s) x (2 folds + the full model) = 6 trainings" in plan.getMessage()
    first = next(i for i, r in enumerate(caplog.records) if "first training took" in r.getMessage())
    assert caplog.records.index(plan) < first and "left for 5 more" in caplog.records[first].getMessage()
    assert len([e for e in log if e[0] == "fit"]) == 6


def test_study_numbers_are_the_scores_of_the_predictions(corpora):
    train, test = corpora
    study = run_bias_study(train, test, ThresholdSpotter([]), StudyConfig(variants=("facs",), seeds=(0, 3)))
    truth_a, truth_b = read_labels_csv(train.labels_path), read_labels_csv(test.labels_path)
    assert [r.seed for r in study.runs] == [0, 3]
    for run in study.runs:
        cross = study.predictions[("facs", run.seed, "cross_domain")]
        oof = study.predictions[("facs", run.seed, "in_domain")]
        assert run.cross_domain.to_json() == evaluate_spotting(cross, truth_b).to_json()
        assert run.in_domain.to_json() == evaluate_spotting(oof, truth_a).to_json()
        # out-of-fold predictions cover every video of A exactly through its own fold
        assert {iv.video for iv in oof} <= {s.video for s in generate_corpus("tiny", bias=2.0, seed=1).series}
        assert len(run.fold_cross_domain) == 2  # the control: each LOSO fold model scored on B
        pooled = [sum(getattr(r.overall, k) for r in run.fold_cross_domain) for k in ("tp", "n_pred", "n_gt")]
        assert run.f1("fold_cross_domain", "overall") == pytest.approx(
            2 * pooled[0] / (pooled[1] + pooled[2]) if pooled[1] + pooled[2] else 0.0)  # F1 of the pooled counts
        rel = run.reliance["cross_domain"]
        assert set(rel.removed) == set(study.au_names)
        assert rel.base["overall"] == pytest.approx(run.cross_domain.overall.f1)


def test_report_files_and_summary(corpora, tmp_path):
    train, test = corpora
    study = run_bias_study(train, test, ThresholdSpotter([]), StudyConfig(variants=("facs", "none"), seeds=(0, 1)))
    out = tmp_path / "report"
    files = write_report(study, out, command="pytest")
    for name in ("report.md", "report.json", "bias_bars.png", "graph_diff.png", "reliance_cross_domain.png",
                 "predictions/facs_seed1_cross_domain.csv", "graphs/test_causal.json"):
        assert (out / name).is_file(), name
    report_md = (out / "report.md").read_text()
    for domain in ("in_domain", "cross_domain"):  # every reliance plot written is shown
        assert (out / f"reliance_{domain}.png").is_file() and f"(reliance_{domain}.png)" in report_md
    doc = json.loads((out / "report.json").read_text())
    for run in doc["runs"]:
        csv_path = out / run["files"]["cross_domain"]
        rescored = evaluate_spotting(read_predictions_csv(csv_path), read_labels_csv(test.labels_path))
        assert rescored.to_json()["overall"] == run["cross_domain"]["overall"]
    cell = doc["summary"]["none"]["overall"]
    values = [r["in_domain"]["overall"]["f1"] - r["cross_domain"]["overall"]["f1"]
              for r in doc["runs"] if r["variant"] == "none"]
    assert cell["drop"]["mean"] == pytest.approx(np.mean(values))
    assert cell["drop"]["std"] == pytest.approx(np.std(values, ddof=1))
    def pooled_f1(folds):  # F1 of the fold models' counts on B, summed
        tp, n_pred, n_gt = (sum(f["overall"][k] for f in folds) for k in ("tp", "n_pred", "n_gt"))
        return 2 * tp / (n_pred + n_gt) if n_pred + n_gt else 0.0

    same = [r["in_domain"]["overall"]["f1"] - pooled_f1(r["fold_cross_domain"])
            for r in doc["runs"] if r["variant"] == "none"]
    assert cell["drop_same_models"]["mean"] == pytest.approx(np.mean(same))
    assert doc["timelines"] and all((out / name).is_file() for name in doc["timelines"])
    assert study.examples[0].truth and study.examples[0].scores is None  # labelled videos first; no curves here
    text = (out / "report.md").read_text()
    assert "| **none** | overall |" in text and "Graph diff" in text
    assert len(files) >= 10


def test_different_au_sets_use_the_intersection_and_say_so(tmp_path, corpora):
    train, _ = corpora
    full = generate_corpus("tiny", bias=0.0, seed=5)
    folder = tmp_path / "B_fewer"
    for s in full.series:
        write_openface_csv(s.select([a for a in s.au_names if a not in ("AU45", "AU20")]), folder / f"{s.video}.csv")
    write_labels_csv(folder / "labels.csv", full.labels)
    test = CorpusSource("B_fewer", str(folder), str(folder / "labels.csv"))
    study = run_bias_study(train, test, ThresholdSpotter([]), StudyConfig(variants=("none",), reliance=()))
    assert "AU45" not in study.au_names and len(study.au_names) == 15
    assert "AU20 AU45" in study.au_note and "different AU sets" in study.au_note
    assert study.graphs["none"].nodes == study.au_names
    # excluding AUs that B lacks anyway is no error (README's follow-up run with --exclude-aus)
    without = run_bias_study(train, test, ThresholdSpotter([]), StudyConfig(variants=("none",), reliance=(),
                                                                           exclude_aus=("AU45", "AU14")))
    assert without.au_names == [a for a in study.au_names if a != "AU14"]
    write_report(study, tmp_path / "report", plots=False)
    assert "different AU sets" in (tmp_path / "report" / "report.md").read_text()


def test_excluded_aus_leave_the_study_and_the_report_says_so(tmp_path, corpora):
    train, test = corpora
    study = run_bias_study(train, test, ThresholdSpotter([]),
                           StudyConfig(variants=("none",), reliance=(), exclude_aus=("AU14", "AU23")))
    assert "AU14" not in study.au_names and "AU23" not in study.au_names and len(study.au_names) == 15
    assert study.graphs["none"].nodes == study.au_names
    assert "excluded by request: AU14 AU23" in study.au_note
    with pytest.raises(InputError, match="cannot exclude AU99"):
        run_bias_study(train, test, ThresholdSpotter([]), StudyConfig(variants=("none",), exclude_aus=("AU99",)))


def test_corpora_sharing_fewer_than_two_aus_are_refused(tmp_path, corpora):
    train, _ = corpora
    full = generate_corpus("tiny", bias=0.0, seed=5)
    folder = tmp_path / "B_one"
    for s in full.series:
        write_openface_csv(s.select(["AU01"]), folder / f"{s.video}.csv")
    write_labels_csv(folder / "labels.csv", full.labels)
    with pytest.raises(InputError, match="shares 1 AU"):
        run_bias_study(train, CorpusSource("B_one", str(folder), str(folder / "labels.csv")), ThresholdSpotter([]))


def test_empty_test_corpus_is_refused_before_training(tmp_path, corpora):
    train, _ = corpora
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "labels.csv").write_text("subject,video,onset,apex,offset,type,emotion\n")
    log: list = []
    with pytest.raises(InputError, match="holds no AU series"):
        run_bias_study(train, CorpusSource("empty", str(empty), str(empty / "labels.csv")), ThresholdSpotter(log))
    assert log == []  # refused before any model was trained


def test_test_labels_without_expressions_are_refused(tmp_path, corpora):
    train, test = corpora
    (tmp_path / "nolabels.csv").write_text("subject,video,onset,apex,offset,type,emotion\n")
    test.labels_path = str(tmp_path / "nolabels.csv")
    with pytest.raises(InputError, match="holds no expression"):
        run_bias_study(train, test, ThresholdSpotter([]), StudyConfig(variants=("none",), reliance=()))


@pytest.mark.parametrize("row, problem", [
    ("s01,nosuchvideo,10,12,20,macro,", "has no AU series"),
    ("s01,s01_v01,10,12,99999,macro,", "past the last frame"),
])
def test_labels_that_do_not_match_the_series_name_file_and_row(tmp_path, corpora, row, problem):
    train, _ = corpora
    bad = tmp_path / "bad_labels.csv"
    lines = Path(train.labels_path).read_text().splitlines()
    bad.write_text("\n".join(lines[:3] + [row]) + "\n")
    train.labels_path = str(bad)
    with pytest.raises(InputError) as err:
        train.load(train.peek())
    message = str(err.value)
    assert message.startswith(f"{bad}, row 3:") and problem in message and "\n" not in message


def test_test_labels_that_do_not_match_are_refused_after_training(tmp_path, corpora):
    train, test = corpora
    bad = tmp_path / "bad_test_labels.csv"
    bad.write_text(Path(test.labels_path).read_text() + "s01,ghost_video,1,2,3,micro,\n")
    test.labels_path = str(bad)
    log: list = []
    with pytest.raises(InputError, match="ghost_video"):
        run_bias_study(train, test, ThresholdSpotter(log), StudyConfig(variants=("none",), reliance=()))
    assert any(e[0] == "fit" for e in log)  # B is checked only when it is read, after training


def test_causal_variant_is_the_training_graph_and_the_diff_has_no_prior(corpora, tmp_path):
    from dataclasses import replace

    from causalex.bias.graph_diff import diff_graphs
    from causalex.discover.facs_prior import facs_pairs
    from causalex.train.config import GraphConfig

    train, test = corpora
    fci = GraphConfig(method="fci", policy="lenient", background="facs").discovery_config()
    cfg = StudyConfig(variants=("causal",), seeds=(0,), reliance=(), discovery=fci)
    study = run_bias_study(train, test, ThresholdSpotter([]), cfg)
    model_graph, diff_a, diff_b = study.graphs["causal"], study.graphs["causal_diff"], study.graphs["test_causal"]
    assert model_graph.provenance["background"] == "facs"
    assert diff_a.provenance["background"] == diff_b.provenance["background"] == "none"
    linked = {frozenset(p) for p in facs_pairs(model_graph.nodes)}
    assert all(frozenset((e.source, e.target)) in linked for e in model_graph.edges)  # the prior forbids the rest
    assert any(frozenset((e.source, e.target)) not in linked for e in diff_a.edges)  # the diff's graph is free
    assert study.graph_diff.to_json() == diff_graphs(diff_a, diff_b, "A", "B").to_json()
    write_report(study, tmp_path / "report", plots=False)
    doc = json.loads((tmp_path / "report" / "report.json").read_text())
    assert doc["settings"]["causal_graph"]["background"] == "facs"
    assert doc["settings"]["diff_graph"]["background"] == "none"
    assert (tmp_path / "report" / "graphs" / "train_causal_diff.json").is_file()
    text = (tmp_path / "report" / "report.md").read_text()
    assert "Causal variant's graph: FCI" in text and "background facs" in text and "background none" in text

    # without a background the causal variant's own graph of A is the diff's: discovered once
    same = run_bias_study(train, test, ThresholdSpotter([]),
                          replace(cfg, discovery=replace(cfg.discovery, background="none")))
    assert "causal_diff" not in same.graphs
    assert same.graph_diff.to_json() == diff_graphs(same.graphs["causal"], same.graphs["test_causal"], "A",
                                                    "B").to_json()


def test_default_causal_variant_reads_b_series_as_context_but_never_its_labels_before_training(corpora, monkeypatch,
                                                                                              tmp_path):
    from causalex.train.config import GraphConfig

    log: list = []
    _instrument(monkeypatch, log)
    train, test = corpora
    cfg = StudyConfig(variants=("causal",), seeds=(0,), reliance=())
    assert cfg.discovery == GraphConfig().discovery_config() and cfg.discovery.method == "timeseries"
    study = run_bias_study(train, test, ThresholdSpotter(log), cfg)
    kinds = [entry[0] for entry in log]
    last_fit = max(i for i, k in enumerate(kinds) if k == "fit")
    assert ("read_series", "B") in log[:last_fit]  # B's AU series: a discovery context
    assert log.index(("read_labels", "B")) > last_fit  # B's labels: only after every model is trained
    graph = study.graphs["causal"]
    assert set(graph.provenance["contexts"]) == {"main", "B"}
    assert all(set(e.context_strength) == {"main", "B"} for e in graph.edges)
    # the diff compares A alone with B alone: A's graph for it is discovered without the context
    assert set(study.graphs["causal_diff"].provenance["contexts"]) == {"main"}
    write_report(study, tmp_path / "report", plots=False)
    doc = json.loads((tmp_path / "report" / "report.json").read_text())
    sel = doc["settings"]["causal_selection"]
    assert sel["test_series_read_before_training"] and not sel["test_labels_read_before_training"]
    assert "as an unlabelled context" in (tmp_path / "report" / "report.md").read_text()
