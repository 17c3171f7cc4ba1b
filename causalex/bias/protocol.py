"""The cross-dataset bias study: in-domain LOSO on corpus A vs train-on-A / test-on-B, per graph variant.

Order of work (the leakage rule of `causalex.bias.corpus`):

1. peek at both corpora's headers to agree on one AU set; load corpus A (series and labels);
2. for every graph variant and seed: leave-one-subject-out on A (or N folds by subject; the graph of
   each fold is built from that fold's training subjects only; the fold model scores the held-out
   subjects, as is and with each AU removed), then the *full* model on all of A (graph from all of A);
3. only then load corpus B and score it with every full model (as is and with each AU removed) and,
   as a control, with every fold model (same models as the in-domain scores: domain shift alone);
4. discover a graph on B with the same settings, for the graph diff of the report only: no model
   ever sees it. The diff's graphs are discovered without background knowledge (``diff_background``):
   a prior that forbids AU pairs (the FACS prior forbids AU14 - AU23) would hide exactly the
   dataset-specific ``<->`` edges the diff is for. When the causal variant itself is discovered with
   a background, A's graph is discovered a second time for the diff (``graphs["causal_diff"]``).

AU removal at test time (reliance) is done by the backend: `causalex.bias.backend.ModelBackend` zeroes
the AU node's features (level, detrended, velocity and the valid flag) and cuts its edges in the
graph (row and column of the adjacency), so no message flows from or to it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Protocol, Sequence

from causalex.bias.corpus import Corpus, CorpusSource, agree_au_names
from causalex.bias.graph_diff import GraphDiff, diff_graphs
from causalex.bias.summary import DOMAINS, RelianceScores, SeedRun
from causalex.discover.pipeline import GRAPH_VARIANTS, DiscoveryConfig, build_graph_variant
from causalex.errors import InputError
from causalex.graph import AUGraph
from causalex.labels import Interval
from causalex.metrics import evaluate_spotting
from causalex.metrics.spotting import SCORE_ROWS
from causalex.series import AUSeries, without_aus
from causalex.train.estimate import format_seconds

log = logging.getLogger(__name__)


class SpotterBackend(Protocol):
    """What the study needs from a spotter: fit on labelled series with a graph, predict intervals."""

    def fit(self, series: list[AUSeries], labels: list[Interval], graph: AUGraph, seed: int) -> Any:
        """Train a model on ``series``/``labels`` (selection on its own inner validation) with ``graph``."""

    def predict(self, model: Any, series: list[AUSeries], removed_aus: Sequence[str] = ()) -> list[Interval]:
        """Spot intervals in ``series``; ``removed_aus`` are taken out of the model's input and graph."""


def training_discovery() -> DiscoveryConfig:
    """The discovery settings of the training defaults' causal graph (`causalex.train.config.GraphConfig`)."""
    from causalex.train.config import GraphConfig

    return GraphConfig().discovery_config()


