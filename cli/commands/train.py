"""`causalex train`: cross-validated training of the AU-graph spotter, and the deployment model."""

from __future__ import annotations

import enum
import json
import shlex
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.table import Table

from causalex_cli.common import (FPS_RANGE, THREADS_HELP, comma_list, console, csv_fps_option, err_console,
                                 handle_errors, info, progress)


class Protocol(str, enum.Enum):
    """Evaluation protocol."""

    loso = "loso"
    kfold = "kfold"
    split = "split"


def _emit_config(recipe: str) -> None:
    """Print the config of ``recipe`` (``""``: the defaults) as JSON, a note on precedence to stderr, and exit."""
    from causalex.train.recipes import make_recipe, recipe_config

    typer.echo(json.dumps(recipe_config(recipe).to_dict(), indent=2))
    if recipe:
        err_console.print(f"{make_recipe(recipe).describe()}. --config fields override the recipe's, and explicit "
                          "options (--epochs, --graph ...) override both.", highlight=False)
    raise typer.Exit()


def _print_config(ctx: typer.Context, value: bool) -> bool:
    """--print-config: the training config as JSON (every section and field; a --recipe's when given), then exit.

    --print-config and --recipe are both eager: whichever is processed second prints (see `_recipe_option`)."""
    if value:
        if "recipe" in ctx.meta:
            _emit_config(ctx.meta["recipe"])
        ctx.meta["print_config"] = True
    return value


def _recipe_option(ctx: typer.Context, value: Optional[str]) -> Optional[str]:
    """--recipe: check the name (an unknown one lists the valid ones); print the config if --print-config asked."""
    from causalex.train.recipes import make_recipe

    if value:
        try:
            make_recipe(value)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from None
    ctx.meta["recipe"] = value or ""
    if ctx.meta.get("print_config"):
        _emit_config(value or "")
    return value


