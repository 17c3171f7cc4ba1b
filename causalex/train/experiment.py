"""A full training run: check inputs, prepare videos once, cross-validate, train the deployment model.

`run_experiment` follows the protocol (LOSO by default): per fold it builds the AU graph from the
fold's non-test subjects when the graph is data-driven (``causal``, ``cooccurrence``), trains with
inner-validation selection, and spots the test subjects. It writes the model folder (`ModelDirLayout`):
``model.pt`` (deployment model trained on all subjects, its epoch and thresholds chosen from the folds'
inner validation, `causalex.train.deployment`), ``graph.json``, ``predictions.csv``
(out-of-fold), ``metrics.json`` (MEGC table, where F1 is lost, per-fold rows) and ``config.json``. Work in progress
lives in ``.resume/`` so that an interrupted run continues with ``resume=True``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from causalex.checkpoint import ModelBundle, library_versions, save_checkpoint
from causalex.errors import InputError, input_error
from causalex.fileio import write_text_atomic
from causalex.labels import Interval, LabelsFile, group_by_video, write_predictions_csv
from causalex.metrics import error_breakdown, evaluate_predictions
from causalex.metrics.volume import log_volume_warnings
from causalex.model.network import build_model
from causalex.readers import with_label_subjects
from causalex.series import AUSeries, without_aus
from causalex.train.config import ExperimentConfig
from causalex.train.dataset import PreparedVideo, prepare_video
from causalex.train.deployment import deployment_selection
from causalex.train.estimate import FoldClock, plan_line
from causalex.train.folds import FoldData, check_engine, interval_from_json, run_folds, train_fold
from causalex.train.graph_checks import check_graph_spec, graph_au_note, graph_leak_warning
from causalex.train.graphs import needs_data, resolve_graph, series_au_names, videos_seen_by_graph
from causalex.train.inputs import check_inputs, label_counts, warn_unknown_emotions
from causalex.train.protocols import SELECTION_INNER, SELECTION_NONE, SELECTION_TEST, Fold, make_folds
from causalex.train.selection import ValidationEvidence, label_rates

log = logging.getLogger(__name__)
Event = Callable[[dict[str, Any]], None]


class ModelDirLayout:
    """File names inside a model folder.

    Attributes:
        root: the folder.
        model: deployment checkpoint (``model.pt``).
        config: experiment config and run description (``config.json``).
        graph: AU graph of the deployment model (``graph.json``).
        predictions: out-of-fold predictions CSV (``predictions.csv``).
        metrics: MEGC table and per-fold rows (``metrics.json``).
        resume: work in progress, removed when the run completes (``.resume/``).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.model = self.root / "model.pt"
        self.config = self.root / "config.json"
        self.graph = self.root / "graph.json"
        self.predictions = self.root / "predictions.csv"
        self.metrics = self.root / "metrics.json"
        self.resume = self.root / ".resume"


@dataclass
class ExperimentResult:
    """What `run_experiment` produced."""

    metrics: dict[str, Any]
    folds: list[dict[str, Any]]
    predictions: list[Interval]
    layout: ModelDirLayout
    extra: dict[str, Any] = field(default_factory=dict)


def _emit(on_event: Event | None, **event: Any) -> None:
    if on_event is not None:
        on_event(event)


def prepare_videos(series: list[AUSeries], labels: list[Interval], au_names: list[str], config: ExperimentConfig,
                   subjects: dict[str, str], on_event: Event | None = None) -> list[PreparedVideo]:
    """Features and targets of every video, once per run, each tagged with its subject (``subjects[video]``)."""
    by_video = group_by_video(labels)
    out = []
    for i, s in enumerate(series):
        v = prepare_video(s, au_names, config.data, config.features, by_video.get(s.video, []),
                          config.model.emotion_classes)
        v.subject = subjects[s.video]
        out.append(v)
        _emit(on_event, kind="prepare", done=i + 1, total=len(series))
    return out


RESUME_CHECKED = (("config", "config"), ("graph_spec", "graph"), ("au_names", "AU list"),
                  ("videos", "video list"), ("series_sha256", "AU series values"), ("labels_sha256", "labels"),
                  ("contexts", "context corpora"))
# what must equal the interrupted run's run.json for --resume (a key an older run.json lacks is not compared)