@dataclass
class StudyConfig:
    """Settings of a bias study (defaults in code)."""

    variants: tuple[str, ...] = GRAPH_VARIANTS  # graph variants compared
    seeds: tuple[int, ...] = (0,)  # training seeds; the spread over them is reported
    folds: int = 0  # in-domain protocol: 0 = leave one subject out; N >= 2 = N folds by subject (faster)
    reliance: tuple[str, ...] = DOMAINS  # where AU reliance is measured: in_domain and/or cross_domain
    reliance_aus: tuple[str, ...] | None = None  # AUs removed one at a time (None: every AU of the study)
    exclude_aus: tuple[str, ...] = ()  # AUs left out of the study altogether (e.g. bias AUs a first study found)
    timelines: int = 2  # test videos drawn as AU timelines (first variant and seed; labelled videos first)
    discovery: DiscoveryConfig = field(default_factory=training_discovery)  # settings of the causal variant
    # (default: those of `causalex train --graph causal`, so the variant is the graph a trained model uses)
    diff_background: str = "none"  # background knowledge of the A-vs-B graph diff's discoveries
    target_context: bool = True  # the causal variant's discovery (timeseries method) also sees B's AU series, as an
    # unlabelled context corpus (B's labels are read only after training): links and AUs that hold in one corpus
    # only are left out of the model (causalex.discover.selection)
    variant: str = "megc"  # IoU convention of the scores

    def validate(self) -> None:
        """Raise `InputError` on an unknown variant or domain, no seed, duplicate seeds or a bad fold count."""
        bad = [v for v in self.variants if v not in GRAPH_VARIANTS]
        if bad or not self.variants:
            raise InputError(f"unknown graph variant(s) {', '.join(bad) or '(none given)'}; "
                             f"valid: {', '.join(GRAPH_VARIANTS)}")
        if not self.seeds or len(set(self.seeds)) != len(self.seeds):
            raise InputError(f"need one or more distinct seeds, got {list(self.seeds)}")
        if self.folds == 1 or self.folds < 0:
            raise InputError(f"folds must be 0 (leave one subject out) or >= 2, got {self.folds}")
        bad = [d for d in self.reliance if d not in DOMAINS]
        if bad:
            raise InputError(f"unknown reliance domain(s) {', '.join(bad)}; valid: {', '.join(DOMAINS)}")
        self.discovery.validate()
        self.diff_discovery.validate()

    @property
    def diff_discovery(self) -> DiscoveryConfig:
        """Settings of the graph diff's discoveries: the causal variant's, with ``diff_background``."""
        return replace(self.discovery, background=self.diff_background)


@dataclass
class BiasStudy:
    """Everything the report shows.

    Attributes:
        train, test: corpus descriptions (`Corpus.describe`).
        au_names: the AU set used; au_note: why it differs from a corpus's own set (empty if not).
        runs: one `SeedRun` per variant and seed.
        predictions: ``{(variant, seed, domain): intervals}`` for the predictions CSVs.
        graphs: the graphs of the full models (``{variant: graph}``; seed independent) and
            ``test_causal``, the graph discovered on B for the diff (and ``causal_diff``, A's graph for
            the diff, when it is discovered with other settings than the causal variant).
        graph_diff: causal graph of A vs causal graph of B (both with `StudyConfig.diff_discovery`).
        examples: test videos to draw as timelines (`TimelineExample`).
        events: the order in which corpora were read and models trained (audit of the leakage rule).
        seconds: wall time per stage.
    """

    train: dict[str, Any]
    test: dict[str, Any]
    au_names: list[str]
    au_note: str
    config: StudyConfig
    runs: list[SeedRun] = field(default_factory=list)
    predictions: dict[tuple[str, int, str], list[Interval]] = field(default_factory=dict)
    graphs: dict[str, AUGraph] = field(default_factory=dict)
    graph_diff: GraphDiff | None = None
    examples: list["TimelineExample"] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    fps: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class TimelineExample:
    """One test video with its labels, the cross-domain predictions of one model and its score curves."""

    series: AUSeries
    truth: list[Interval]
    predictions: list[Interval]
    scores: dict[str, Any] | None
    title: str


def _f1_rows(preds: list[Interval], truth: list[Interval], variant: str) -> dict[str, float]:
    result = evaluate_spotting(preds, truth, variant=variant)
    return {row: result[row].f1 for row in SCORE_ROWS}


def _subset(corpus: Corpus, subjects: set[str]) -> tuple[list[AUSeries], list[Interval]]:
    series = [s for s in corpus.series if s.subject in subjects]
    videos = {s.video for s in series}
    return series, [iv for iv in corpus.labels if iv.video in videos]


def subject_folds(corpus: Corpus, folds: int = 0) -> list[tuple[str, set[str]]]:
    """In-domain folds by subject: ``[(fold name, test subjects)]``.

    Args:
        corpus: the training corpus.
        folds: 0 for leave-one-subject-out (fold name = the subject), N for N folds (sorted subjects
            dealt round-robin; names ``fold1``...).

    Raises:
        InputError: fewer than 2 subjects, or fewer subjects than folds.
    """
    subjects = corpus.subjects
    if len(subjects) < 2:
        raise InputError(f"{corpus.name}: in-domain folds need at least 2 subjects, got {len(subjects)}")
    if folds == 0:
        return [(s, {s}) for s in subjects]
    if folds > len(subjects):
        raise InputError(f"{corpus.name}: {folds} folds but only {len(subjects)} subjects")
    return [(f"fold{i + 1}", set(subjects[i::folds])) for i in range(folds)]


