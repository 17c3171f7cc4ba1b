"""`run_demo`: simulate two biased corpora, discover, train (LOSO), spot, retrain without the bias AUs, evaluate,
compare, report.

Every stage calls the library module that owns it (`causalex.simulate`, `causalex.discover`,
`causalex.train`, `causalex.spot`, `causalex.metrics`, `causalex.bias`, `causalex.viz`); this module only
wires them together, times them and reports progress through one callback. Files are laid out as in
`causalex.demo.layout`.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from causalex.demo.layout import DemoLayout, prepare_output
from causalex.demo.settings import DemoSettings, bias_name, corpus_b_recipe
from causalex.errors import InputError
from causalex.fileio import write_text_atomic
from causalex.labels import Interval, read_predictions_csv, write_predictions_csv
from causalex.series import SERIES_SUFFIX, AUSeries

log = logging.getLogger(__name__)

STAGES = ("simulate", "discover", "train", "spot", "exclude", "evaluate", "megc", "bias", "report")


@dataclass(frozen=True)
class DemoProgress:
    """One progress report: the stage (1-based ``stage_index`` of ``len(STAGES)``) and its own progress.

    ``total`` is None while a stage does not know its length yet.
    """

    stage: str
    stage_index: int
    done: int
    total: int | None
    message: str


ProgressCallback = Callable[[DemoProgress], None]


@dataclass
class DemoState:
    """What the stages hand to each other (series and labels of both corpora, graphs, predictions)."""

    settings: DemoSettings
    layout: DemoLayout
    device: Any = None
    experiment: Any = None  # the training settings (`causalex.train.config.ExperimentConfig`), shared by all stages
    corpora: dict[str, dict[str, Any]] = field(default_factory=dict)  # "a"/"b" -> simulator summary
    series: dict[str, list[AUSeries]] = field(default_factory=dict)
    labels: dict[str, list[Interval]] = field(default_factory=dict)
    graphs: dict[str, Any] = field(default_factory=dict)  # "a"/"b"/"true_a" -> AUGraph
    tracks: list[Any] = field(default_factory=list)  # ScoreTrack per video of corpus B
    predictions_b: list[Interval] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    bias_doc: dict[str, Any] = field(default_factory=dict)
    megc: dict[str, Any] = field(default_factory=dict)  # scores of the answers to corpus B's MEGC questions
    summary: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class DemoResult:
    """Outcome of `run_demo`: the output layout and the ``report/summary.json`` document."""

    layout: DemoLayout
    summary: dict[str, Any]


class _Reporter:
    """Sends `DemoProgress` events for the current stage."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.stage = STAGES[0]

    def start(self, stage: str, total: int | None, message: str = "") -> None:
        self.stage = stage
        self(0, total, message or stage)

    def __call__(self, done: int, total: int | None, message: str) -> None:
        if self.callback is not None:
            self.callback(DemoProgress(self.stage, STAGES.index(self.stage) + 1, done, total, message))


def _simulate(state: DemoState, report: _Reporter) -> None:
    from causalex.simulate import generate_corpus, write_corpus
    from causalex.simulate.questions import write_corpus_questions

    cfg, layout = state.settings, state.layout
    b_preset, b_overrides = corpus_b_recipe(cfg)
    recipes = {"a": (cfg.preset, cfg.preset_overrides, cfg.seed), "b": (b_preset, b_overrides, cfg.seed + 1)}
    for i, (name, (preset, overrides, seed)) in enumerate(recipes.items()):
        corpus = generate_corpus(preset, seed=seed, **overrides,
                                 on_video=lambda done, total, n=name, i=i: report(i * total + done, 2 * total,
                                                                                   f"simulating corpus {n.upper()}"))
        write_corpus(corpus, layout.corpus(name))
        if name == "b":  # ME-VQA / ME-LVQA questions with true answers, answered in the megc stage
            write_corpus_questions(corpus, seed, layout.corpus(name) / "questions.jsonl")
        for s in corpus.series:
            s.save(layout.series(name) / f"{s.video}{SERIES_SUFFIX}")
        state.corpora[name] = {**corpus.summary, "shape_preset": cfg.preset, "bias_preset": bias_name(preset)}
        state.graphs[f"true_{name}"] = corpus.true_graph
        state.series[name], state.labels[name] = corpus.series, corpus.labels


