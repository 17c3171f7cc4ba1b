"""`causalex bias`: in-domain vs cross-domain spotting F1 per graph variant, AU reliance, graph diff."""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path
from typing import Optional

import typer

from causalex_cli.common import THREADS_HELP, comma_list, console, csv_fps_option, handle_errors, info, progress

DEFAULT_GRAPHS = "causal,cooccurrence,facs,full,none"


def _parse_graphs(text: str) -> tuple[str, ...]:
    from causalex.discover.pipeline import GRAPH_VARIANTS
    from causalex.errors import InputError

    names = tuple(dict.fromkeys(comma_list(text)))
    bad = [n for n in names if n not in GRAPH_VARIANTS]
    if bad or not names:
        raise InputError(f"--graphs: unknown graph variant(s) {', '.join(bad) or '(none given)'}; "
                         f"valid: {', '.join(GRAPH_VARIANTS)}")
    return names


def _parse_discovery(policy: str | None, background: str | None, graph_cfg) -> tuple[str, str]:
    """--policy / --background (None: the training config's), checked against the valid choices."""
    from causalex.discover.debias import POLICIES
    from causalex.discover.pipeline import BACKGROUNDS
    from causalex.errors import InputError

    resolved = graph_cfg.discovery_config()  # the config's values, or the method's defaults where unset
    policy = resolved.policy if policy is None else policy
    background = resolved.background if background is None else background
    for option, value, valid in (("--policy", policy, POLICIES), ("--background", background, BACKGROUNDS)):
        if value not in valid:
            raise InputError(f"{option}: unknown choice {value!r}; valid: {', '.join(valid)}")
    return policy, background


RELIANCE_CHOICES = {"both": ("in_domain", "cross_domain"), "in-domain": ("in_domain",),
                    "cross-domain": ("cross_domain",), "none": ()}


def _parse_reliance(text: str) -> tuple[str, ...]:
    from causalex.errors import InputError

    if text not in RELIANCE_CHOICES:
        raise InputError(f"--reliance: unknown choice {text!r}; valid: {', '.join(RELIANCE_CHOICES)}")
    return RELIANCE_CHOICES[text]


def _command_line(ctx: typer.Context) -> str:
    """The command as typed (reconstructed from the parsed options), for the report."""
    parts = ["causalex", "bias"]
    flags = {p.name: p for p in ctx.command.params}
    for name, value in ctx.params.items():
        if value is None:
            continue
        param = flags.get(name)
        if isinstance(value, bool) and param is not None and getattr(param, "is_flag", False):
            on, off = (list(param.opts) + [None])[0], (list(param.secondary_opts) + [None])[0]
            chosen = on if value else off
            if chosen is not None and (value != param.default or off is not None):
                parts.append(chosen)
            continue
        option = param.opts[0] if param is not None and getattr(param, "opts", None) else f"--{name.replace('_', '-')}"
        parts += [option, shlex.quote(str(value))]
    return " ".join(parts)


def _summary_table(doc: dict):
    from rich.table import Table

    table = Table(title=f"F1 trained on {doc['train']['name']}: in-domain (out of fold) vs cross-domain on "
                        f"{doc['test']['name']} (mean ± spread over {len(doc['settings']['seeds'])} seed(s))",
                  title_justify="left")
    keys = ["in_domain", "cross_domain", "drop"]
    first = next(iter(doc["summary"].values()), {})
    if "drop_same_models" in first.get("overall", {}):
        keys.append("drop_same_models")
    names = {"in_domain": "in-domain", "cross_domain": "cross-domain", "drop": "drop",
             "drop_same_models": "drop, same models"}
    for name in ["variant", "type"] + [names[k] for k in keys]:
        table.add_column(name, justify="left" if name in ("variant", "type") else "right")
    for variant, rows in doc["summary"].items():
        for row, cell in rows.items():
            table.add_row(variant, row, *(f"{cell[k]['mean']:.3f} ± {cell[k]['std']:.3f}" for k in keys),
                          style="bold" if row == "overall" else None)
    return table