class _Runner:
    """Runs one study; kept small so that each stage reads on its own."""

    def __init__(self, study: BiasStudy, backend: SpotterBackend, on_step: Callable[[str], None] | None) -> None:
        self.study, self.backend, self.on_step = study, backend, on_step or (lambda _msg: None)
        self.cfg = study.config

    contexts: dict[str, list[AUSeries]] | None = None  # unlabelled context corpora of the causal variant

    def graph(self, variant: str, series: list[AUSeries], labels: list[Interval]) -> AUGraph:
        return build_graph_variant(variant, series, labels, config=self.cfg.discovery, au_names=self.study.au_names,
                                   contexts=self.contexts if variant == "causal" else None)

    def diff_graph(self, series: list[AUSeries], labels: list[Interval]) -> AUGraph:
        return build_graph_variant("causal", series, labels, config=self.cfg.diff_discovery,
                                   au_names=self.study.au_names)

    fits_total = 0  # trainings of the study (set by `plan`)
    fits_done = 0

    def plan(self, train: Corpus) -> None:
        """Log the study's size before any training: variants x seeds x (folds + full model)."""
        n_folds = len(subject_folds(train, self.cfg.folds))
        per = len(self.cfg.variants) * len(self.cfg.seeds)
        self.fits_total = per * (n_folds + 1)
        reliance = (f"; reliance: {len(self.removable)} AUs removed in turn, one scoring pass each"
                    if self.cfg.reliance else "")
        log.info("bias study plan: %d variant(s) x %d seed(s) x (%d folds + the full model) = %d trainings on %d "
                 "videos%s; a time estimate follows the first training", len(self.cfg.variants), len(self.cfg.seeds),
                 n_folds, self.fits_total, len(train.series), reliance)

    def fit(self, series: list[AUSeries], labels: list[Interval], graph: AUGraph, seed: int) -> Any:
        """Train one model (the backend's fit); after the first, log the time left for the others."""
        t0 = time.perf_counter()
        model = self.backend.fit(series, labels, graph, seed)
        self.fits_done += 1
        if self.fits_done == 1 and self.fits_total > 1:
            took = time.perf_counter() - t0
            log.info("first training took %s: about %s left for %d more (scoring and reliance not counted)",
                     format_seconds(took), format_seconds(took * (self.fits_total - 1)), self.fits_total - 1)
        return model

    @property
    def removable(self) -> list[str]:
        return list(self.cfg.reliance_aus or self.study.au_names)

    def reliance(self, predict: Callable[[str], list[Interval]], truth: list[Interval],
                 base: list[Interval]) -> RelianceScores:
        removed = {au: _f1_rows(predict(au), truth, self.cfg.variant) for au in self.removable}
        return RelianceScores(base=_f1_rows(base, truth, self.cfg.variant), removed=removed)

    def in_domain(self, corpus: Corpus, variant: str, seed: int, run_seconds: dict[str, float]):
        """Folds on A: out-of-fold predictions, as is and per removed AU (pooled over folds), and the fold models."""
        oof: list[Interval] = []
        models: list[Any] = []
        with_reliance = "in_domain" in self.cfg.reliance
        removed: dict[str, list[Interval]] = {au: [] for au in self.removable}
        for fold, test_subjects in subject_folds(corpus, self.cfg.folds):
            self.on_step(f"{variant} seed {seed}: in-domain fold {fold}")
            series, labels = _subset(corpus, set(corpus.subjects) - test_subjects)
            t0 = time.perf_counter()
            model = self.fit(series, labels, self.graph(variant, series, labels), seed)
            models.append(model)
            self.study.events.append(f"fit {variant} seed {seed} fold {fold}")
            run_seconds["train_folds"] = run_seconds.get("train_folds", 0.0) + time.perf_counter() - t0
            held_out, _ = _subset(corpus, test_subjects)
            t0 = time.perf_counter()
            oof += self.backend.predict(model, held_out)
            run_seconds["predict_in_domain"] = run_seconds.get("predict_in_domain", 0.0) + time.perf_counter() - t0
            t0 = time.perf_counter()
            for au in removed if with_reliance else ():
                removed[au] += self.backend.predict(model, held_out, [au])
            run_seconds["reliance_in_domain"] = run_seconds.get("reliance_in_domain", 0.0) + time.perf_counter() - t0
        reliance = self.reliance(removed.__getitem__, corpus.labels, oof) if with_reliance else None
        return oof, reliance, models

    def examples(self, model: Any, test: Corpus, predictions: list[Interval], label: str) -> None:
        """Keep the first labelled test videos (then unlabelled ones) for timeline plots."""
        labelled = {iv.video for iv in test.labels}
        chosen = sorted(test.series, key=lambda s: s.video not in labelled)[:self.cfg.timelines]
        curves = getattr(self.backend, "score_curves", None)
        for s in chosen:
            self.study.examples.append(TimelineExample(
                series=s, truth=[iv for iv in test.labels if iv.video == s.video],
                predictions=[iv for iv in predictions if iv.video == s.video],
                scores=curves(model, s) if curves is not None else None,
                title=f"{test.name} / {s.video}: {label}"))

    def run(self, train_source: CorpusSource, test_source: CorpusSource) -> BiasStudy:
        study, cfg = self.study, self.cfg
        t_start = time.perf_counter()
        train = train_source.load(study.au_names)
        study.events.append(f"load {train_source.name}")
        study.train = train.describe()
        study.fps["train"] = {s.video: s.fps for s in train.series}
        self.plan(train)
        if cfg.target_context and "causal" in cfg.variants and cfg.discovery.method == "timeseries":
            self.on_step(f"reading the AU series of {test_source.name} (not its labels) as a discovery context")
            self.contexts = {test_source.name: test_source.load_series(study.au_names)}
            study.events.append(f"load series of {test_source.name} (labels unread)")
        full_models: dict[tuple[str, int], Any] = {}
        pending: dict[tuple[str, int], tuple[list[Interval], RelianceScores | None, list[Any], dict[str, float]]] = {}
        for variant in cfg.variants:
            t0 = time.perf_counter()
            study.graphs[variant] = self.graph(variant, train.series, train.labels)
            study.seconds[f"graph_{variant}"] = time.perf_counter() - t0
            for seed in cfg.seeds:
                secs: dict[str, float] = {}
                oof, rel, fold_models = self.in_domain(train, variant, seed, secs)
                self.on_step(f"{variant} seed {seed}: full model on {train.name}")
                t0 = time.perf_counter()
                full_models[(variant, seed)] = self.fit(train.series, train.labels, study.graphs[variant], seed)
                study.events.append(f"fit {variant} seed {seed} full")
                secs["train_full"] = time.perf_counter() - t0
                pending[(variant, seed)] = (oof, rel, fold_models, secs)
        study.seconds["train_and_in_domain"] = time.perf_counter() - t_start

        self.on_step(f"loading test corpus {test_source.name}")
        test = test_source.load(study.au_names)
        study.events.append(f"load {test_source.name}")
        study.test = test.describe()
        study.fps["test"] = {s.video: s.fps for s in test.series}
        t_cross = time.perf_counter()
        for (variant, seed), model in full_models.items():
            self.on_step(f"{variant} seed {seed}: scoring {test.name}")
            oof, rel_in, fold_models, secs = pending.pop((variant, seed))
            t0 = time.perf_counter()
            cross = self.backend.predict(model, test.series)
            fold_cross = [evaluate_spotting(self.backend.predict(m, test.series), test.labels, cfg.variant)
                          for m in fold_models]
            secs["predict_cross_domain"] = time.perf_counter() - t0
            run = SeedRun(variant=variant, seed=seed, in_domain=evaluate_spotting(oof, train.labels, cfg.variant),
                          cross_domain=evaluate_spotting(cross, test.labels, cfg.variant),
                          fold_cross_domain=fold_cross, seconds=secs)
            if rel_in is not None:
                run.reliance["in_domain"] = rel_in
            if "cross_domain" in cfg.reliance:
                t0 = time.perf_counter()
                run.reliance["cross_domain"] = self.reliance(
                    lambda au, m=model: self.backend.predict(m, test.series, [au]), test.labels, cross)
                secs["reliance_cross_domain"] = time.perf_counter() - t0
            study.runs.append(run)
            study.predictions[(variant, seed, "in_domain")] = oof
            study.predictions[(variant, seed, "cross_domain")] = cross
            if not study.examples:
                self.examples(model, test, cross, f"{variant} model (seed {seed}) trained on {train.name}")
        study.seconds["cross_domain"] = time.perf_counter() - t_cross

        self.on_step(f"discovering a graph on {test.name} for the diff")
        t0 = time.perf_counter()
        if "causal" in study.graphs and cfg.diff_discovery == cfg.discovery and not self.contexts:
            causal_a = study.graphs["causal"]
        else:
            causal_a = study.graphs["causal_diff"] = self.diff_graph(train.series, train.labels)
        study.graphs["test_causal"] = self.diff_graph(test.series, test.labels)
        study.graph_diff = diff_graphs(causal_a, study.graphs["test_causal"], train.name, test.name)
        study.seconds["graph_diff"] = time.perf_counter() - t0
        study.seconds["total"] = time.perf_counter() - t_start
        return study