def inputs_digests(series: list[AUSeries], labels: list[Interval], au_names: list[str]) -> dict[str, str]:
    """SHA-256 of what a run trains on: the series' values of ``au_names``, masks, rates and subjects, and the labels.

    Returns:
        ``{"series_sha256": ..., "labels_sha256": ...}`` (hex digests, stable across processes).
    """
    data = hashlib.sha256()
    for s in series:
        columns = [s.au_names.index(au) for au in au_names]
        data.update(f"{s.video}\0{s.subject}\0{s.fps!r}\0".encode())
        data.update(np.ascontiguousarray(s.values[:, columns], dtype=np.float32).tobytes())
        data.update(np.ascontiguousarray(s.mask, dtype=bool).tobytes())
    rows = sorted((iv.video, iv.onset, iv.apex, iv.offset, iv.type, iv.emotion or "") for iv in labels)
    return {"series_sha256": data.hexdigest(),
            "labels_sha256": hashlib.sha256(json.dumps(rows).encode()).hexdigest()}


def check_model_folder(output_dir: str | os.PathLike, resume: bool = False) -> None:
    """Refuse an output that training may not write to, before any work: a file, a finished model, a
    non-empty folder that holds no run, or an interrupted run without ``resume``.

    Raises:
        InputError: naming the folder and what to do instead.
    """
    layout = ModelDirLayout(Path(output_dir))
    if layout.root.exists() and not layout.root.is_dir():
        raise input_error(layout.root, "is a file; the model output must be a folder")
    if resume and (layout.resume / "run.json").exists():
        return
    if layout.model.exists() or layout.metrics.exists():
        raise input_error(layout.root, "already holds a trained model; choose another output folder")
    if not layout.resume.exists() and layout.root.is_dir() and any(layout.root.iterdir()):
        raise input_error(layout.root, "is not empty and holds no interrupted run; train into a new or empty folder")
    if layout.resume.exists() and not resume and any(p.name != "run.json" for p in layout.resume.iterdir()):
        raise input_error(layout.root, "holds an interrupted run; pass --resume to continue it")


def _start_dir(layout: ModelDirLayout, run_doc: dict[str, Any], resume: bool) -> None:
    """Refuse to overwrite a finished or different run; create ``.resume/`` with the run description."""
    check_model_folder(layout.root, resume)
    saved = layout.resume / "run.json"
    if resume and saved.exists():
        previous = json.loads(saved.read_text(encoding="utf-8"))
        differs = [name for key, name in RESUME_CHECKED if key in previous and previous[key] != run_doc[key]]
        if differs:
            named = " and ".join(filter(None, [", ".join(differs[:-1]), differs[-1]]))
            raise input_error(layout.root, f"cannot resume: the {named} changed since the interrupted run (train "
                                           "into a new folder)")
        return
    if layout.resume.exists():
        log.info("%s: replacing an interrupted run that finished no fold", layout.root)
    write_text_atomic(saved, json.dumps(run_doc, indent=2) + "\n")


def _run_selection(folds: list[Fold]) -> str:
    """How the run's epochs and thresholds were chosen, for metrics.json (folds without validation named)."""
    if any(f.selection == SELECTION_TEST for f in folds):
        return SELECTION_TEST
    unselected = [f.name for f in folds if f.selection == SELECTION_NONE]
    if not unselected:
        return SELECTION_INNER
    if len(unselected) == len(folds):
        return SELECTION_NONE
    return f"{SELECTION_INNER}, except {', '.join(unselected)}: {SELECTION_NONE}"


