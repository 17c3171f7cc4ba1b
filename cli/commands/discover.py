"""`causalex discover`: AU series -> debiased AU causal graph(s) (graph JSON)."""

from __future__ import annotations

import shlex
import time
from pathlib import Path
from typing import List, Optional

import typer

from causalex_cli.common import STATE, comma_list, console, csv_fps_option, handle_errors, info


def rebuild_command(series: list[Path], output: Path, options: dict[str, object]) -> str:
    """The exact command line that rebuilds the output (every option spelled out), for provenance."""
    parts = ["causalex", "discover", *[str(p) for p in series], "-o", str(output)]
    for flag, value in options.items():
        if isinstance(value, bool):
            parts += [flag] if value else []
        elif value is not None:
            parts += [flag, str(value)]
    return " ".join(shlex.quote(p) for p in parts)


def register(app: typer.Typer) -> None:
    """Add the ``discover`` command to ``app``."""

    @app.command("discover")
    @handle_errors
    def discover(
        series: List[Path] = typer.Argument(..., help="AU series files or folders (.parquet, OpenFace or py-feat CSV)."),
        output: Path = typer.Option(..., "-o", "--output", help="Graph JSON to write; with --per subject/type a "
                                                                 "folder that gets one <group>.json per group."),
        engine: str = typer.Option("fast", "--engine", help="fast (batched, ours), causal-learn (reference FCI/PC) or "
                                                            "tigramite (reference PCMCI+ for --method timeseries; "
                                                            "needs the tigramite extra of causalex).",
                                   metavar="<fast|causal-learn|tigramite>"),
        method: str = typer.Option("timeseries", "--method",
                                   help="timeseries (lagged tests on each AU's own past and its candidate parents' "
                                        "past, AU selection), fci (PAG over frames) or pc (CPDAG).",
                                   metavar="<timeseries|fci|pc>"),
        max_lag: float = typer.Option(0.3, "--max-lag", help="timeseries: longest lag tested, in seconds (at each "
                                                             "series' own frame rate)."),
        min_effect: float = typer.Option(0.03, "--min-effect",
                                         help="timeseries: smallest |partial correlation| that counts as a link."),
        context: Optional[List[Path]] = typer.Option(None, "--context", metavar="<path>",
                                                     help="timeseries: another corpus (AU series file or folder; its "
                                                          "labels are never read), repeatable. Links and AUs that hold "
                                                          "in one corpus only are left out of the model."),
        alpha: float = typer.Option(0.001, "--alpha", help="Significance level of the CI tests."),
        depth: int = typer.Option(-1, "--depth", help="Largest conditioning set (-1: unlimited)."),
        bootstrap: int = typer.Option(0, "--bootstrap", help="Bootstrap runs for edge stability (0: one run)."),
        resample: str = typer.Option("subject", "--resample", help="Bootstrap unit: subject, video or frame.",
                                     metavar="<subject|video|frame>"),
        threshold: float = typer.Option(0.5, "--threshold", help="Minimum stability of a kept edge (with --bootstrap)."),
        policy: Optional[str] = typer.Option(None, "--policy",
                                             help="Which edges the model uses: selection-only (none: the AU "
                                                  "selection only; default of timeseries), conservative (--> "
                                                  "only; default of fci/pc), lenient or keep-all.",
                                             metavar="<selection-only|conservative|lenient|keep-all>"),
        labels: Optional[Path] = typer.Option(None, "--labels", help="Labels CSV (subject, video, onset, apex, offset, "
                                                                     "type, emotion)."),
        label_nodes: bool = typer.Option(False, "--label-nodes",
                                         help="timeseries: add the labels (inside a micro / a macro expression) as "
                                              "nodes no AU can cause; the graph lists which AUs they reach "
                                              "directly (needs --labels)."),
        inside_expressions: bool = typer.Option(False, "--inside-expressions",
                                                help="Use only frames inside labelled expressions (needs --labels)."),
        margin: float = typer.Option(0.0, "--margin", help="With --inside-expressions: seconds added around each "
                                                           "expression."),
        stride: int = typer.Option(0, "--stride", min=0,
                                   help="Keep every N-th frame (neighbouring frames are near copies); 0: auto, a "
                                        "frame every 0.1 s thinned to at most --max-samples."),
        max_samples: int = typer.Option(20_000, "--max-samples", min=1,
                                        help="With --stride 0: most frames used (more makes every test reject "
                                             "and FCI slow)."),
        features: str = typer.Option("lagged", "--features",
                                     help="lagged (each AU at t - L and at t: orients edges by time), level or diff.",
                                     metavar="<lagged|level|diff>"),
        lag: float = typer.Option(0.1, "--lag", help="The lag L of lagged/diff features, in seconds."),
        center: str = typer.Option("none", "--center", help="none, or video: subtract each video's mean.",
                                   metavar="<none|video>"),
        per: str = typer.Option("dataset", "--per", help="One graph per dataset (all inputs), subject or type.",
                                metavar="<dataset|subject|type>"),
        background: str = typer.Option("none", "--background",
                                       help="facs: forbid edges between AUs the FACS prior does not link; none.",
                                       metavar="<facs|none>"),
        aus: Optional[str] = typer.Option(None, "--aus", help="Comma-separated AUs to use (default: those of the "
                                                              "first series; every series must have them).",
                                          metavar="<AU,...>"),
        fps: Optional[float] = csv_fps_option(),
        seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap resampling."),
        workers: int = typer.Option(1, "--workers", help="Processes for bootstrap runs that cannot be batched."),
        device: str = typer.Option("auto", "--device", help="Batched bootstrap tests: auto (GPU when present), cpu, cuda.",
                                   metavar="<auto|cpu|cuda>"),
    ) -> None:
        """Discover the debiased AU causal graph of a corpus: lagged time-series tests (default; FCI or PC
        with --method), links re-tested in each --context corpus, an AU selection with a reason per AU, and the
        debiasing rule (--policy: which edges the model uses). Writes the graph JSON (README, "Formats") with
        full provenance.

        Example: causalex discover corpus/ --labels corpus/labels.csv --bootstrap 100 -o graph.json
        """
        from causalex.discover.pipeline import DiscoveryConfig, discover_graphs
        from causalex.discover.sampling import PER_CHOICES, SamplingOptions, safe_group_name
        from causalex.errors import InputError
        from causalex.fileio import check_output_file
        from causalex.labels import read_labels_file
        from causalex.readers import load_series_inputs, with_label_subjects
        from causalex_cli.commands.graph import edges_table

        if per not in PER_CHOICES:
            raise InputError(f"unknown --per {per!r}; valid: {', '.join(PER_CHOICES)}")
        if per == "dataset" and output.is_dir():
            raise InputError(f"{output}: is a folder; -o must be a graph file (.json) unless --per subject/type")
        if per != "dataset" and output.exists() and not output.is_dir():
            raise InputError(f"{output}: with --per {per}, -o must be a folder (one graph per group)")
        cfg = DiscoveryConfig(method=method, engine=engine, max_lag_s=max_lag, min_effect=min_effect,
                              label_nodes=label_nodes, alpha=alpha, depth=depth, bootstrap=bootstrap,
                              resample=resample, threshold=threshold, policy=policy, background=background, seed=seed,
                              workers=workers, device=device,
                              sampling=SamplingOptions(inside_expressions=inside_expressions, margin_s=margin,
                                                       stride=stride, max_samples=max_samples, features=features,
                                                       lag_s=lag, center=center))
        cfg.validate()
        if (inside_expressions or per == "type" or label_nodes) and labels is None:
            what = "--inside-expressions" if inside_expressions else "--per type" if per == "type" else "--label-nodes"
            raise InputError(f"{what} needs labels (pass --labels LABELS.csv)")
        if per == "dataset":
            check_output_file(output, [*series, labels])
        au_names = list(comma_list(aus)) or None
        if aus is not None and not au_names:
            raise InputError(f"--aus {aus!r} names no AU (give e.g. --aus AU01,AU02,AU04)")
        start = time.perf_counter()
        corpus = load_series_inputs(series, fps=fps)
        contexts = {}
        for path in context or []:
            name = path.name or str(path)
            if name in contexts:
                name = str(path)
            contexts[name] = load_series_inputs([path], fps=fps)
        intervals = None
        if labels is not None:
            labels_doc = read_labels_file(labels)
            intervals, corpus = labels_doc.intervals, with_label_subjects(corpus, labels_doc.videos)
        command = rebuild_command(series, output, {
            "--engine": engine, "--method": method, "--alpha": alpha, "--depth": depth, "--bootstrap": bootstrap,
            "--resample": resample, "--threshold": threshold, "--policy": policy, "--labels": labels,
            "--inside-expressions": inside_expressions, "--margin": margin, "--stride": stride,
            "--max-samples": max_samples,
            "--features": features, "--lag": lag, "--center": center, "--per": per, "--background": background,
            "--aus": aus, "--fps": fps, "--seed": seed, "--max-lag": max_lag, "--min-effect": min_effect,
            "--label-nodes": label_nodes})
        command += "".join(f" --context {shlex.quote(str(p))}" for p in context or [])
        graphs, skipped = discover_graphs(corpus, intervals, cfg, per, au_names=au_names, command=command,
                                          contexts=contexts or None)
        if per == "dataset":
            targets = {output: graphs["all"]}
        else:
            targets = {output / f"{safe_group_name(g)}.json": graph for g, graph in graphs.items()}
            if len(set(targets)) != len(graphs):
                raise InputError(f"{output}: two groups map to the same file name; rename the subjects")
        for path, graph in targets.items():
            graph.save(path)
        elapsed = time.perf_counter() - start
        if per == "dataset" and not STATE["quiet"]:
            main = graphs["all"]
            if main.selection_only:
                console.print(edges_table(main, kept_only=False, title="edges found (shown, not used: the model "
                                                                         "uses the AU selection only)"))
            else:
                console.print(edges_table(main, kept_only=True, title="kept edges (the model's adjacency)"))
        for path, graph in targets.items():
            info(f"wrote {path}: {len(graph.edges)} PAG edges, {len(graph.kept_edges())} kept "
                 f"(policy {graph.provenance['policy']}), {graph.provenance['n_samples']} frames")
            if graph.selection:
                off = graph.deselected()
                why = ", ".join(f"{a} ({graph.selection[a]['reason']})" for a in off)
                info(f"AU selection: {len(graph.nodes) - len(off)} of {len(graph.nodes)} AUs used"
                     + (f"; left out: {why}" if off else ""))
                if graph.provenance.get("selection_contexts", 1) < 2:
                    info("note: one corpus only: a bias that reaches one AU before another looks like a mechanism "
                         "link; give another corpus with --context to test which links hold across corpora")
        for group, why in skipped.items():
            info(f"skipped group {group}: {why}")
        info(f"done in {elapsed:.1f} s")