def discovery_config_of(graph: Any):
    """The `DiscoveryConfig` that reproduces a discovered graph, read from its provenance.

    The bias study gets the settings the training used (`causalex.train.graphs.resolve_graph`), so
    that its ``causal`` variant is the same graph as the demo's.
    """
    from dataclasses import fields as dc_fields

    from causalex.discover.pipeline import DiscoveryConfig
    from causalex.discover.sampling import SamplingOptions

    prov = graph.provenance
    known = {f.name for f in dc_fields(SamplingOptions)}
    sampling = SamplingOptions(**{k: v for k, v in prov["sampling"].items() if k in known})
    defaults = DiscoveryConfig()
    return DiscoveryConfig(method=prov["method"], engine=prov["engine"], ci_test=prov["ci_test"], alpha=prov["alpha"],
                           depth=prov.get("depth", -1), policy=prov["policy"], background=prov["background"],
                           max_lag_s=prov.get("max_lag_s", defaults.max_lag_s),
                           min_effect=prov.get("min_effect", defaults.min_effect), sampling=sampling)


def _discover(state: DemoState, report: _Reporter) -> None:
    from causalex.train.graphs import resolve_graph
    from causalex.viz.graph_plot import plot_graph

    for i, name in enumerate(("a", "b")):
        report(i, 2, f"discovering the causal graph of corpus {name.upper()}")
        series = state.series[name]
        # the settings `causalex train --graph causal` uses, so that this is the deployment model's graph
        graph = resolve_graph("causal", series, state.labels[name], list(series[0].au_names), state.experiment.graph)
        graph.save(state.layout.graphs / f"corpus_{name}.json")
        plot_graph(graph, state.layout.graphs / f"corpus_{name}.png",
                   title=f"causal AU graph of corpus {name.upper()}: {len(graph.kept_edges())} kept edges")
        state.graphs[name] = graph
    report(2, 2, "graphs saved")


def _train(state: DemoState, report: _Reporter) -> None:
    from causalex.train.experiment import run_experiment

    cfg, exp = state.settings, state.experiment
    folds: dict[str, int] = {}

    def on_event(event: dict[str, Any]) -> None:
        kind = event["kind"]
        if kind == "fold_start":
            folds["total"] = event["total"] + 1  # + the deployment model
            folds["done"] = event["index"] - 1 if event["fold"] != "final" else event["total"]
            report(folds["done"], folds["total"], f"training fold {event['fold']}")
        elif kind == "epoch" and folds:
            report(folds["done"], folds["total"], f"training fold {event['fold']}: epoch {event['epoch']}/"
                                                  f"{event['epochs']}, loss {event['loss']:.3f}")
        elif kind == "final_done":
            report(folds["total"], folds["total"], f"deployment model: epoch {event['best_epoch']}")

    run_experiment(state.series["a"], state.labels["a"], exp, "causal", state.layout.model, state.device,
                   labels_path=str(state.layout.corpus("a") / "labels.csv"), on_event=on_event,
                   command=f"causalex train corpus_a/series --labels corpus_a/labels.csv --graph causal "
                           f"--epochs {cfg.epochs} --seed {cfg.seed} -o model")


def _spot(state: DemoState, report: _Reporter) -> None:
    from causalex.spot.spotter import ModelSpotter, make_spotter

    layout, series_b = state.layout, state.series["b"]
    spotter = ModelSpotter.from_path(layout.model, state.device)
    spotter.check_inputs(series_b)
    for i, s in enumerate(series_b):
        found, track = spotter.spot_one(s)
        state.predictions_b.extend(found)
        state.tracks.append(track)
        report(i + 1, len(series_b) + 1, f"spotting corpus B: {s.video}")
    write_predictions_csv(layout.predictions, state.predictions_b, {s.video: s.fps for s in series_b})
    baseline = make_spotter("threshold")
    for name in ("a", "b"):
        series = state.series[name]
        write_predictions_csv(layout.baseline / f"corpus_{name}.csv", baseline.spot(series),
                              {s.video: s.fps for s in series})
    report(len(series_b) + 1, len(series_b) + 1, "threshold baseline spotted")


