"""`causalex graph show|diff|plot|export`: inspect, compare, draw and convert saved AU graphs."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from causalex_cli.common import console, csv_fps_option, err_console, handle_errors, info

graph_app = typer.Typer(name="graph",
                        help="Inspect, compare, plot and export saved AU graphs (graph JSON files or model folders).",
                        no_args_is_help=True)

KIND_COLOUR = {"-->": "blue", "<--": "blue", "<->": "red", "---": "green"}
GRAPH_ARG_HELP = "Graph JSON file, or a model folder (its graph.json)."


def load_graph(path: Path):
    """The graph of a graph JSON file, or of a model folder written by train (its ``graph.json``)."""
    import json

    from causalex.graph import AUGraph

    if path.is_dir():
        from causalex.train.experiment import ModelDirLayout  # the file names of a model folder

        layout = ModelDirLayout(path)
        if layout.graph.is_file():
            try:
                config = json.loads(layout.config.read_text(encoding="utf-8"))["config"]["model"]
            except (OSError, ValueError, KeyError, TypeError):
                config = {}
            if config.get("dynamic"):
                err_console.print(f"[bold yellow]warning:[/] {path} was trained with --dynamic: its network uses a "
                                  "graph re-discovered per batch and per video, not this one", highlight=False)
            path = layout.graph
    return AUGraph.load(path)


def _kind_text(kind: str | None, kept: bool | None) -> str:
    if kind is None:
        return "[dim]-[/]"
    colour = KIND_COLOUR.get(kind, "magenta")
    text = f"[{colour}]{kind}[/]"
    return text if kept else f"[dim]{text} (dropped)[/]"


def provenance_line(graph) -> str:
    """One line saying how the graph was made."""
    prov = graph.provenance
    if prov.get("kind") != "causal discovery":
        return f"{graph.name or 'graph'}: {prov.get('kind', 'unknown origin')}, {len(graph.nodes)} AUs"

    def get(key: str):
        return prov.get(key, "?")

    boot = f", bootstrap {get('bootstrap')} over {get('resample')}s (threshold {get('threshold')})" \
        if prov.get("bootstrap") else ""
    group = f" [{prov['group']['per']} {prov['group']['name']}]" if prov.get("group") else ""
    if prov.get("method") == "timeseries":
        contexts = prov.get("contexts") or {}
        others = [c for c in contexts if c != "main"]
        read = f", tested in {len(others)} other corpus(es): {', '.join(others)}" if others else \
            ", one corpus (the AU selection cannot tell a corpus's bias from a mechanism: give --context)"
        return (f"{graph.name}{group}: TIMESERIES (lags up to {get('max_lag_s')} s, alpha {get('alpha')}, min effect "
                f"{get('min_effect')}){boot}, policy {get('policy')}, background {get('background')}, "
                f"{get('n_samples')} rows from {get('n_series')} series{read}")
    strides = prov.get("strides_used")
    stride = f" (frame stride {'/'.join(str(v) for v in strides)})" if strides else ""
    return (f"{graph.name}{group}: {str(get('method')).upper()} via {get('engine')} ({get('ci_test')}, alpha "
            f"{get('alpha')}, depth {get('depth')}){boot}, policy {get('policy')}, background {get('background')}, "
            f"{get('n_samples')} frames from {get('n_series')} series{stride}, features "
            f"{prov.get('sampling', {}).get('features', '?')}")


def edges_table(graph, kept_only: bool = False, title: str | None = None, all_edges: bool = False):
    """A rich table of the graph's edges: kind, stability, per-kind frequencies, kept and reason."""
    from rich.table import Table

    from causalex.graph import display_edges

    edges = [e for e in display_edges(graph, stable_only=not all_edges) if e.kept or not kept_only]
    edges.sort(key=lambda e: (not e.kept, -e.stability, graph.nodes.index(e.source), graph.nodes.index(e.target)))
    with_runs = any(len(e.mark_stability) > 1 or e.stability < 1.0 for e in edges)  # only with a bootstrap
    with_lags = any(e.lag_s for e in edges)
    contexts = list(dict.fromkeys(c for e in edges for c in e.context_strength))  # as discovered: main first
    table = Table(title=title, title_justify="left")
    columns = [("source", "left"), ("edge", "center"), ("target", "left"), ("stability", "right")]
    columns += [("kinds over runs", "left")] if with_runs else []
    columns += [("lag (s)", "right")] if with_lags else []
    columns += [(f"strength {c}", "right") for c in contexts]
    for name, justify in columns + [("kept", "center"), ("reason", "left")]:
        table.add_column(name, justify=justify)
    for e in edges:
        runs = ", ".join(f"{k} {v:.2f}" for k, v in sorted(e.mark_stability.items(), key=lambda kv: -kv[1])[:3])
        cells = [e.source, _kind_text(e.kind, True), e.target, f"{e.stability:.2f}"] + ([runs] if with_runs else [])
        cells += [f"{e.lag_s:.3f}" if e.lag_s else "-"] if with_lags else []
        cells += [f"{e.context_strength[c]:.3f}" if c in e.context_strength else "-" for c in contexts]
        table.add_row(*cells, "[green]yes[/]" if e.kept else "[red]no[/]", e.reason)
    return table


