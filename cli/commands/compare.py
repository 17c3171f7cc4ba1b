"""`causalex compare`: train named recipes under one protocol and write one comparison table."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from causalex_cli.common import (THREADS_HELP, comma_list, console, csv_fps_option, handle_errors, info,
                                 progress)


def _corpus(paths: list[Path], labels: Path, fps: Optional[float]):
    """``{node kind: Corpus}``: one entry, or one per feature kind when the paths hold several kinds of the
    same videos."""
    from causalex.compare import Corpus, by_kind
    from causalex.errors import InputError
    from causalex.labels import read_labels_file
    from causalex.readers import load_series_inputs
    from causalex.series import nodes_kind

    doc = read_labels_file(labels)
    groups: dict[str, list[Path]] = {}
    loaded: dict[str, list] = {}
    for path in paths:  # grouped by feature kind: a video appears once per kind
        series = load_series_inputs([path], fps=fps)
        kinds = {nodes_kind(s.au_names, s.meta.get("node_kind")) for s in series}
        if len(kinds) > 1:
            raise InputError(f"{path}: holds series of several feature kinds ({', '.join(sorted(kinds))}); give "
                             "each kind as its own folder")
        kind = kinds.pop()
        seen = {s.video for s in loaded.get(kind, [])}
        twice = next((s.video for s in series if s.video in seen), None)
        if twice is not None:
            raise InputError(f"{path}: video id {twice!r} appears twice among the {kind} series "
                             f"({', '.join(str(p) for p in groups[kind])})")
        groups.setdefault(kind, []).append(path)
        loaded.setdefault(kind, []).extend(series)
    corpora = {}
    for kind, group in groups.items():
        name = group[0].name if len(group) == 1 else ",".join(p.name for p in group)
        corpora[kind] = Corpus(loaded[kind], doc.intervals, name, doc, str(labels))
    return by_kind(corpora)  # refuses kinds that cover different videos


def _table(doc: dict) -> Table:
    cross = bool(doc.get("test_corpus"))
    table = Table(title=f"recipes on {doc['corpus']} ({doc['protocol']}; our reimplementations)", title_justify="left")
    names = ["recipe", "features", "backbone", "decoder", "F1 micro", "F1 macro", "F1", "STRS"]
    names += ["cross F1", "cross STRS"] if cross else []
    names += ["s/fold", "spot frames/s", "params"]
    for name in names:
        table.add_column(name, justify="left" if name in ("recipe", "features", "backbone", "decoder") else "right")

    def num(value, digits=3):
        return "-" if value is None else f"{value:.{digits}f}"

    for r in doc["rows"]:
        cells = [r["recipe"], r["features"], r["backbone"], r["decoder"], num(r["f1_micro"]), num(r["f1_macro"]),
                 num(r["f1_overall"]), num(r["strs"])]
        cells += [num(r["cross_f1_overall"]), num(r["cross_strs"])] if cross else []
        cells += [num(r["train_s_per_fold"], 1), num(r["spot_frames_per_s"], 0), str(r["parameters"])]
        table.add_row(*cells)
    return table


@handle_errors
def compare(
    corpus: List[Path] = typer.Argument(..., help="Training corpus: series files or folders. Folders of the same "
                                                  "videos as other features (AU series, extract or simulate "
                                                  "--features roi layouts) let each recipe train on the features "
                                                  "it expects."),
    labels: Path = typer.Option(..., "--labels", help="Labels CSV of the corpus."),
    recipes: str = typer.Option(..., "--recipes", metavar="<name,...>",
                                help="Comma-separated recipes (causalex train --recipe), in table order."),
    output: Path = typer.Option(..., "-o", "--output", help="New or empty folder: runs/<recipe>/ model folders and "
                                                            "comparison.csv / .md / .json."),
    test_corpus: Optional[List[Path]] = typer.Option(None, "--test-corpus", metavar="<path>",
                                                     help="Cross corpus for the cross-corpus columns (each recipe's "
                                                          "deployment model spots it); repeat it to give the same "
                                                          "videos as several feature kinds (AU, region folders)."),
    test_labels: Optional[Path] = typer.Option(None, "--test-labels", help="Labels CSV of --test-corpus (read for "
                                                                           "scoring only)."),
    folds: Optional[int] = typer.Option(None, "--folds", min=2, help="k-fold cross-validation with this many folds "
                                                                      "instead of leave-one-subject-out."),
    epochs: Optional[int] = typer.Option(None, "--epochs", min=1, help="Training epochs of every recipe."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, help="Random seed of every recipe."),
    config_file: Optional[Path] = typer.Option(None, "--config", help="JSON overrides applied to every recipe "
                                                                      "(as causalex train --config)."),
    engine: str = typer.Option("serial", "--engine", metavar="<serial|ray>",
                               help="serial, or ray: recipes and their folds as parallel Ray tasks (needs "
                                    "causalex\\[ray]); the same files either way."),
    workers: int = typer.Option(2, "--workers", min=1, help="CPUs of the local Ray instance (--engine ray)."),
    device: str = typer.Option("cpu", "--device", help="auto, cpu or cuda.", metavar="<auto|cpu|cuda>"),
    threads: Optional[int] = typer.Option(None, "--threads", min=0, help=THREADS_HELP),
    fps: Optional[float] = csv_fps_option(),
) -> None:
    """Train each recipe under the same protocol as causalex train (LOSO, or --folds N; epoch and thresholds chosen
    on inner-validation subjects only) and write one table: in-domain F1 micro / macro / overall and STRS,
    cross-corpus F1 and STRS (--test-corpus), training time per fold, spotting throughput, parameters.

    Each recipe trains on the features it expects when the corpus is given as several folders of the same
    videos (e.g. AU series and extract --features roi --roi-layout metst5); otherwise on the one kind given,
    which its row's features column says.

    Example: causalex compare corpus/ --labels corpus/labels.csv --recipes causalex,me-tst -o cmp
    """
    from causalex.compare import run_comparison
    from causalex.errors import InputError
    from causalex.train.folds import check_engine
    from causalex.train.loop import resolve_device
    from causalex_cli.commands.train import _overrides  # the same --config reading as train

    if bool(test_corpus) != (test_labels is not None):
        raise InputError("--test-corpus and --test-labels go together")
    try:
        torch_device = str(resolve_device(device))
        check_engine(engine, torch_device)  # before any corpus is read
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if engine == "serial" and workers != 2:
        info("note: --workers is for --engine ray; the serial engine uses one process")
    overrides = _overrides(config_file)
    explicit: dict = {}
    if folds is not None:
        explicit.setdefault("protocol", {}).update({"protocol": "kfold", "folds": folds})
    if epochs is not None:
        explicit.setdefault("optim", {})["epochs"] = epochs
    if threads is not None:
        explicit.setdefault("optim", {})["threads"] = threads
    if seed is not None:
        explicit["seed"] = seed
    train = _corpus(list(corpus), labels, fps)
    test = _corpus(list(test_corpus), test_labels, fps) if test_corpus else None
    names = list(comma_list(recipes))
    first = next(iter(train.values()))
    kinds = f" as {', '.join(train)}" if len(train) > 1 else ""
    cross = f", cross-corpus on {len(next(iter(test.values())).series)}" if test else ""
    info(f"{len(names)} recipe(s) on {len(first.series)} videos{kinds}{cross}, engine {engine}")
    with progress() as bar:
        task = bar.add_task("recipes", total=len(names))
        folds_task = bar.add_task("folds", total=None)

        def on_event(event: dict) -> None:
            if event["kind"] == "recipe_start":
                bar.update(task, description=f"recipe {event['recipe']}")
            elif event["kind"] == "recipe_done":
                bar.update(task, completed=event["index"])
            elif event["kind"] == "fold_start":
                bar.update(folds_task, total=event["total"], completed=event["index"] - 1,
                           description=f"{event['recipe']} fold {event['fold']}")

        doc = run_comparison(train, names, output, test=test, overrides=overrides, explicit=explicit,
                             device=torch_device, engine=engine, workers=workers, on_event=on_event,
                             command=" ".join(shlex.quote(a) for a in ["causalex", *sys.argv[1:]]))
    console.print(_table(doc))
    info(f"wrote {output}/ (comparison.csv, comparison.md, comparison.json, runs/)")


def register(app: typer.Typer) -> None:
    """Add the ``compare`` command to the app."""
    app.command("compare")(compare)