def _exclude(state: DemoState, report: _Reporter) -> None:
    """Train on all of A without A's bias AUs (known here from the simulator), save it, spot corpus B."""
    from causalex.bias.backend import ModelBackend
    from causalex.checkpoint import save_checkpoint
    from causalex.discover.pipeline import build_graph_variant
    from causalex.series import without_aus

    layout, series_a, labels_a = state.layout, state.series["a"], state.labels["a"]
    bias_aus = list(state.corpora["a"]["bias"]["aus"])
    au_names = without_aus(list(series_a[0].au_names), bias_aus)
    report(0, 3, f"causal graph of corpus A without {' '.join(bias_aus)}")
    graph = build_graph_variant("causal", series_a, labels_a, config=discovery_config_of(state.graphs["a"]),
                                au_names=au_names)
    report(1, 3, f"training on all of corpus A without {' '.join(bias_aus)}")
    backend = ModelBackend(state.experiment, device=str(state.device))
    bundle = backend.fit(series_a, labels_a, graph, state.settings.seed)
    bundle.meta["excluded_aus"] = bias_aus
    save_checkpoint(layout.without_bias_aus / "model.pt", bundle)
    graph.save(layout.without_bias_aus / "graph.json")
    report(2, 3, "spotting corpus B without the bias AUs")
    series_b = state.series["b"]
    write_predictions_csv(layout.without_bias_aus / "predictions.csv", backend.predict(bundle, series_b),
                          {s.video: s.fps for s in series_b})
    report(3, 3, "corpus B spotted")


SCORED = (  # key, name, corpus, predictions file (relative to the output folder)
    ("model_a", "model (LOSO, out of fold)", "a", "model/predictions.csv"),
    ("model_b", "model trained on A", "b", "predictions.csv"),
    ("model_b_without_bias_aus", "model trained on A without its bias AUs", "b",
     "model_without_bias_aus/predictions.csv"),
    ("threshold_a", "threshold baseline", "a", "baseline/corpus_a.csv"),
    ("threshold_b", "threshold baseline", "b", "baseline/corpus_b.csv"),
)


def _evaluate(state: DemoState, report: _Reporter) -> None:
    from causalex.metrics import evaluate_predictions

    for i, (key, name, corpus, rel) in enumerate(SCORED):
        preds = read_predictions_csv(state.layout.root / rel)  # the file as written: what `evaluate` sees
        result = evaluate_predictions(preds, state.labels[corpus])
        state.scores.append({"key": key, "name": name, "corpus": corpus.upper(), "predictions": rel,
                             "labels": f"corpus_{corpus}/labels.csv", "scores": result.to_json()})
        report(i + 1, len(SCORED), f"scored {rel}")


def _megc(state: DemoState, report: _Reporter) -> None:
    """Answer corpus B's MEGC questions from the model's predictions and B's AU series, and score them."""
    from causalex.megc import answer_questions, build_evidence, read_answers, read_questions, score_answers, write_answers

    layout = state.layout
    path = layout.corpus("b") / "questions.jsonl"
    questions = read_questions(path)
    answers = answer_questions(questions, build_evidence(state.predictions_b, state.series["b"]), source=str(path))
    write_answers(layout.megc / "answers.jsonl", answers)
    report(1, 2, f"answered {len(answers)} questions")
    scores = score_answers(questions, read_answers(layout.megc / "answers.jsonl"))  # the file as written
    write_text_atomic(layout.megc / "scores.json", json.dumps(scores, indent=2) + "\n")
    state.megc = {"questions_file": layout.relative(path), "answers": layout.relative(layout.megc / "answers.jsonl"),
                  **{k: scores[k] for k in ("questions", "bleu", "rouge1_f", "classes", "kinds")}}
    report(2, 2, "answers scored")


def _bias(state: DemoState, report: _Reporter) -> None:
    from causalex.bias import CorpusSource, StudyConfig, run_bias_study, write_report
    from causalex.bias.backend import ModelBackend

    cfg, layout = state.settings, state.layout
    backend = ModelBackend(state.experiment, device=str(state.device))
    extra = [a for a in cfg.reliance_extra if a in state.series["a"][0].au_names]
    bias_aus = [a for name in ("a", "b") for a in state.corpora[name]["bias"]["aus"]]
    study_cfg = StudyConfig(variants=cfg.bias_variants, seeds=(cfg.seed,), folds=cfg.bias_folds,
                            reliance_aus=tuple(dict.fromkeys(bias_aus + extra)), timelines=0,  # ours: report/
                            discovery=discovery_config_of(state.graphs["a"]))
    n_folds = cfg.bias_folds or len({s.subject for s in state.series["a"]})
    total = len(cfg.bias_variants) * (n_folds + 2) + 2
    steps = [0]

    def on_step(message: str) -> None:
        report(min(steps[0], total - 1), total, f"bias study: {message}")  # the study may add steps: stay below total
        steps[0] += 1

    sources = [CorpusSource(f"corpus_{n}", str(layout.series(n)), str(layout.corpus(n) / "labels.csv"))
               for n in ("a", "b")]
    study = run_bias_study(*sources, backend, study_cfg, on_step=on_step)
    write_report(study, layout.bias_report, command=f"causalex demo (bias study, {cfg.epochs} epochs)")
    state.bias_doc = json.loads((layout.bias_report / "report.json").read_text(encoding="utf-8"))
    report(total, total, "bias report written")