def _check_scales(train_source: CorpusSource, test_source: CorpusSource) -> None:
    """Refuse two corpora whose series hold different numbers (file headers only: B's data stay unread)."""
    from causalex.series import describe_scale, files_scale, scale_mismatch

    train_scale = files_scale(train_source.series_files)  # the files `peek` listed: no second listing
    test_scale = files_scale(test_source.series_files)
    if scale_mismatch(train_scale, test_scale):
        raise InputError(f"{test_source.series_path}: AU series on scale {describe_scale(test_scale)}, but "
                         f"{train_source.name}'s are on {describe_scale(train_scale)}: a model trained on one "
                         "reads nothing in the other; extract both corpora with the same backend")


def run_bias_study(train_source: CorpusSource, test_source: CorpusSource, backend: SpotterBackend,
                   config: StudyConfig | None = None, on_step: Callable[[str], None] | None = None) -> BiasStudy:
    """Run the cross-dataset bias study (see the module doc for the order of work).

    Args:
        train_source: corpus A (training, in-domain LOSO).
        test_source: corpus B (cross-domain test; read only after every model is trained).
        backend: trains and applies spotters (`causalex.bias.backend.ModelBackend` for the real model).
        config: study settings.
        on_step: called with a one-line description before each stage (progress reporting).

    Returns:
        The `BiasStudy` (write it with `causalex.bias.report.write_report`).

    Raises:
        InputError: bad settings or input (different AU sets sharing < 2 AUs, an empty corpus, labels
            that do not match their series, too few subjects for LOSO).
    """
    config = config or StudyConfig()
    config.validate()
    train_aus, test_aus = train_source.peek(), test_source.peek()
    _check_scales(train_source, test_source)
    au_names, note = agree_au_names(train_aus, test_aus, train_source.name, test_source.name)
    if config.exclude_aus:  # an AU that only one corpus has is already out of the shared set: nothing to exclude
        either = set(train_aus) | set(test_aus)
        shared_excluded = [a for a in config.exclude_aus if a in au_names or a not in either]
        au_names = without_aus(au_names, shared_excluded)
        note = "; ".join(n for n in (note, f"excluded by request: {' '.join(config.exclude_aus)}") if n)
    unknown = [a for a in config.reliance_aus or () if a not in au_names]
    if unknown:
        raise InputError(f"reliance AU(s) {', '.join(unknown)} not in the study's AUs ({' '.join(au_names)})")
    study = BiasStudy(train={}, test={}, au_names=au_names, au_note=note, config=config,
                      events=[f"peek {train_source.name}", f"peek {test_source.name}"])
    return _Runner(study, backend, on_step).run(train_source, test_source)