def run_experiment(series: list[AUSeries], labels: list[Interval], config: ExperimentConfig, graph_spec: str,
                   output_dir: str | Path, device: torch.device, *, labels_path: str | None = None,
                   resume: bool = False, on_event: Event | None = None, command: str = "",
                   exclude_aus: tuple[str, ...] | list[str] = (),
                   labels_file: LabelsFile | None = None,
                   contexts: dict[str, list[AUSeries]] | None = None, engine: str = "serial",
                   workers: int = 2) -> ExperimentResult:
    """Cross-validate, train the deployment model and write the model folder.

    Args:
        series: every AU series (one per video).
        labels: every labelled interval (source frames).
        config: the experiment settings.
        graph_spec: a graph file path or a variant name (causal, cooccurrence, facs, full, none).
        contexts: other corpora (``{name: series}``, AU series only, never labels) in which the causal
            variant's links are re-tested; links and AUs that hold in this corpus only are left out.
        output_dir: the model folder.
        device: where to train.
        labels_path: the labels file (named in error messages).
        resume: continue an interrupted run in ``output_dir``.
        on_event: progress callback (dicts with ``kind``: prepare, fold_start, epoch, fold_done, final_done;
            ``fold_done`` has ``index``, the number of folds done so far, and ``seconds``, the fold's own time).
        command: the command line, stored in config.json.
        exclude_aus: AUs the model does not use (e.g. AUs a bias study found a corpus biased on).
        labels_file: the labels file as read (`causalex.labels.read_labels_file`): its rows name problems,
            and it gives the subjects of videos without any expression.
        engine: ``serial``, or ``ray``: the cross-validation folds as parallel Ray tasks (`causalex.train.folds`;
            the same files as a serial run); the deployment model trains here afterwards.
        workers: CPUs of a local Ray instance started for ``ray`` (none is started inside a running one).

    Raises:
        InputError: bad inputs (checked before anything is written) or an unresumable output folder.
    """
    layout = ModelDirLayout(Path(output_dir))
    try:
        check_engine(engine, str(device))  # before anything is written
    except ValueError as exc:
        raise InputError(str(exc)) from None
    subjects = check_inputs(series, labels, labels_path, labels_file.videos if labels_file else None,
                            labels_file.rows if labels_file else None)
    warn_unknown_emotions(labels, config.model.emotion_classes, labels_path)
    series = with_label_subjects(series, subjects)  # videos listed without expressions get theirs
    check_graph_spec(graph_spec)  # an unknown name or a cyclic graph file, before any work
    au_names = series_au_names(graph_spec, series)
    if (note := graph_au_note(graph_spec, au_names, series)) is not None:
        log.warning("%s", note)
    if exclude_aus:
        kept = without_aus(au_names, exclude_aus)
        log.info("left out by --exclude-aus: %s; the model uses %d AUs",
                 ", ".join(a for a in au_names if a not in kept), len(kept))
        au_names = kept
    config.model.in_features = config.features.n_features
    videos = prepare_videos(series, labels, au_names, config, subjects, on_event)
    counts = label_counts(labels, subjects)
    folds = make_folds(sorted(set(subjects.values())), counts, config.protocol, config.seed)
    leaked: list[str] = []
    if not needs_data(graph_spec):
        graph = resolve_graph(graph_spec, series, labels, au_names, config.graph)  # a bad graph file fails early
        tested = {s for fold in folds for s in fold.test_subjects}
        leaked = sorted({subjects[v] for v in videos_seen_by_graph(graph, series)} & tested)
        if leaked:
            log.warning("%s", graph_leak_warning(graph_spec, leaked))
    try:  # a bad model or graph setting fails before the output folder is touched
        build_model(config.model, np.zeros((len(au_names), len(au_names)), np.float32))
    except (ValueError, TypeError) as exc:
        raise InputError(f"model config (--config): {exc}") from None
    if needs_data(graph_spec):
        config.graph.discovery_config().validate()
    if contexts and graph_spec != "causal":
        raise InputError(f"--context is for the causal graph (its AU selection); --graph {graph_spec} does not use it")
    run_doc = {"config": config.to_dict(), "graph_spec": graph_spec, "au_names": au_names,
               "contexts": {name: inputs_digests(members, [], au_names)["series_sha256"]
                            for name, members in (contexts or {}).items()},
               "videos": [s.video for s in series], **inputs_digests(series, labels, au_names), "command": command}
    _start_dir(layout, run_doc, resume)

    log.info("%s", plan_line(len(folds), config.optim.epochs, config.protocol.final_model, needs_data(graph_spec),
                             len(videos), parallel=engine == "ray"))
    clock = FoldClock(len(folds), config.protocol.final_model)
    data = FoldData(videos, series, labels, au_names, graph_spec, config, contexts)
    docs: dict[int, dict[str, Any]] = {}
    todo = []
    for i, fold in enumerate(folds):
        done_path = layout.resume / f"{fold.name}.json"
        if done_path.exists():  # resumed: the fold's file is its whole output
            docs[i] = json.loads(done_path.read_text(encoding="utf-8"))
            log_volume_warnings(docs[i]["record"].get("warnings", []))
            _emit(on_event, kind="fold_done", index=len(docs), total=len(folds), record=docs[i]["record"],
                  resumed=True)
        else:
            todo.append((i, fold))

    def fold_events(event: dict[str, Any]) -> None:
        if event["kind"] == "fold_start":
            event = {**event, "total": len(folds)}
            clock.fold_started()
        _emit(on_event, **event)

    for n_done, (i, doc) in enumerate(run_folds(todo, data, str(device), layout.resume, engine, workers,
                                                fold_events), start=len(docs) + 1):
        docs[i] = doc
        log_volume_warnings(doc["record"]["warnings"])
        if engine == "serial" and (eta := clock.fold_done(n_done)) is not None:
            log.info("%s", eta)
        _emit(on_event, kind="fold_done", index=n_done, total=len(folds), record=doc["record"], resumed=False,
              seconds=doc.get("seconds"))
    records = [docs[i]["record"] for i in range(len(folds))]
    all_preds = [interval_from_json(row) for i in range(len(folds)) for row in docs[i]["predictions"]]
    # every fold's inner-validation evidence, pooled for the deployment model
    evidence = [ValidationEvidence.from_json(docs[i]["evidence"]) for i in range(len(folds)) if docs[i].get("evidence")]

    truth = [iv for v in videos for iv in v.labels]
    scores = evaluate_predictions(all_preds, truth)
    optimistic = config.protocol.select_on_test
    metrics = {**scores.to_json(), "protocol": config.protocol.protocol, "n_folds": len(folds),
               "selection": _run_selection(folds), "optimistic_selection": optimistic,
               "graph": graph_spec, "errors": error_breakdown(all_preds, truth).to_json(), "folds": records,
               "versions": library_versions()}
    if note is not None:
        metrics["graph_au_warning"] = note
    if leaked:
        metrics["graph_saw_test_subjects"] = leaked
        metrics["graph_warning"] = graph_leak_warning(graph_spec, leaked)
    if optimistic:
        metrics["warning"] = ("epoch and thresholds were chosen on the TEST subjects (--select-on-test): "
                              "these numbers are optimistic and not comparable to inner-validation results")

    final = None
    if config.protocol.final_model:
        everyone = sorted(set(subjects.values()))
        fold = Fold("final", [], everyone, [])
        chosen = deployment_selection(records, evidence, config)
        log.info("deployment model on all %d subjects: %s", len(everyone), chosen.description)
        _emit(on_event, kind="fold_start", fold="final", index=len(folds), total=len(folds),
              epochs=chosen.epoch or config.optim.epochs)
        graph, decode, result = train_fold(fold, data, device, config.seed + 10_000,
                                           layout.resume / f"{fold.name}.state.pt", on_event, stop_epoch=chosen.epoch)
        for kind, thr in (chosen.thresholds or {}).items():
            setattr(decode, kind, replace(decode.for_type(kind), threshold=float(thr)))
        thresholds = {k: decode.for_type(k).threshold for k in ("micro", "macro")}
        rates = label_rates(videos)
        final = ModelBundle(config=config, au_names=au_names, graph=graph, working_fps=config.data.working_fps,
                            decode=decode, state_dict=result.state_dict,
                            meta={"trained_on": fold.train_subjects, "validated_on": [],
                                  "best_epoch": result.best_epoch, "val_f1": None,
                                  "selection": chosen.description, "deployment": chosen.to_json(),
                                  "optimistic_selection": optimistic, "history": result.history,
                                  "label_rates_per_s": rates,
                                  "cross_validation": {k: metrics[k] for k in ("micro", "macro", "overall")},
                                  "scale": AUSeries.common_scale(series)})
        metrics["final_model"] = {"trained_on": fold.train_subjects, "validated_on": [],
                                  "best_epoch": result.best_epoch, "thresholds": thresholds,
                                  "selection": chosen.description, "threshold_sources": chosen.sources,
                                  "label_rates_per_s": rates}
        _emit(on_event, kind="final_done", best_epoch=result.best_epoch, thresholds=thresholds,
              selection=chosen.description)

    fps_of = {s.video: s.fps for s in series}
    write_predictions_csv(layout.predictions, sorted(all_preds, key=lambda iv: (iv.video, iv.onset, iv.type)), fps_of)
    if final is not None:
        save_checkpoint(layout.model, final)
        final.graph.save(layout.graph)
    write_text_atomic(layout.config, json.dumps({**run_doc, "device": str(device), "versions": library_versions()},
                                                indent=2) + "\n")
    write_text_atomic(layout.metrics, json.dumps(metrics, indent=2) + "\n")
    shutil.rmtree(layout.resume, ignore_errors=True)
    return ExperimentResult(metrics=metrics, folds=records, predictions=all_preds, layout=layout)