def register(app: typer.Typer) -> None:
    """Add the ``bias`` command to ``app``."""

    @app.command("bias")
    @handle_errors
    def bias(
        ctx: typer.Context,
        train: Path = typer.Option(..., "--train", help="AU series of corpus A (folder or file): training and "
                                                        "in-domain folds."),
        train_labels: Path = typer.Option(..., "--train-labels", help="Labels CSV of corpus A."),
        test: Path = typer.Option(..., "--test", help="AU series of corpus B (folder or file): cross-domain test, "
                                                      "read only after every model is trained."),
        test_labels: Path = typer.Option(..., "--test-labels", help="Labels CSV of corpus B."),
        output: Path = typer.Option(..., "-o", "--output", help="Report folder (report.md, report.json, "
                                                                "predictions, graphs, plots)."),
        graphs: str = typer.Option(DEFAULT_GRAPHS, "--graphs", help="Comma-separated graph variants to compare.",
                                   show_default=DEFAULT_GRAPHS.replace(",", ", "),
                                   metavar="<variant,...>"),
        seeds: int = typer.Option(1, "--seeds", min=1, help="Training seeds per variant (--seed .. --seed+N-1); "
                                                            "the report gives mean and spread over them."),
        seed: int = typer.Option(0, "--seed", min=0, help="First seed (seeds are seed..seed+N-1)."),
        epochs: Optional[int] = typer.Option(None, "--epochs", min=1, help="Training epochs (default: the "
                                                                          "training config's)."),
        config: Optional[Path] = typer.Option(None, "--config", help="JSON overrides of the training config, "
                                                                     "e.g. {\"optim\": {\"epochs\": 3}}."),
        folds: int = typer.Option(0, "--folds", min=0, help="In-domain protocol: 0 = leave one subject out "
                                                            "(default); N = N folds by subject (faster)."),
        reliance: str = typer.Option("both", "--reliance", help="Where to measure AU reliance (F1 lost with one "
                                                               "AU removed at test time): both, in-domain, "
                                                               "cross-domain or none.",
                                     metavar="<both|in-domain|cross-domain|none>"),
        target_context: bool = typer.Option(True, "--target-context/--no-target-context",
                                            help="The causal variant's discovery also reads B's AU series (never its "
                                                 "labels) as a second corpus: links and AUs that hold in A only are "
                                                 "left out of the model."),
        exclude_aus: Optional[str] = typer.Option(None, "--exclude-aus",
                                                  help="Comma-separated AUs left out of the study (e.g. the bias "
                                                       "AUs an earlier report's reliance table found).",
                                                  metavar="<AU,...>"),
        reliance_aus: Optional[str] = typer.Option(None, "--reliance-aus", help="Comma-separated AUs to remove "
                                                                                "(default: every AU).",
                                                   metavar="<AU,...>"),
        policy: Optional[str] = typer.Option(None, "--policy", help="Which of the causal variant's edges the "
                                                                    "model uses: selection-only, conservative, "
                                                                    "lenient or keep-all (default: the training "
                                                                    "config's; selection-only for timeseries).",
                                             metavar="<selection-only|conservative|lenient|keep-all>"),
        background: Optional[str] = typer.Option(None, "--background",
                                                 help="Background knowledge of the causal variant's discovery: "
                                                      "facs or none (default: the training config's; none for "
                                                      "timeseries, facs for fci/pc). The "
                                                      "graph diff is always discovered without one.",
                                                 metavar="<facs|none>"),
        fps: Optional[float] = csv_fps_option(),
        device: str = typer.Option("auto", "--device", help="auto, cpu or cuda.", metavar="<auto|cpu|cuda>"),
        threads: Optional[int] = typer.Option(None, "--threads", min=0, help=THREADS_HELP),
    ) -> None:
        """Cross-dataset bias study: train on corpus A, test on corpus B, per AU graph variant.

        For each graph variant: in-domain F1 on A (leave-one-subject-out, out-of-fold predictions), F1 on B
        of a model trained on all of A, and the drop (micro, macro, overall; mean and spread over seeds);
        AU reliance (F1 lost when one AU node is zeroed and its edges cut at test time); and the diff of
        the causal graphs discovered on A and on B. B's values and labels are read only after every model
        is trained (problems in B's files are reported then). The causal variant is the graph `causalex
        train --graph causal` builds (the config's graph section; --policy / --background override it); the
        diff's graphs are discovered without background knowledge, so a prior cannot hide a corpus's own
        `<->` edges.

        Example: causalex bias --train simA --train-labels simA/labels.csv --test simB --test-labels simB/labels.csv --graphs causal,none --seeds 2 -o bias_report
        """
        from causalex.bias import CorpusSource, StudyConfig, check_report_folder, run_bias_study, write_report
        from causalex.bias.backend import ModelBackend, load_experiment_config
        from causalex.bias.corpus import check_feature_kinds
        from causalex.errors import InputError, input_error

        variants = _parse_graphs(graphs)
        check_report_folder(output)
        for path, what in ((test, "test AU series"), (test_labels, "test labels CSV")):
            if not path.exists():  # existence only: B's contents are read after training
                raise input_error(path, f"{what} does not exist")
        exp = load_experiment_config(config, epochs=epochs)
        if threads is not None:
            exp.optim.threads = threads
        exp.graph.policy, exp.graph.background = _parse_discovery(policy, background, exp.graph)
        backend = ModelBackend(exp, device=device)
        study_cfg = StudyConfig(variants=variants, seeds=tuple(range(seed, seed + seeds)), folds=folds,
                                reliance=_parse_reliance(reliance),
                                reliance_aus=comma_list(reliance_aus) if reliance_aus else None,
                                exclude_aus=comma_list(exclude_aus), discovery=exp.graph.discovery_config(),
                                target_context=target_context)
        sources = (CorpusSource(train.name or str(train), str(train), str(train_labels), fps),
                   CorpusSource(test.name or str(test), str(test), str(test_labels), fps))
        if sources[0].name == sources[1].name:
            sources[0].name, sources[1].name = f"A:{sources[0].name}", f"B:{sources[1].name}"
        if check_feature_kinds(sources[0].peek(), sources[1].peek(), sources[0].name, sources[1].name) != "au" \
                and "facs" in variants:  # (headers only) the FACS prior links AUs, not facial regions
            if graphs != DEFAULT_GRAPHS:
                raise InputError("--graphs facs: the FACS prior links action units, and these series hold region "
                                 "features; choose among causal, cooccurrence, full, none")
            study_cfg.variants = tuple(v for v in variants if v != "facs")
            info("region features: the facs variant (an AU prior) is left out of the default --graphs")
        t0 = time.perf_counter()
        with progress() as bar:
            task = bar.add_task("starting", total=None)

            def on_step(message: str) -> None:
                if bar.disable:  # no terminal (a log file): one line per stage instead of a bar
                    info(f"[{time.perf_counter() - t0:6.0f} s] {message}")
                bar.update(task, description=message)

            study = run_bias_study(*sources, backend, study_cfg, on_step=on_step)
        write_report(study, output, command=_command_line(ctx))
        doc = json.loads((output / "report.json").read_text(encoding="utf-8"))
        console.print(_summary_table(doc))
        if doc["au_note"]:
            info(f"note: {doc['au_note']}")
        info(f"wrote {output / 'report.md'} and {output / 'report.json'} ({time.perf_counter() - t0:.0f} s)")