@graph_app.command("show")
@handle_errors
def show(
    graph_file: Path = typer.Argument(..., help=GRAPH_ARG_HELP),
    kept_only: bool = typer.Option(False, "--kept-only", help="List only the edges the model uses."),
    all_edges: bool = typer.Option(False, "--all-edges", help="Also list edges below the bootstrap stability "
                                                               "threshold (hidden by default)."),
) -> None:
    """Print a graph's edges with their endpoint marks, bootstrap stability, and whether the debiasing
    kept or dropped each one (with the reason).

    Example: causalex graph show graphs/simulated_small.json
    """
    from causalex.graph import display_edges

    graph = load_graph(graph_file)
    info(provenance_line(graph))
    console.print(edges_table(graph, kept_only, all_edges=all_edges))
    hidden = len(display_edges(graph)) - len(display_edges(graph, stable_only=True))
    note = f" ({hidden} below the stability threshold not listed; --all-edges lists them)" if hidden and not all_edges else ""
    info(f"{len(graph.edges)} PAG edges, {len(graph.kept_edges())} kept; {int(graph.adjacency.sum())} message "
         f"directions in the adjacency{note}")
    if graph.selection_only:
        info("policy selection-only: a model trained with this graph uses its AU selection and none of its edges "
             "(--policy conservative in discover passes messages along the --> edges)")
    if graph.selection:
        console.print(selection_table(graph))
    if graph.label_links:
        console.print(label_links_table(graph))


def label_links_table(graph):
    """A rich table of the links from expression-label nodes to AUs (which AUs an expression reaches directly)."""
    from rich.table import Table

    table = Table(title="expression labels -> AUs (reached directly, not through another AU)", title_justify="left")
    for name, justify in (("label", "left"), ("AU", "left"), ("lag (s)", "right"), ("strength", "right")):
        table.add_column(name, justify=justify)
    for d in graph.label_links:
        table.add_row(f"{d['label']}-expression", d["au"], f"{d.get('lag_s', 0):.3f}", f"{d.get('strength', 0):.3f}")
    return table


def selection_table(graph):
    """A rich table of the graph's AU selection: each AU, whether the model uses it, and why."""
    from rich.table import Table

    off = graph.deselected()
    table = Table(title=f"AU selection: {len(graph.nodes) - len(off)} of {len(graph.nodes)} AUs used by a model",
                  title_justify="left")
    for name in ("AU", "used", "reason"):
        table.add_column(name)
    for au in sorted(graph.nodes, key=lambda a: (graph.is_selected(a), graph.nodes.index(a))):
        decision = graph.selection.get(au, {"selected": True, "reason": "-"})
        table.add_row(au, "[green]yes[/]" if decision["selected"] else "[red]no[/]", decision.get("reason", ""))
    return table


@graph_app.command("diff")
@handle_errors
def diff(
    graph_1: Path = typer.Argument(..., help="First graph JSON file or model folder (e.g. discovered on dataset A)."),
    graph_2: Path = typer.Argument(..., help="Second graph JSON file or model folder (e.g. discovered on dataset B)."),
    all_edges: bool = typer.Option(False, "--all-edges", help="Also compare edges below the bootstrap stability "
                                                               "threshold (ignored by default)."),
) -> None:
    """Compare two graphs: edges found in only one, and edges whose marks or kept flag differ. Run it on
    graphs discovered on two datasets to see what each dataset's bias adds.

    Example: causalex graph diff casme2.json samm.json
    """
    from rich.table import Table

    from causalex.graph import diff_graphs

    g1, g2 = load_graph(graph_1), load_graph(graph_2)
    changes = diff_graphs(g1, g2, stable_only=not all_edges)
    if not changes:
        info(f"{graph_1} and {graph_2} have the same edges, marks and kept flags")
        return
    table = Table(title=f"1 = {graph_1}   2 = {graph_2}", title_justify="left")
    for name in ("AU", "edge in 1", "edge in 2", "AU", "stability 1", "stability 2", "change"):
        table.add_column(name)
    for c in changes:
        table.add_row(c.a, _kind_text(c.kind_1, c.kept_1), _kind_text(c.kind_2, c.kept_2), c.b,
                      "-" if c.stability_1 is None else f"{c.stability_1:.2f}",
                      "-" if c.stability_2 is None else f"{c.stability_2:.2f}", c.change)
    console.print(table)
    counts = {}
    for c in changes:
        counts[c.change] = counts.get(c.change, 0) + 1
    info(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))