def _report(state: DemoState, report: _Reporter) -> None:
    from causalex.demo.plots import draw_bias, draw_graph, draw_timelines
    from causalex.demo.summary import build_summary

    layout = state.layout
    n_timelines = len(state.series["b"][:state.settings.max_timelines])
    total = n_timelines + 3
    timelines = draw_timelines(state.series["b"], state.labels["b"], state.predictions_b, state.tracks, layout.report,
                               max_videos=state.settings.max_timelines,
                               on_plot=lambda done, video: report(done, total, f"timeline of {video}"))
    graph_png = draw_graph(state.graphs["a"], layout.report / "graph.png")
    report(n_timelines + 1, total, "graph plot")
    bias_png = draw_bias(state.bias_doc, layout.report / "bias.png")
    report(n_timelines + 2, total, "bias plot")
    plots = {"timelines": [layout.relative(p) for p in timelines], "graph": layout.relative(graph_png),
             "bias": layout.relative(bias_png)}
    state.summary = build_summary(state, plots)
    report(total, total, "plots drawn")


_STAGE_FUNCS = {"simulate": _simulate, "discover": _discover, "train": _train, "spot": _spot,
                "exclude": _exclude, "evaluate": _evaluate, "megc": _megc, "bias": _bias, "report": _report}


def run_demo(output, settings: DemoSettings | None = None, on_progress: ProgressCallback | None = None
             ) -> DemoResult:
    """Run the whole demo into ``output`` (see `causalex.demo.layout` for the files).

    Args:
        output: the output folder (created; an earlier demo's files in it are replaced).
        settings: what to run (default `DemoSettings()`: the small preset, 12 epochs, batches of 4 windows).
        on_progress: called with a `DemoProgress` as each stage advances.

    Returns:
        The layout and the summary document (also written to ``report/summary.json``).

    Raises:
        InputError: bad settings, a device that is not there, or an output folder that is not
            empty and not an earlier demo's.
    """
    import torch

    from causalex.demo.summary import summary_markdown
    from causalex.train.config import ExperimentConfig
    from causalex.train.loop import resolve_device

    settings = settings or DemoSettings()
    settings.validate()
    try:
        device = resolve_device(settings.device)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    layout = prepare_output(output)
    write_text_atomic(layout.marker, json.dumps({"format": "causalex.demo", "settings": settings.to_json()},
                                                indent=2) + "\n")
    experiment = ExperimentConfig()
    experiment.seed, experiment.optim.epochs, experiment.optim.threads = settings.seed, settings.epochs, settings.threads
    experiment.optim.batch_size = settings.batch_size
    state = DemoState(settings=settings, layout=layout, device=device, experiment=experiment)
    reporter = _Reporter(on_progress)
    start = time.perf_counter()
    threads = torch.get_num_threads()  # training sets torch's (process-wide) thread count: restored below
    try:
        for stage in STAGES:
            t0 = time.perf_counter()
            reporter.start(stage, None)
            _STAGE_FUNCS[stage](state, reporter)
            state.seconds[stage] = round(time.perf_counter() - t0, 2)
            log.info("demo stage %s done in %.1f s", stage, state.seconds[stage])
    finally:
        torch.set_num_threads(threads)
    state.seconds["total"] = round(time.perf_counter() - start, 2)
    doc = {**state.summary, "seconds": dict(state.seconds)}
    write_text_atomic(layout.report / "summary.json", json.dumps(doc, indent=2) + "\n")
    write_text_atomic(layout.report / "summary.md", summary_markdown(doc))
    return DemoResult(layout=layout, summary=doc)