def _overrides(config_file: Optional[Path]) -> dict:
    from causalex.errors import input_error, require_file

    if config_file is None:
        return {}
    require_file(config_file, "config file")
    try:
        doc = json.loads(config_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise input_error(config_file, f"not a JSON file ({exc})") from None
    if not isinstance(doc, dict):
        raise input_error(config_file, "must hold a JSON object of config sections")
    return doc


def _fold_table(records: list[dict], optimistic: bool) -> Table:
    from causalex.train.selection import SOURCE_RATE

    unselected = sum(1 for r in records if not r["selection"].startswith(("test", "inner")))
    title = "per-fold results" + (" (epoch/thresholds chosen on TEST subjects: optimistic)" if optimistic else
                                  " (epoch/thresholds chosen on inner-validation subjects)")
    if unselected:
        title += (f"; {unselected} fold(s) without inner-validation subjects (val 0): last epoch, configured "
                  "thresholds")
    notes = []
    if any(r.get("val_guarded") for r in records):
        notes.append("* the rate guard (protocol.max_pred_ratio) moved this threshold")
    if any(SOURCE_RATE in (r.get("threshold_sources") or {}).values() for r in records):
        notes.append("r too few validation expressions of the type (or none found): threshold from the training "
                     "label rate")
    if any(r.get("warnings") for r in records):
        notes.append("! the fold predicted no interval of a type its test subjects hold, or flooded (warnings above)")
    table = Table(title=title, title_justify="left", caption="\n".join(notes) or None, caption_justify="left")
    for name in ("fold", "test", "val", "AU links", "epoch", "val F1", "thr micro/macro", "micro F1", "macro F1",
                 "F1", "TP/N_pred/N_gt"):
        table.add_column(name, justify="left" if name in ("fold", "test", "val") else "right")
    for r in records:
        val = "test" if r["selection"].startswith("test") else str(len(r["val_subjects"]))
        vf1 = "-" if r["val_f1"] is None else f"{r['val_f1']:.3f}"
        table.add_row(r["fold"] + (" !" if r.get("warnings") else ""), ",".join(r["test_subjects"]), val, str(r.get("graph_links", "-")),
                      str(r["best_epoch"]), vf1,
                      _thresholds_cell(r), f"{r['micro_f1']:.3f}",
                      f"{r['macro_f1']:.3f}", f"{r['overall_f1']:.3f}", f"{r['tp']}/{r['n_pred']}/{r['n_gt']}")
    return table


def _thresholds_cell(record: dict) -> str:
    from causalex.train.selection import SOURCE_RATE

    moved = set(record.get("val_guarded") or ())
    sources = record.get("threshold_sources") or {}
    return "/".join(f"{record['thresholds'][kind]:.2f}" + ("*" if kind in moved else "")
                    + ("r" if sources.get(kind) == SOURCE_RATE else "") for kind in ("micro", "macro"))


def _megc_table(metrics: dict) -> Table:
    table = Table(title="MEGC spotting, out-of-fold predictions (IoU >= 0.5)", title_justify="left")
    for name in ("", "TP", "N_pred", "N_gt", "precision", "recall", "F1"):
        table.add_column(name, justify="left" if not name else "right")
    for row in ("micro", "macro", "overall"):
        m = metrics[row]
        table.add_row(row, str(m["tp"]), str(m["n_pred"]), str(m["n_gt"]), f"{m['precision']:.4f}",
                      f"{m['recall']:.4f}", f"{m['f1']:.4f}", style="bold" if row == "overall" else None)
    return table


@handle_errors
def train(
    series: list[Path] = typer.Argument(..., help="AU or region series: .parquet / OpenFace / py-feat CSV files "
                                                  "or folders."),
    labels: Path = typer.Option(..., "--labels", help="Labels CSV (subject, video, onset, apex, offset, type, "
                                                      "emotion)."),
    output: Path = typer.Option(..., "-o", "--output", help="Model folder to create."),
    graph: Optional[str] = typer.Option(None, "--graph", help="AU graph (default: the --recipe's, else causal): "
                                                        "a graph JSON file (its nodes become the model's "
                                                        "AUs; a contemporaneous --> cycle is refused), or causal | "
                                                        "cooccurrence | facs | full | none (data-driven graphs are "
                                                        "rebuilt per fold from training subjects only; causal: "
                                                        "discovered as the config's graph section says).",
                              metavar="<graph>"),
    protocol: Optional[Protocol] = typer.Option(None, "--protocol", help="loso (the config's default), kfold or "
                                                                         "split."),
    folds: Optional[int] = typer.Option(None, "--folds", min=2, help="Folds of --protocol kfold (config default 5)."),
    test_subjects: str = typer.Option("", "--test-subjects", help="Comma-separated test subjects of --protocol split.",
                                      metavar="<subject,...>"),
    device: str = typer.Option("auto", "--device", help="auto (CUDA when present), cpu or cuda.",
                               metavar="<auto|cpu|cuda>"),
    epochs: Optional[int] = typer.Option(None, "--epochs", min=1, help="Training epochs (default from the config)."),
    seed: Optional[int] = typer.Option(None, "--seed", min=0, help="Random seed (same seed, same run; config "
                                                                   "default 0)."),
    working_fps: Optional[float] = typer.Option(None, "--working-fps", **FPS_RANGE,
                                                help="Frame rate every series is resampled to (default 30)."),
    fps: Optional[float] = csv_fps_option(),
    config_file: Optional[Path] = typer.Option(None, "--config", help="JSON overrides, e.g. "
                                                                      '{"optim": {"lr": 0.001}} (keys: see '
                                                                      "--print-config)."),
    recipe: Optional[str] = typer.Option(None, "--recipe", callback=_recipe_option, is_eager=True,
                                         metavar="<name>",
                                         help="Named method: causalex | auwgcn | causal-ex | me-tst | me-tst-sf | "
                                              "boostingvrme | pesformer-like (sets graph, backbone, decoder, loss, "
                                              "training data; README 'Recipes and comparison'). --config and explicit "
                                              "options override its fields; a recipe given series of other features "
                                              "(AU vs region) warns."),
    print_config: bool = typer.Option(False, "--print-config", callback=_print_config, is_eager=True,
                                      help="Print the config (every section and field, JSON; with --recipe, the "
                                           "recipe's; --config and explicit options would override it) and exit. "
                                           "model.in_features follows the features, and the decode "
                                           "thresholds are chosen on validation: setting them has no effect."),
    dynamic: bool = typer.Option(False, "--dynamic",
                                 help="Re-discover the AU graph per batch, and per video when spotting, as "
                                      "Causal-Ex does (fast FCI engine; FACS background and lenient policy by "
                                      "default, model.dynamic_* in --config). Measured no better than the "
                                      "per-fold graph (README)."),
    select_on_test: bool = typer.Option(False, "--select-on-test",
                                        help="OPTIMISTIC: choose epoch and thresholds on the test subjects, as "
                                             "published papers do (flagged in all outputs)."),
    no_final: bool = typer.Option(False, "--no-final", help="Skip the deployment model (cross-validation only; "
                                                            "about one fold's time less)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run in the output folder."),
    threads: Optional[int] = typer.Option(None, "--threads", min=0, help=THREADS_HELP),
    context: Optional[List[Path]] = typer.Option(None, "--context", metavar="<path>",
                                                 help="--graph causal: another corpus (AU series file or folder; "
                                                      "its labels are never read), repeatable. The causal graph's "
                                                      "links are re-tested there; links and AUs that hold in the "
                                                      "training corpus only are left out of the model."),
    exclude_aus: Optional[str] = typer.Option(None, "--exclude-aus",
                                              help="Comma-separated AUs the model does not use (e.g. the bias AUs "
                                                   "of a `causalex bias` reliance table).", metavar="<AU,...>"),
    engine: str = typer.Option("serial", "--engine", metavar="<serial|ray>",
                               help="serial, or ray: the cross-validation folds as parallel Ray tasks (needs "
                                    "causalex\\[ray]); the same files either way; CPU tasks: not with --device cuda)."),
    workers: int = typer.Option(2, "--workers", min=1, help="CPUs of the local Ray instance (--engine ray)."),
) -> None:
    """Train the spotter with leave-one-subject-out (default), k-fold or an explicit split. In every fold
    the epoch and the decoding thresholds are chosen on inner-validation subjects; out-of-fold predictions
    and the MEGC table go to the model folder. The deployment model (model.pt) is then trained on all
    subjects, for the median of the folds' selected epochs, with thresholds chosen on the folds' inner
    validation pooled. A type with under protocol.min_val_expressions validation expressions (or none
    found) takes the threshold that predicts it at its training label rate.

    Example: causalex train corpus/ --labels corpus/labels.csv --graph causal -o runs/casme2
    """
    from causalex.errors import InputError
    from causalex.labels import read_labels_file
    from causalex.readers import load_series_inputs
    from causalex.train.experiment import check_model_folder, run_experiment
    from causalex.train.folds import check_engine
    from causalex.train.graph_checks import check_graph_spec
    from causalex.train.loop import resolve_device
    from causalex.train.recipes import feature_mismatch, make_recipe, recipe_config

    overrides = _overrides(config_file)
    recipe_name = recipe or str(overrides.get("recipe") or "")  # --recipe wins over the config file's "recipe"
    try:
        recipe_doc = make_recipe(recipe_name) if recipe_name else None
    except ValueError as exc:
        raise InputError(f"{config_file}: {exc}") from None
    try:  # defaults < recipe < --config < explicit options
        config = recipe_config(recipe_name, overrides)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{config_file}: {exc}") from None
    if graph is None:
        graph = recipe_doc.graph if recipe_doc else "causal"
    # options given on the command line win over --config; the others keep the config's value
    if seed is not None:
        config.seed = seed
    if protocol is not None:
        config.protocol.protocol = protocol.value
    if folds is not None:
        config.protocol.folds = folds
    if test_subjects:
        config.protocol.test_subjects = comma_list(test_subjects)
    config.protocol.select_on_test = select_on_test or config.protocol.select_on_test
    config.protocol.final_model = config.protocol.final_model and not no_final
    config.model.dynamic = dynamic or config.model.dynamic
    if threads is not None:
        config.optim.threads = threads
    if epochs is not None:
        config.optim.epochs = epochs
    if working_fps is not None:
        config.data.working_fps = working_fps
    try:
        torch_device = resolve_device(device)
        check_engine(engine, str(torch_device))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    if engine == "serial" and workers != 2:
        info("note: --workers is for --engine ray; the serial engine uses one process")

    check_model_folder(output, resume)  # before loading anything
    check_graph_spec(graph)  # a misspelt variant or a bad graph file fails before the data is read
    all_series = load_series_inputs(series, fps=fps)
    if recipe_doc is not None:
        info(recipe_doc.describe())
        if all_series and (mismatch := feature_mismatch(recipe_doc, all_series[0].au_names, all_series[0].node_kind)):
            err_console.print(f"[bold yellow]warning:[/] {mismatch}", highlight=False)
    labels_doc = read_labels_file(labels)
    all_labels = labels_doc.intervals
    contexts = {}
    for path in context or []:
        contexts[path.name if path.name and path.name not in contexts else str(path)] = load_series_inputs([path], fps=fps)
    if graph == "causal" and not contexts:
        info("note: the causal graph's AU selection sees one corpus: a bias that reaches one AU before another looks "
             "like a mechanism link there; --context OTHER_CORPUS/ (AU series only) lets it test which links hold "
             "elsewhere")
    if config.protocol.select_on_test:
        err_console.print("[bold yellow]warning:[/] --select-on-test chooses the epoch and thresholds on the test "
                          "subjects: the scores are optimistic (published-paper protocol), not a fair estimate.")
    info(f"{len(all_series)} videos, {len(all_labels)} labelled intervals, graph {graph}, protocol "
         f"{config.protocol.protocol}, device {torch_device}")

    with progress() as bar:
        fold_task = bar.add_task("folds", total=None)
        epoch_task = bar.add_task("epochs", total=config.optim.epochs)
        prep_task = bar.add_task("preparing videos", total=len(all_series))

        def on_event(event: dict) -> None:
            kind = event["kind"]
            if kind == "prepare":
                bar.update(prep_task, completed=event["done"])
            elif kind == "fold_start":
                label = f"folds ({workers} in parallel)" if event.get("parallel") else f"fold {event['fold']}"
                bar.update(fold_task, total=event["total"], description=label)
                bar.reset(epoch_task, total=event["epochs"])
            elif kind == "epoch":
                vf1 = f" val F1 {event['val_f1']:.3f}" if "val_f1" in event else ""
                bar.update(epoch_task, completed=event["epoch"],
                           description=f"epoch loss {event['loss']:.3f}{vf1}")
            elif kind == "fold_done":
                bar.update(fold_task, completed=event["index"])
                r = event["record"]
                if not sys.stderr.isatty():
                    links = f", graph {r['graph_links']} AU links" if "graph_links" in r else ""
                    info(f"fold {r['fold']} ({event['index']}/{event['total']}): F1 {r['overall_f1']:.3f} "
                         f"(micro {r['micro_f1']:.3f}, macro {r['macro_f1']:.3f}), epoch {r['best_epoch']}{links}"
                         + (" [resumed]" if event.get("resumed") else ""))
            elif kind == "final_done" and not sys.stderr.isatty():
                thr = event["thresholds"]
                info(f"deployment model (all subjects): epoch {event['best_epoch']}, thresholds micro "
                     f"{thr['micro']:.2f} / macro {thr['macro']:.2f}")

        result = run_experiment(all_series, all_labels, config, graph, output, torch_device,
                                labels_path=str(labels), resume=resume, on_event=on_event,
                                exclude_aus=comma_list(exclude_aus), labels_file=labels_doc, contexts=contexts,
                                engine=engine, workers=workers,
                                command=" ".join(shlex.quote(a) for a in ["causalex", *sys.argv[1:]]))
    metrics = result.metrics
    console.print(_fold_table(result.folds, metrics["optimistic_selection"]))
    console.print(_megc_table(metrics))
    if metrics["optimistic_selection"]:
        err_console.print(f"[bold yellow]warning:[/] {metrics['warning']}")
    for key in ("graph_warning", "graph_au_warning"):
        if key in metrics:
            err_console.print(f"[bold yellow]warning:[/] {metrics[key]}", highlight=False)
    fold_warnings = [w for r in result.folds for w in r.get("warnings", [])]
    if fold_warnings:
        err_console.print(f"[bold yellow]warning:[/] {len(fold_warnings)} prediction volume problem(s) in the folds "
                          "(see the table's ! rows): " + "; ".join(fold_warnings), highlight=False)
    if "final_model" in metrics:
        info(f"deployment model (model.pt): trained on all {len(metrics['final_model']['trained_on'])} subjects; "
             f"{metrics['final_model']['selection']}")
    written = sorted(p.name for p in output.iterdir() if p.is_file() and not p.name.startswith("."))
    info(f"wrote {output}/ ({', '.join(written)})" + ("; no deployment model (--no-final)" if not config.protocol.final_model else ""))


def register(app: typer.Typer) -> None:
    """Add the ``train`` command to the app."""
    app.command("train")(train)