@graph_app.command("plot")
@handle_errors
def plot(
    graph_file: Path = typer.Argument(..., help=GRAPH_ARG_HELP),
    output: Path = typer.Option(..., "-o", "--output", help="Figure to write (.png, .pdf or .svg)."),
    hide_dropped: bool = typer.Option(False, "--hide-dropped", help="Draw only the edges the model uses."),
    all_edges: bool = typer.Option(False, "--all-edges", help="Also draw edges below the bootstrap stability "
                                                               "threshold (hidden by default)."),
    title: Optional[str] = typer.Option(None, "--title", help="Figure title.", metavar="<text>"),
) -> None:
    """Draw a graph on a circular AU layout: arrowheads, open circles and tails at the edge ends as FCI
    marks them, dropped edges faded and dashed, with a legend (edges below the bootstrap stability
    threshold are left out unless --all-edges).

    Example: causalex graph plot graphs/simulated_small.json -o graph.png
    """
    from causalex.fileio import check_output_file
    from causalex.viz import plot_format
    from causalex.viz.graph_plot import plot_graph

    plot_format(output)  # png, pdf or svg
    check_output_file(output, [graph_file])
    graph = load_graph(graph_file)
    plot_graph(graph, output, title=title, show_dropped=not hide_dropped, show_unstable=all_edges)
    info(f"wrote {output}")


@graph_app.command("export")
@handle_errors
def export(
    graph_file: Path = typer.Argument(..., help=GRAPH_ARG_HELP),
    output: Path = typer.Option(..., "-o", "--output", help="File to write."),
    fmt: Optional[str] = typer.Option(None, "--format", help="graphml or dot (default: from the output suffix).",
                                      metavar="<graphml|dot>"),
) -> None:
    """Convert a graph to GraphML (networkx, for Gephi/Cytoscape) or Graphviz DOT (marks as
    arrowtail/arrowhead shapes: none, normal, odot).

    Example: causalex graph export graphs/facs_prior.json --format dot -o facs.dot
    """
    from causalex.errors import InputError
    from causalex.fileio import check_output_file
    from causalex.graph_export import EXPORT_FORMATS, export_graph

    suffixes = {".graphml": "graphml", ".dot": "dot", ".gv": "dot"}
    fmt = fmt or suffixes.get(output.suffix.lower())
    if fmt is None:
        raise InputError(f"{output}: cannot tell the export format from the suffix {output.suffix!r}; pass "
                         f"--format ({', '.join(EXPORT_FORMATS)}) or use a .graphml/.dot suffix")
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"{output}: unknown export format {fmt!r}; valid: {', '.join(EXPORT_FORMATS)}")
    check_output_file(output, [graph_file])
    graph = load_graph(graph_file)
    export_graph(graph, output, fmt)
    info(f"wrote {output} ({fmt})")


@graph_app.command("build")
@handle_errors
def build(
    variant: str = typer.Argument(..., help="causal, cooccurrence, facs, full or none."),
    series: Optional[List[Path]] = typer.Argument(None, help="AU series files or folders (not needed for facs, "
                                                             "full and none: they then use the 17 OpenFace AUs)."),
    output: Path = typer.Option(..., "-o", "--output", help="Graph JSON to write."),
    labels: Optional[Path] = typer.Option(None, "--labels", help="Labels CSV (cooccurrence: co-activation "
                                                                "inside expressions; else correlation)."),
    threshold: float = typer.Option(0.3, "--threshold", help="cooccurrence: minimum Jaccard index or |r|."),
    fps: Optional[float] = csv_fps_option(),
) -> None:
    """Build a graph variant for ablations: facs (FACS prior), cooccurrence (label co-activation or
    correlation), full, none, or causal (discovery with default settings; use `causalex discover` to
    choose them).

    Example: causalex graph build facs -o graphs/facs_prior.json
    """
    from causalex.discover.facs_prior import DEFAULT_AU_NAMES, facs_prior_graph
    from causalex.discover.pipeline import GRAPH_VARIANTS, build_graph_variant
    from causalex.errors import InputError
    from causalex.fileio import check_output_file
    from causalex.graph import empty_graph, full_graph
    from causalex.labels import read_labels_file
    from causalex.readers import load_series_inputs, with_label_subjects

    if variant not in GRAPH_VARIANTS:
        raise InputError(f"unknown graph variant {variant!r}; valid: {', '.join(GRAPH_VARIANTS)}")
    check_output_file(output, [*(series or []), labels])
    if not series:
        if variant in ("causal", "cooccurrence"):
            raise InputError(f"the {variant} graph needs AU series (pass files or folders)")
        builders = {"facs": facs_prior_graph, "full": full_graph, "none": empty_graph}
        graph = builders[variant](list(DEFAULT_AU_NAMES))
    else:
        corpus = load_series_inputs(series, fps=fps)
        intervals = None
        if labels is not None:
            labels_doc = read_labels_file(labels)
            intervals, corpus = labels_doc.intervals, with_label_subjects(corpus, labels_doc.videos)
        graph = build_graph_variant(variant, corpus, intervals, cooccurrence_threshold=threshold)
    graph.save(output)
    info(f"wrote {output}: {variant} graph, {len(graph.nodes)} AUs, {int(graph.adjacency.sum())} message directions")


def register(app: typer.Typer) -> None:
    """Add the ``graph`` command group to ``app``."""
    app.add_typer(graph_app, name="graph")
