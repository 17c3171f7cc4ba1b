"""Compare named recipes under one honest protocol and write one table (``causalex compare``).

Each recipe (`causalex.train.recipes`) is trained by `causalex.train.experiment.run_experiment`, exactly as
``causalex train --recipe NAME`` trains it: LOSO (or k folds), the epoch and the decoding thresholds chosen on
inner-validation subjects of each fold, out-of-fold predictions scored with the MEGC protocol, then the
deployment model on all subjects. Its model folder is ``OUT/runs/<recipe>/``. With a second corpus the
deployment model spots it (cross-corpus F1; the second corpus's labels are read only for scoring); without
one it spots the training corpus again, for the throughput only.

One row per recipe (`COLUMNS`): in-domain F1 (micro, macro, overall) and STRS, cross-corpus F1 and STRS,
mean training time per cross-validation fold (seconds, the deployment model excluded), spotting throughput
of the deployment model (input frames per second of wall time, features + network + decoding, one process)
and the number of trainable parameters. Written atomically as ``comparison.csv``, ``comparison.md`` and
``comparison.json`` in ``OUT``.

``engine="ray"`` trains the recipes as parallel Ray tasks, each recipe's cross-validation folds as parallel
Ray tasks inside it (one CPU each, the ``ray`` extra; `causalex.train.folds`), and writes the same files as
a serial run (rows in the order the recipes were given). Times are measured inside each fold and task: with
folds in parallel, the training time per fold is still one fold's own wall time (from its graph to its
predictions; time queued for a CPU is not counted).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from causalex.errors import InputError, input_error
from causalex.fileio import write_text_atomic
from causalex.labels import Interval, LabelsFile
from causalex.series import AUSeries
from causalex.train.folds import check_engine

log = logging.getLogger(__name__)
Event = Callable[[dict[str, Any]], None]

COLUMNS = ("recipe", "features", "graph", "backbone", "decoder", "loss", "sampling",
           "f1_micro", "f1_macro", "f1_overall", "strs", "cross_f1_micro", "cross_f1_macro", "cross_f1_overall",
           "cross_strs", "train_s_per_fold", "folds", "spot_frames_per_s", "parameters")
TABLE_FILES = ("comparison.csv", "comparison.md", "comparison.json")


@dataclass
class Corpus:
    """A labelled corpus: its series, its intervals, a name for messages (usually its folder) and the labels
    file as read (`causalex.labels.read_labels_file`: it gives the subjects of videos without expressions)."""

    series: list[AUSeries]
    labels: list[Interval]
    name: str
    labels_file: LabelsFile | None = None
    labels_path: str | None = None


@dataclass
class CompareJob:
    """One recipe to train and score (everything a Ray task needs).

    Attributes:
        recipe: recipe name.
        overrides: ``--config`` document applied on top of the recipe (every recipe gets the same one).
        explicit: explicit options (nested dict, e.g. ``{"optim": {"epochs": 2}}``) applied last.
        run_dir: the recipe's model folder.
        exclude_aus: nodes of the training corpus the cross corpus lacks (left out of the model).
    """

    recipe: str
    overrides: dict[str, Any]
    explicit: dict[str, Any]
    run_dir: Path
    exclude_aus: list[str] = field(default_factory=list)
    features: str = ""  # node kind of the corpus the recipe trains on (a key of the corpora given)
    fold_engine: str = "serial"  # how the recipe's cross-validation folds run (causalex.train.folds)


def corpus_kind(corpus: Corpus) -> str:
    """The node kind of a corpus's series (``au``, ``roi:<layout>``, the layout read from the region names
    when the files do not record it; the first series decides)."""
    from causalex.series import nodes_kind

    if not corpus.series:
        return "au"
    first = corpus.series[0]
    return nodes_kind(first.au_names, first.meta.get("node_kind"))


def by_kind(corpora: "Corpus | dict[str, Corpus] | None") -> dict[str, Corpus]:
    """``{node kind: corpus}`` of one corpus or of a mapping whose corpora are the same videos as several
    feature kinds (keys checked against the series).

    Raises:
        InputError: an empty mapping, a key that is not its corpus's node kind, or corpora that cover
            different videos.
    """
    if corpora is None:
        return {}
    if isinstance(corpora, Corpus):
        return {corpus_kind(corpora): corpora}
    if not corpora:
        raise InputError("no corpus given (an empty mapping of feature kinds)")
    for kind, corpus in corpora.items():
        actual = corpus_kind(corpus)
        if corpus.series and actual != kind:
            raise InputError(f"{corpus.name}: given as {kind} features but its series are {actual}")
    (first_kind, first), *others = corpora.items()
    want = {s.video for s in first.series}
    for kind, corpus in others:
        have = {s.video for s in corpus.series}
        if have != want:
            raise InputError(f"the {kind} series ({corpus.name}) and the {first_kind} series ({first.name}) cover "
                             f"different videos (e.g. {sorted(want ^ have)[0]}): give the same videos as each "
                             "feature kind")
    return dict(corpora)


def pick_features(kinds: list[str], wanted: str) -> str:
    """The kind among ``kinds`` that a recipe expecting ``wanted`` trains on: the same kind; for a region
    recipe, region series of an unrecorded layout (``roi``); else the first kind given (the recipe then runs
    off its source's features, which its row says)."""
    if wanted in kinds:
        return wanted
    if wanted.startswith("roi") and "roi" in kinds:
        return "roi"
    return kinds[0]


def check_output(out_dir: Path) -> None:
    """Refuse an output that is a file or a non-empty folder (a comparison never mixes with older runs).

    Raises:
        InputError: naming the folder.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise input_error(out_dir, "is a file; the comparison output must be a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise input_error(out_dir, "is not empty; write the comparison to a new or empty folder")


def job_config(job: CompareJob):
    """The `ExperimentConfig` of ``job``: recipe < ``--config`` overrides < explicit options."""
    from causalex.train.recipes import recipe_config

    config = recipe_config(job.recipe, job.overrides)
    if job.explicit:
        config = config.merged(job.explicit)
        config.recipe = job.recipe
    return config


def plan_jobs(recipes: list[str], out_dir: Path, overrides: dict[str, Any], explicit: dict[str, Any],
              train: dict[str, Corpus], test: dict[str, Corpus]) -> list[CompareJob]:
    """One job per recipe, on the training corpus of its features, every config checked before any training.

    Raises:
        InputError: an unknown or repeated recipe, a bad override, or no cross corpus of the features a
            recipe trains on.
    """
    from causalex.bias.corpus import agree_au_names
    from causalex.series import common_au_names
    from causalex.train.recipes import make_recipe

    if not recipes:
        raise InputError("no recipe to compare; give --recipes a,b (valid: see causalex train --help)")
    if len(set(recipes)) != len(recipes):
        raise InputError(f"recipes given twice: {', '.join(sorted({r for r in recipes if recipes.count(r) > 1}))}")
    jobs = []
    excluded: dict[str, list[str]] = {}
    for name in recipes:
        try:
            kind = pick_features(list(train), make_recipe(name).features)
            job = CompareJob(name, overrides, explicit, out_dir / "runs" / name, features=kind)
            job_config(job)
        except (ValueError, TypeError) as exc:
            raise InputError(str(exc)) from None
        if test and kind not in test:
            raise InputError(f"recipe {name} trains on the {kind} features of {train[kind].name}; the cross corpus "
                             f"has {', '.join(test)} only: give it as {kind} features too")
        if test and train[kind].series and test[kind].series:
            if kind not in excluded:  # the nodes both corpora hold, once per feature kind
                train_aus, test_aus = common_au_names(train[kind].series), common_au_names(test[kind].series)
                shared, note = agree_au_names(train_aus, test_aus, train[kind].name, test[kind].name)
                if note:
                    log.warning("%s", note)
                excluded[kind] = [a for a in train_aus if a not in shared]
            job.exclude_aus = excluded[kind]
        jobs.append(job)
    return jobs


def _f1s(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    strs = metrics.get("strs")
    return {f"{prefix}f1_micro": metrics["micro"]["f1"], f"{prefix}f1_macro": metrics["macro"]["f1"],
            f"{prefix}f1_overall": metrics["overall"]["f1"],
            f"{prefix}strs": strs.get("strs") if isinstance(strs, dict) else None}


def run_job(job: CompareJob, train: Corpus, test: Corpus | None, device: str = "cpu",
            on_event: Event | None = None) -> dict[str, Any]:
    """Train recipe ``job.recipe`` under the protocol, spot the cross corpus, and return its table row.

    Shapes: none (corpora in, one dict keyed by `COLUMNS` out).
    """
    from causalex.checkpoint import load_checkpoint
    from causalex.metrics import evaluate_predictions
    from causalex.model.network import count_parameters
    from causalex.series import describe_nodes
    from causalex.spot.spotter import ModelSpotter
    from causalex.train.experiment import run_experiment
    from causalex.train.recipes import feature_mismatch, make_recipe

    recipe = make_recipe(job.recipe)
    config = job_config(job)
    config.protocol.final_model = True  # the deployment model gives the cross-corpus F1, throughput, parameters
    first = train.series[0]
    mismatch = feature_mismatch(recipe, first.au_names, first.node_kind)
    if mismatch:
        log.warning("%s", mismatch)
    fold_times: list[float] = []

    def timed(event: dict[str, Any]) -> None:
        if event["kind"] == "fold_done" and not event.get("resumed") and event.get("seconds") is not None:
            fold_times.append(float(event["seconds"]))  # measured inside the fold (no queueing under Ray)
        if on_event is not None:
            on_event({**event, "recipe": job.recipe})

    result = run_experiment(train.series, train.labels, config, recipe.graph, job.run_dir, torch.device(device),
                            on_event=timed, exclude_aus=job.exclude_aus, labels_file=train.labels_file,
                            labels_path=train.labels_path, engine=job.fold_engine,
                            command=f"causalex compare (recipe {job.recipe})")
    bundle = load_checkpoint(job.run_dir / "model.pt")
    spotter = ModelSpotter(bundle, device)
    spotted = test.series if test is not None else train.series
    tic = time.perf_counter()
    preds = spotter.spot(spotted)
    seconds = time.perf_counter() - tic
    frames = sum(s.n_frames for s in spotted)
    kind = describe_nodes(first.au_names, first.node_kind).replace(" features", "")
    row: dict[str, Any] = {
        "recipe": job.recipe, "features": kind + (f" (recipe expects {recipe.features})" if mismatch else ""),
        "graph": recipe.graph + (" + per-batch FCI" if config.model.dynamic else ""),
        "backbone": config.model.backbone, "decoder": config.decode.decoder, "loss": config.optim.loss,
        "sampling": config.data.sampling, **_f1s(result.metrics),
        "cross_f1_micro": None, "cross_f1_macro": None, "cross_f1_overall": None, "cross_strs": None,
        "train_s_per_fold": sum(fold_times) / len(fold_times) if fold_times else None,
        "folds": int(result.metrics["n_folds"]),
        "spot_frames_per_s": frames / seconds if seconds > 0 else None,
        "parameters": count_parameters(spotter.model)}
    if test is not None:
        row.update(_f1s(evaluate_predictions(preds, test.labels).to_json(), "cross_"))
    return row


def _run_serial(jobs: list[CompareJob], train: dict[str, Corpus], test: dict[str, Corpus], device: str,
                on_event: Event | None) -> list[dict[str, Any]]:
    rows = []
    for i, job in enumerate(jobs):
        if on_event is not None:
            on_event({"kind": "recipe_start", "recipe": job.recipe, "index": i, "total": len(jobs)})
        rows.append(run_job(job, train[job.features], test.get(job.features), device, on_event))
        if on_event is not None:
            on_event({"kind": "recipe_done", "recipe": job.recipe, "index": i + 1, "total": len(jobs)})
    return rows


def _run_ray(jobs: list[CompareJob], train: dict[str, Corpus], test: dict[str, Corpus], device: str, workers: int,
             on_event: Event | None) -> list[dict[str, Any]]:  # pragma: no cover - needs the ray extra
    from causalex.ray_session import ray_session

    with ray_session(workers) as ray:
        task = ray.remote(num_cpus=1, max_retries=0)(run_job)
        train_refs = {kind: ray.put(c) for kind, c in train.items()}
        test_refs = {kind: ray.put(c) for kind, c in test.items()}
        refs = {task.remote(job, train_refs[job.features], test_refs.get(job.features), device): i
                for i, job in enumerate(jobs)}
        rows: list[dict[str, Any] | None] = [None] * len(jobs)
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            i = refs[done[0]]
            rows[i] = ray.get(done[0])
            if on_event is not None:
                on_event({"kind": "recipe_done", "recipe": jobs[i].recipe, "index": len(jobs) - len(pending),
                          "total": len(jobs)})
        return [r for r in rows if r is not None]


def run_comparison(train: "Corpus | dict[str, Corpus]", recipes: list[str], out_dir: str | Path, *,
                   test: "Corpus | dict[str, Corpus] | None" = None,
                   overrides: dict[str, Any] | None = None, explicit: dict[str, Any] | None = None,
                   device: str = "cpu", engine: str = "serial", workers: int = 2, command: str = "",
                   on_event: Event | None = None) -> dict[str, Any]:
    """Train and score every recipe, then write the table files; returns the JSON document written.

    Args:
        train: the corpus cross-validated in-domain (LOSO unless the overrides / explicit options say otherwise),
            or the same videos as several feature kinds (``{node kind: corpus}``, e.g. AU series and
            ``roi:metst5`` region flow): each recipe then trains on the features it expects (`pick_features`).
        recipes: recipe names, in table order.
        out_dir: a new or empty folder: ``runs/<recipe>/`` model folders and the `TABLE_FILES`.
        test: a second corpus for the cross-corpus columns (its labels are read only for scoring); with
            several feature kinds, it needs each kind that a recipe trains on.
        overrides: a ``--config`` document applied to every recipe.
        explicit: explicit options applied last (``{"optim": {"epochs": 2}, "protocol": {...}}``).
        engine: ``serial`` or ``ray`` (recipes as parallel tasks, ``workers`` CPUs).

    Raises:
        InputError: bad recipes, overrides, engine, output folder or corpora (all before any training).
    """
    out = Path(out_dir)
    try:
        check_engine(engine, device)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    check_output(out)
    train_kinds, test_kinds = by_kind(train), by_kind(test)
    jobs = plan_jobs(list(recipes), out, overrides or {}, explicit or {}, train_kinds, test_kinds)
    # nothing is written before the first recipe's training has checked the inputs (run_experiment creates its
    # folder then); the table files come last, each atomically
    if engine == "ray":
        for job in jobs:  # a recipe's folds run as Ray tasks too (nested in the recipe's task)
            job.fold_engine = "ray"
        rows = _run_ray(jobs, train_kinds, test_kinds, device, workers, on_event)
    else:
        rows = _run_serial(jobs, train_kinds, test_kinds, device, on_event)
    doc = {"columns": list(COLUMNS), "rows": rows, "corpus": " + ".join(c.name for c in train_kinds.values()),
           "test_corpus": " + ".join(c.name for c in test_kinds.values()) or None,
           "feature_corpora": {kind: c.name for kind, c in train_kinds.items()},
           "test_feature_corpora": {kind: c.name for kind, c in test_kinds.items()},
           "protocol": job_config(jobs[0]).protocol.protocol, "engine": engine, "command": command,
           "note": "our reimplementations of each method inside causalex (causalex.train.recipes lists the "
                   "deviations); epoch and thresholds chosen on inner-validation subjects only"}
    write_tables(doc, out)
    return doc


def _cell(value: Any, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.{digits}f}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def table_markdown(doc: dict[str, Any]) -> str:
    """The comparison as a markdown table with a heading that says what the numbers are."""
    cross = f", cross-corpus on {doc['test_corpus']}" if doc.get("test_corpus") else ""
    kinds = list(doc.get("feature_corpora") or {})
    own = f", each recipe on its own features where given ({', '.join(kinds)})" if len(kinds) > 1 else ""
    lines = [f"# Recipe comparison on {doc['corpus']} ({doc['protocol']}{cross}{own})", "",
             f"{doc['note']}. F1: MEGC spotting (IoU >= 0.5), out-of-fold; STRS: micro spotting F1 x recognition F1; "
             "train s/fold: mean over the cross-validation folds; spot frames/s: the deployment model, one process.",
             "", "| " + " | ".join(doc["columns"]) + " |", "|" + "---|" * len(doc["columns"])]
    for row in doc["rows"]:
        lines.append("| " + " | ".join(_cell(row.get(c)) or "-" for c in doc["columns"]) + " |")
    return "\n".join(lines) + "\n"


def table_csv(doc: dict[str, Any]) -> str:
    """The comparison as CSV (one row per recipe, `COLUMNS`; empty cells for no value)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(doc["columns"])
    for row in doc["rows"]:
        writer.writerow([_cell(row.get(c), 6) for c in doc["columns"]])
    return buf.getvalue()


def write_tables(doc: dict[str, Any], out_dir: str | Path) -> dict[str, Path]:
    """Write ``comparison.csv``, ``.md`` and ``.json`` atomically into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    texts = {"comparison.csv": table_csv(doc), "comparison.md": table_markdown(doc),
             "comparison.json": json.dumps(doc, indent=2) + "\n"}
    for name, text in texts.items():
        write_text_atomic(out / name, text)
    return {name: out / name for name in texts}
