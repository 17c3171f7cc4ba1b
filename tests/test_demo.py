"""`causalex demo --quick` end to end: files, numbers (recomputed from the written files), plots, progress."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import causalex.demo
from causalex.demo import STAGES, DemoSettings, demo_settings, prepare_output
from causalex.demo.settings import corpus_b_recipe, other_bias_preset
from causalex.errors import InputError
from causalex.graph import AUGraph
from causalex.labels import read_labels_csv, read_predictions_csv
from causalex.metrics import evaluate_spotting
from causalex.simulate import PRESETS, get_preset
from causalex_cli.main import app

runner = CliRunner()
ROWS = ("micro", "macro", "overall")


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """One ``causalex demo --quick`` run through the CLI, with the progress events it reported."""
    out = tmp_path_factory.mktemp("demo") / "out"
    events = []
    real = causalex.demo.run_demo

    def spy(output, settings=None, on_progress=None):
        def record(event):
            events.append(event)
            on_progress(event)

        return real(output, settings, on_progress=record)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(causalex.demo, "run_demo", spy)
        res = runner.invoke(app, ["demo", "--quick", "-o", str(out), "--device", "cpu"])
    assert res.exit_code == 0, res.output
    return out, res, events


def _summary(out: Path) -> dict:
    return json.loads((out / "report" / "summary.json").read_text(encoding="utf-8"))


def test_cli_prints_the_f1_table_and_the_edges(demo_run):
    out, res, _ = demo_run
    for text in ("MEGC spotting F1", "MEGC questions on corpus B", "causal graph of corpus A", "bias comparison",
                 "threshold baseline",
                 "model (LOSO, out of fold)", "summary.md"):
        assert text in res.stdout, text
    summary = _summary(out)
    for edge in summary["graph"]["kept"] + summary["graph"]["dropped"]:
        assert edge["edge"] in res.stdout
    assert summary["bias"]["in_domain_protocol"] == "3 folds by subject"  # not the model's LOSO: said so
    assert "in-domain by 3 folds by subject" in " ".join(res.stdout.split())
    assert "bias study's own 3 folds by subject" in (out / "report" / "summary.md").read_text(encoding="utf-8")


def test_megc_questions_of_corpus_b_are_answered_and_scored_as_megc_score_does(demo_run):
    from causalex.megc import read_answers, read_questions, score_answers

    out, _, _ = demo_run
    questions = read_questions(out / "corpus_b" / "questions.jsonl")
    answers = read_answers(out / "megc" / "answers.jsonl")
    assert questions and set(answers) == {q.qid for q in questions}
    scores = json.loads((out / "megc" / "scores.json").read_text(encoding="utf-8"))
    assert scores == json.loads(json.dumps(score_answers(questions, answers)))
    megc = _summary(out)["megc"]
    assert megc["questions"] == len(questions) and megc["kinds"] == scores["kinds"]
    assert "## MEGC questions on corpus B" in (out / "report" / "summary.md").read_text(encoding="utf-8")


def test_reading_quotes_the_scores_of_this_run(demo_run):
    out, res, _ = demo_run
    summary = _summary(out)
    f1 = {row["key"]: row["scores"]["overall"]["f1"] for row in summary["scores"]}
    text = (out / "report" / "summary.md").read_text(encoding="utf-8")
    reading = text.split("## What the numbers say", 1)[1].split("## Causal graph", 1)[0]
    assert f"reaches overall F1 {f1['model_a']:.3f}, the untrained threshold spotter {f1['threshold_a']:.3f}" in reading
    verdict = "stays above" if f1["model_b"] > f1["threshold_b"] else "falls below the threshold spotter there"
    assert f"scores {f1['threshold_b']:.3f} on B, so it" in reading and verdict in reading
    assert "What the numbers say" in res.stdout and f"{f1['model_b']:.3f}" in res.stdout


def test_model_without_bias_aus_lacks_them_and_spot_reproduces_its_predictions(demo_run, tmp_path):
    out, _, _ = demo_run
    folder = out / "model_without_bias_aus"
    bias_aus = _summary(out)["corpora"]["A"]["bias"]["aus"]
    graph = AUGraph.load(folder / "graph.json")
    assert not set(bias_aus) & set(graph.nodes) and len(graph.nodes) == 17 - len(bias_aus)
    res = runner.invoke(app, ["spot", str(folder), str(out / "corpus_b" / "series"), "-o", str(tmp_path / "p.csv"),
                              "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert read_predictions_csv(tmp_path / "p.csv") == read_predictions_csv(folder / "predictions.csv")


def test_report_layout(demo_run):
    out, _, _ = demo_run
    for rel in ("demo.json", "corpus_a/labels.csv", "corpus_b/true_graph.json", "graphs/corpus_a.json",
                "graphs/corpus_b.json", "graphs/corpus_a.png", "model/model.pt", "model/predictions.csv",
                "model/metrics.json", "model/graph.json", "predictions.csv", "baseline/corpus_a.csv",
                "model_without_bias_aus/model.pt", "model_without_bias_aus/predictions.csv",
                "report/summary.md", "report/summary.json", "report/graph.png", "report/bias.png",
                "report/bias/report.json", "report/bias/report.md", "report/bias/bias_bars.png"):
        assert (out / rel).is_file(), rel
    series_b = sorted(p.stem for p in (out / "corpus_b" / "series").glob("*.parquet"))
    assert len(series_b) == 6
    timelines = sorted((out / "report").glob("timeline_*.png"))
    assert [p.name for p in timelines] == [f"timeline_{v}.png" for v in series_b[:3]]  # --quick draws 3
    assert not list(out.rglob(".*.tmp")) and not list(out.rglob(".*.png"))  # no temporary leftovers


def test_summary_f1_equals_metrics_on_the_written_files(demo_run):
    out, _, _ = demo_run
    summary = _summary(out)
    assert [r["predictions"] for r in summary["scores"]] == [
        "model/predictions.csv", "predictions.csv", "model_without_bias_aus/predictions.csv", "baseline/corpus_a.csv",
        "baseline/corpus_b.csv"]
    for row in summary["scores"]:
        result = evaluate_spotting(read_predictions_csv(out / row["predictions"]), read_labels_csv(out / row["labels"]))
        for name in ROWS:
            got, want = row["scores"][name], result[name]
            assert (got["tp"], got["n_pred"], got["n_gt"]) == (want.tp, want.n_pred, want.n_gt), (row["name"], name)
            assert got["f1"] == pytest.approx(want.f1, abs=1e-12)
    assert summary["scores"][0]["scores"]["overall"]["n_gt"] == len(read_labels_csv(out / "corpus_a" / "labels.csv"))
    metrics = json.loads((out / "model" / "metrics.json").read_text())
    assert summary["scores"][0]["scores"]["overall"]["f1"] == pytest.approx(metrics["overall"]["f1"], abs=1e-12)


def test_evaluate_command_agrees_with_the_summary(demo_run, tmp_path):
    out, _, _ = demo_run
    res = runner.invoke(app, ["evaluate", str(out / "predictions.csv"), "--labels",
                              str(out / "corpus_b" / "labels.csv"), "-o", str(tmp_path / "s.json")])
    assert res.exit_code == 0, res.output
    scores = json.loads((tmp_path / "s.json").read_text())
    row = _summary(out)["scores"][1]
    assert all(scores[r]["f1"] == pytest.approx(row["scores"][r]["f1"], abs=1e-12) for r in ROWS)


def test_bias_numbers_come_from_the_bias_predictions(demo_run):
    out, _, _ = demo_run
    bias = _summary(out)["bias"]
    assert list(bias["summary"]) == ["causal", "none"]
    labels = {"in_domain": read_labels_csv(out / "corpus_a/labels.csv"),
              "cross_domain": read_labels_csv(out / "corpus_b/labels.csv")}
    for variant, rows in bias["summary"].items():
        for domain, truth in labels.items():
            preds = read_predictions_csv(out / "report/bias/predictions" / f"{variant}_seed0_{domain}.csv")
            result = evaluate_spotting(preds, truth)
            for row in ROWS:
                assert rows[row][domain]["mean"] == pytest.approx(result[row].f1, abs=1e-12)
            assert rows["overall"]["drop"]["mean"] == pytest.approx(
                rows["overall"]["in_domain"]["mean"] - rows["overall"]["cross_domain"]["mean"], abs=1e-12)
    reliance = bias["reliance"]["causal"]["cross_domain"]
    assert {"AU14", "AU23", "AU20", "AU45"} <= set(reliance)  # the bias AUs of both corpora are removed in turn


def test_graph_edges_match_the_saved_graph_and_the_truth(demo_run):
    out, _, _ = demo_run
    summary = _summary(out)["graph"]
    graph = AUGraph.load(out / "graphs" / "corpus_a.json")
    kept = {(e.source, e.target, e.kind) for e in graph.edges if e.kept}
    assert {(e["source"], e["target"], e["kind"]) for e in summary["kept"]} == kept
    model_graph = AUGraph.load(out / "model" / "graph.json")
    np.testing.assert_array_equal(model_graph.adjacency_for(graph.nodes), graph.adjacency)  # the model's graph
    truth = AUGraph.load(out / "corpus_a" / "true_graph.json")
    true_pairs = {frozenset((e.source, e.target)) for e in truth.edges if e.kept}
    n_true = sum(frozenset((e["source"], e["target"])) in true_pairs for e in summary["kept"])
    assert summary["truth"]["kept_true"] == n_true
    found = [e for e in summary["kept"] + summary["dropped"] if frozenset((e["source"], e["target"])) in true_pairs]
    assert summary["truth"]["found_true"] == len(found) > 0  # found, whether or not the model uses them
    assert summary["truth"]["mechanism_edges"] == len(true_pairs)
    assert summary["truth"]["bias_pairs"] == ["AU14 <-> AU23"]
    # the training default: time-series discovery without a prior, with an AU selection saved in the graph
    assert graph.provenance["method"] == "timeseries" and graph.provenance["background"] == "none"
    assert summary["truth"]["left_out"] == {a: graph.selection[a]["reason"] for a in graph.deselected()}
    text = (out / "report" / "summary.md").read_text()
    assert "Time-series discovery" in text
    assert all(f"{a} (" in text for a in graph.deselected()) or "leaves no AU out" in text


def test_corpora_share_shape_but_not_bias(demo_run):
    out, _, _ = demo_run
    a = json.loads((out / "corpus_a" / "corpus.json").read_text())
    b = json.loads((out / "corpus_b" / "corpus.json").read_text())
    assert a["bias"]["aus"] != b["bias"]["aus"]
    assert (a["videos"], a["subjects"], a["fps"]) == (b["videos"], b["subjects"], b["fps"]) == (6, 3, 30.0)


def test_pngs_are_real_images(demo_run):
    import matplotlib.image as mpimg

    out, _, _ = demo_run
    for png in sorted(out.rglob("*.png")):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert png.stat().st_size > 15_000, png
        pixels = mpimg.imread(png)[..., :3]  # [H, W, 3]
        assert min(pixels.shape[:2]) >= 200, png
        assert pixels.std() > 0.05, f"{png} is (nearly) blank"


def test_progress_covers_every_stage_in_order(demo_run):
    _, _, events = demo_run
    stages = list(dict.fromkeys(e.stage for e in events))
    assert stages == list(STAGES)
    assert [e.stage_index for e in events] == sorted(e.stage_index for e in events)
    for stage in STAGES:
        mine = [e for e in events if e.stage == stage]
        assert all(e.total is None or 0 <= e.done <= e.total for e in mine), stage
        assert mine[-1].total is not None and mine[-1].done == mine[-1].total, stage


def test_settings_and_corpus_b_recipe():
    quick = demo_settings(quick=True)
    assert (quick.preset, quick.epochs, quick.max_timelines) == ("tiny", 1, 3)
    assert get_preset(quick.preset, **quick.preset_overrides).n_subjects == 3
    assert demo_settings(quick=True, epochs=2).epochs == 2
    default = DemoSettings()
    preset, overrides = corpus_b_recipe(default)
    spec = get_preset(preset, **overrides)
    assert default.preset == "demo" and spec.bias != PRESETS["demo"].bias
    assert (spec.n_subjects, spec.n_videos, spec.fps, spec.n_macro) == (8, 24, 30.0, 96)
    assert PRESETS[other_bias_preset("samm")].bias != PRESETS["samm"].bias


@pytest.mark.parametrize("kwargs", [{"preset": "nope"}, {"epochs": 0}, {"seed": -1}, {"device": "tpu"}])
def test_bad_settings_are_input_errors(kwargs):
    with pytest.raises(InputError):
        demo_settings(**kwargs)


def test_output_folder_rules(tmp_path):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="holds no earlier demo"):
        prepare_output(foreign)
    res = runner.invoke(app, ["demo", "--quick", "-o", str(foreign)])
    assert res.exit_code == 2 and "holds no earlier demo" in res.output and (foreign / "notes.txt").exists()
    earlier = tmp_path / "earlier"
    (earlier / "report").mkdir(parents=True)
    (earlier / "demo.json").write_text("{}")
    (earlier / "report" / "old.png").write_bytes(b"x")
    (earlier / "keep.txt").write_text("not the demo's")
    prepare_output(earlier)
    assert not (earlier / "report").exists() and not (earlier / "demo.json").exists()
    assert (earlier / "keep.txt").exists()
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert runner.invoke(app, ["demo", "--quick", "-o", str(a_file)]).exit_code == 2


def test_bad_cli_input_exits_2(tmp_path):
    res = runner.invoke(app, ["demo", "--preset", "nope", "-o", str(tmp_path / "x")])
    assert res.exit_code == 2 and "unknown preset" in res.output
    assert not (tmp_path / "x").exists()
    assert runner.invoke(app, ["demo", "--epochs", "0"]).exit_code == 2


def test_help_states_the_real_default_epochs():
    result = CliRunner().invoke(app, ["demo", "--help"], env={"COLUMNS": "200"})
    assert f"(default {DemoSettings().epochs}; 1 with --quick)" in " ".join(result.output.split())
