"""One cross-validation fold end to end, and the folds of a run one after another or as parallel Ray tasks.

A fold (`run_fold`): the fold's graph from its non-test subjects (data-driven variants), training with
inner-validation selection, spotting its test subjects, and a ``<fold>.json`` in the run's ``.resume/``
folder holding the fold's record, its out-of-fold predictions and its validation evidence. That file is
the fold's whole output, so `causalex.train.experiment.run_experiment` reads folds back the same way after
a serial run, a parallel run or an interrupted one.

``engine="ray"`` (`run_folds`) runs the folds as Ray tasks (one CPU each; the ``ray`` extra). Each fold
seeds its own weights and window draws (``config.seed + index``) and uses ``config.optim.threads`` torch
threads, so a parallel run writes the same predictions as a serial one (with ``threads = 0``, torch's
default, a serial run may use more threads than a Ray task's one CPU and differ in the last digits). Ray
tasks run on the CPU: `check_engine` refuses ``ray`` with a CUDA device. Each fold document carries its own
wall time (``seconds``, training to spotting, queueing excluded).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from causalex.errors import input_error
from causalex.fileio import write_text_atomic
from causalex.graph import AUGraph, linked_pairs
from causalex.labels import Interval
from causalex.logs import info_logs_off
from causalex.metrics import evaluate_spotting
from causalex.metrics.volume import count_types, volume_warnings
from causalex.model.network import build_model
from causalex.ray_session import RAY_MISSING, ray_session
from causalex.series import AUSeries
from causalex.spot.scoring import decode_prepared
from causalex.train.config import ExperimentConfig
from causalex.train.dataset import PreparedVideo
from causalex.train.fit import fit_model
from causalex.train.graphs import resolve_graph
from causalex.train.protocols import Fold

log = logging.getLogger(__name__)
Event = Callable[[dict[str, Any]], None]
FOLD_ENGINES = ("serial", "ray")


def check_engine(engine: str, device: str = "cpu") -> None:
    """Raise ValueError listing the valid engines, or InputError when ``ray`` is asked and not installed
    or with a CUDA device (Ray tasks here ask for CPUs only, so CUDA is hidden from them)."""
    if engine not in FOLD_ENGINES:
        raise ValueError(f"unknown engine {engine!r}; valid: {', '.join(FOLD_ENGINES)}")
    if engine == "ray" and str(device).startswith("cuda"):
        raise input_error(None, "engine 'ray' runs folds and recipes as CPU tasks; with --device cuda use "
                                "--engine serial (one GPU trains one fold at a time)")
    if engine == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise input_error(None, RAY_MISSING)


def fold_graph(fold: Fold, graph_spec: str, series: list[AUSeries], videos: list[PreparedVideo],
               labels: list[Interval], au_names: list[str], config: ExperimentConfig,
               contexts: dict[str, list[AUSeries]] | None = None) -> AUGraph:
    """The AU graph of one fold: a data-driven variant is built from the fold's non-test subjects only
    (``contexts``: other corpora, AU series only, for the causal variant's AU selection)."""
    non_test = set(fold.train_subjects) | {s for s in fold.val_subjects if s not in fold.test_subjects}
    fit_series = [s for s, v in zip(series, videos) if v.subject in non_test]
    fit_videos = {s.video for s in fit_series}
    with info_logs_off("causalex.discover"):  # its sample and edge logs would repeat per fold (the record has the size)
        return resolve_graph(graph_spec, fit_series, [iv for iv in labels if iv.video in fit_videos], au_names,
                             config.graph, contexts=contexts)


def fold_videos(videos: list[PreparedVideo], subjects: list[str]) -> list[PreparedVideo]:
    """The videos of ``subjects``, in their order in ``videos``."""
    wanted = set(subjects)
    return [v for v in videos if v.subject in wanted]


@dataclass
class FoldData:
    """What every fold of a run shares (shipped once to Ray workers).

    Attributes:
        videos: prepared videos (features and targets), one per series.
        series: the AU series (the graph of a data-driven variant is discovered on them).
        labels: every labelled interval.
        au_names: the model's nodes.
        graph_spec: graph file or variant name.
        config: the experiment settings.
        contexts: other corpora for the causal variant's AU selection.
    """

    videos: list[PreparedVideo]
    series: list[AUSeries]
    labels: list[Interval]
    au_names: list[str]
    graph_spec: str
    config: ExperimentConfig
    contexts: dict[str, list[AUSeries]] | None = None


def train_fold(fold: Fold, data: FoldData, device: torch.device, seed: int, state_path: Path | None,
               on_event: Event | None = None, stop_epoch: int | None = None):
    """Graph and fitted model of one fold: returns ``(graph, decode config, TrainResult)``."""
    config = data.config
    graph = fold_graph(fold, data.graph_spec, data.series, data.videos, data.labels, data.au_names, config,
                       data.contexts)
    train_v, val_v = fold_videos(data.videos, fold.train_subjects), fold_videos(data.videos, fold.val_subjects)

    def on_epoch(record: dict[str, Any]) -> None:
        if on_event is not None:
            on_event({"kind": "epoch", "fold": fold.name, "epochs": config.optim.epochs, **record})

    fitted = fit_model(train_v, val_v, graph.adjacency_for(data.au_names), data.au_names, config, device, seed,
                       node_mask=graph.node_mask(data.au_names), stop_epoch=stop_epoch, on_epoch=on_epoch,
                       state_path=state_path,
                       durations_from=[v for v in train_v + val_v if v.subject not in fold.test_subjects])
    return graph, fitted.decode, fitted.result


def fold_record(fold: Fold, result, preds: list[Interval], truth: list[Interval], graph: AUGraph) -> dict[str, Any]:
    """The fold's row of ``metrics.json``: subjects, selection, thresholds, warnings and its own F1."""
    scores = evaluate_spotting(preds, truth).to_json()
    chosen = next((h for h in result.history if h["epoch"] == result.best_epoch), {})
    warnings = volume_warnings(count_types(preds), count_types(truth), f"fold {fold.name}",
                               "the test subjects' ground truths")
    return {"fold": fold.name, "test_subjects": fold.test_subjects, "val_subjects": fold.val_subjects,
            "graph_links": linked_pairs(graph),
            "selection": fold.selection, "best_epoch": result.best_epoch, "val_f1": result.val_f1,
            "thresholds": result.thresholds, "val_counts": chosen.get("val_counts"),
            "val_guarded": chosen.get("val_guarded", []), "threshold_sources": result.threshold_sources,
            "warnings": warnings,
            "epochs_guarded": [h["epoch"] for h in result.history if h.get("val_guarded")],
            "micro_f1": scores["micro"]["f1"], "macro_f1": scores["macro"]["f1"],
            "overall_f1": scores["overall"]["f1"], "n_pred": scores["overall"]["n_pred"],
            "n_gt": scores["overall"]["n_gt"], "tp": scores["overall"]["tp"]}


def interval_json(iv: Interval) -> list:
    """One prediction as the JSON list a fold file stores."""
    return [iv.video, iv.onset, iv.apex, iv.offset, iv.type, iv.emotion, iv.score]


def interval_from_json(row: list) -> Interval:
    """Inverse of `interval_json`."""
    v, s, a, e, t, em, sc = row
    return Interval(video=v, onset=s, apex=a, offset=e, type=t, emotion=em, score=sc)


def run_fold(fold: Fold, index: int, data: FoldData, device: str, resume_dir: Path,
             on_event: Event | None = None) -> dict[str, Any]:
    """Train, spot and record fold ``index`` (0-based); writes ``resume_dir/<fold>.json`` atomically and
    returns its document (``record``, ``predictions``, ``evidence``)."""
    tic = time.perf_counter()
    torch_device = torch.device(device)
    config = data.config
    graph, decode, result = train_fold(fold, data, torch_device, config.seed + index,
                                       resume_dir / f"{fold.name}.state.pt", on_event)
    model = build_model(config.model, graph.adjacency_for(data.au_names), graph.node_mask(data.au_names))
    model = model.to(torch_device)
    model.load_state_dict(result.state_dict)
    test_v = fold_videos(data.videos, fold.test_subjects)
    preds = [iv for v in test_v for iv in decode_prepared(model, v, config, decode, torch_device, data.au_names)]
    record = fold_record(fold, result, preds, [iv for v in test_v for iv in v.labels], graph)
    doc = {"record": record, "predictions": [interval_json(p) for p in preds],
           "evidence": result.evidence.to_json() if result.evidence else None,
           "seconds": time.perf_counter() - tic}
    write_text_atomic(resume_dir / f"{fold.name}.json", json.dumps(doc))
    (resume_dir / f"{fold.name}.state.pt").unlink(missing_ok=True)
    return doc


def run_folds(todo: list[tuple[int, Fold]], data: FoldData, device: str, resume_dir: Path, engine: str = "serial",
              workers: int = 2, on_event: Event | None = None) -> Iterator[tuple[int, dict[str, Any]]]:
    """Run the folds ``todo`` (``(index, fold)``), yielding ``(index, document)`` as each finishes.

    ``serial`` runs them in order here (with ``fold_start`` and per-epoch events); ``ray`` as parallel Ray
    tasks on the running Ray instance, or a local one of ``workers`` CPUs (in completion order).

    Raises:
        ValueError: unknown engine (lists the valid ones).
        InputError: ``ray`` without Ray installed.
    """
    check_engine(engine, device)
    if engine == "serial" or len(todo) < 2:
        for index, fold in todo:
            if on_event is not None:
                on_event({"kind": "fold_start", "fold": fold.name, "index": index + 1, "total": None,
                          "epochs": data.config.optim.epochs})
            yield index, run_fold(fold, index, data, device, resume_dir, on_event)
        return
    yield from _run_ray(todo, data, device, resume_dir, workers, on_event)


def _run_ray(todo, data, device, resume_dir, workers, on_event):  # pragma: no cover - needs the ray extra
    with ray_session(workers) as ray:
        pending: list = []
        try:
            task = ray.remote(num_cpus=1, max_retries=0)(run_fold)
            data_ref = ray.put(data)
            refs = {task.remote(fold, index, data_ref, device, resume_dir): index for index, fold in todo}
            if on_event is not None:
                for index, fold in todo:
                    on_event({"kind": "fold_start", "fold": fold.name, "index": index + 1, "total": None,
                              "epochs": data.config.optim.epochs, "parallel": True})
            names = {index: fold.name for index, fold in todo}
            pending = list(refs)
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                index, doc = refs[done[0]], ray.get(done[0])
                # the driver keeps the fold file too (a worker on another node wrote its own copy there)
                write_text_atomic(resume_dir / f"{names[index]}.json", json.dumps(doc))
                yield index, doc
        finally:
            for ref in pending:  # a failed fold or an interrupt: stop the others writing on
                ray.cancel(ref, force=True)
