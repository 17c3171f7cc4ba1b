"""Simulated bias study: how the cross-domain drop changes with the strength of a dataset's bias.

For each bias strength ``b``, corpus A is simulated with the preset's bias latent at strength ``b``
and corpus B with the same preset and mechanism but no bias (``--bias 0``) and other subjects (another
seed). `causalex.bias.run_bias_study` then gives, per graph variant, in-domain LOSO F1 on A, F1 on B
of a model trained on all of A, the drop, and how much F1 the model loses when the bias AUs (those
the latent drives, e.g. AU14 and AU23) are removed at test time.

    python benchmarks/bench_bias.py --quick        # about 5 minutes on 2 CPU cores
    python benchmarks/bench_bias.py                # the full sweep (small preset, LOSO): about an hour on one core
    python benchmarks/bench_bias.py --gpu          # casme2-shaped corpora, for a GPU machine

Appends a section to benchmarks/RESULTS.md and writes benchmarks/plots/bias_drop_vs_strength_<set>.png.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import PLOTS, append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

ALL_GRAPHS = ("causal", "cooccurrence", "facs", "full", "none")
# Training overrides of every set: the small preset has 6 subjects, so one inner-validation subject (not
# two) leaves 4-5 training subjects per LOSO fold; with fewer the models barely leave their prior.
TRAIN_OVERRIDES = {"protocol": {"min_val_subjects": 1}}
SETS = {  # preset (+ overrides), bias strengths of A, graph variants, seeds, epochs, in-domain folds (0 = LOSO)
    "quick": dict(preset="small", overrides={}, biases=(0.0, 3.0), graphs=("causal",), seeds=1, epochs=10, folds=0),
    "full": dict(preset="small", overrides={}, biases=(0.0, 2.0, 4.0), graphs=ALL_GRAPHS, seeds=2, epochs=None,
                 folds=0),
    "gpu": dict(preset="casme2", overrides={}, biases=(0.0, 2.0, 4.0), graphs=ALL_GRAPHS, seeds=2, epochs=None,
                folds=3),
}


def make_pair(root: Path, preset: str, bias: float, overrides: dict, seed_a: int = 11, seed_b: int = 22):
    """Write corpus A (bias ``bias``) and corpus B (no bias, other seed) of one preset; returns their sources."""
    from causalex.bias import CorpusSource
    from causalex.simulate import generate_corpus, write_corpus

    sources = []
    for name, strength, seed in ((f"A_bias{bias:g}", bias, seed_a), ("B_bias0", 0.0, seed_b)):
        folder = root / name
        if not (folder / "labels.csv").exists():
            write_corpus(generate_corpus(preset, bias=strength, seed=seed, **overrides), folder)
        sources.append(CorpusSource(name, str(folder), str(folder / "labels.csv")))
    return sources


def bias_aus(preset: str) -> list[str]:
    """AUs the preset's bias latent drives."""
    from causalex.simulate import get_preset

    return list(get_preset(preset).bias.aus)


def bias_edge(graph, biased: list[str]) -> str:
    """How a graph links the bias AUs: e.g. ``<-> dropped``, ``--- used`` or ``none``."""
    from causalex.graph import display_edges

    pair = set(biased[:2])
    for e in display_edges(graph):
        if {e.source, e.target} == pair:
            i, j = graph.nodes.index(e.source), graph.nodes.index(e.target)
            used = bool(graph.adjacency[i, j] or graph.adjacency[j, i])
            return f"{e.kind} {'used' if used else 'dropped'}"
    return "none"


def run_sweep(spec: dict, device: str, workdir: Path, threads: int = 1, log=print, graph: dict | None = None
              ) -> list[dict]:
    """One bias study per strength; returns one row per (strength, variant).

    ``graph``: overrides of the training config's graph section (e.g. ``{"policy": "conservative"}``),
    which sets the causal variant's discovery.
    """
    from causalex.bias import StudyConfig, run_bias_study, summarise_runs
    from causalex.bias.backend import ModelBackend, load_experiment_config

    config = load_experiment_config(None, epochs=spec["epochs"]).merged({**TRAIN_OVERRIDES, "graph": graph or {}})
    config.optim.threads = threads
    backend = ModelBackend(config, device=device)
    biased = bias_aus(spec["preset"])
    rows = []
    for strength in spec["biases"]:
        train, test = make_pair(workdir, spec["preset"], strength, spec["overrides"])
        cfg = StudyConfig(variants=tuple(spec["graphs"]), seeds=tuple(range(spec["seeds"])), folds=spec["folds"],
                          reliance_aus=tuple(biased), timelines=0, discovery=config.graph.discovery_config())
        t0 = time.perf_counter()
        study = run_bias_study(train, test, backend, cfg)
        seconds = time.perf_counter() - t0
        summary = summarise_runs(study.runs)
        for variant in spec["graphs"]:
            runs = [r for r in study.runs if r.variant == variant]
            lean = {d: sum(r.reliance[d].drops()[au] for r in runs for au in biased) / len(runs)
                    for d in ("in_domain", "cross_domain")}
            row = {"bias": strength, "variant": variant, "seconds": seconds,
                   "bias_au_reliance_in": lean["in_domain"], "bias_au_reliance_cross": lean["cross_domain"],
                   "bias_edge": bias_edge(study.graphs[variant], biased)}
            for kind in ("overall", "macro", "micro"):
                for measure, stats in summary[variant][kind].items():
                    row[f"{kind}_{measure}_mean"], row[f"{kind}_{measure}_std"] = stats["mean"], stats["std"]
            rows.append(row)
            log(f"bias {strength:g} {variant:>12}: overall in {row['overall_in_domain_mean']:.3f} cross "
                f"{row['overall_cross_domain_mean']:.3f} drop {row['overall_drop_mean']:+.3f} (same models "
                f"{row['overall_drop_same_models_mean']:+.3f}); macro drop {row['macro_drop_mean']:+.3f}; bias-AU "
                f"reliance in {lean['in_domain']:+.3f} cross {lean['cross_domain']:+.3f}  ({seconds:.0f} s)")
    return rows


def plot_sweep(rows: list[dict], path: Path, title: str) -> None:
    """Drops against bias strength, one line per graph variant (error bars = spread over seeds), and reliance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (("macro_drop", "macro F1 drop, full model on B"),
              ("macro_drop_same_models", "macro F1 drop, same (fold) models on B"),
              ("overall_drop", "overall F1 drop, full model on B"))
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for variant in dict.fromkeys(r["variant"] for r in rows):
        mine = sorted((r for r in rows if r["variant"] == variant), key=lambda r: r["bias"])
        x = [r["bias"] for r in mine]
        for ax, (key, _) in zip(axes.flat, panels):
            ax.errorbar(x, [r[f"{key}_mean"] for r in mine], yerr=[r[f"{key}_std"] for r in mine], marker="o",
                        capsize=3, label=variant)
        axes[1, 1].plot(x, [r["bias_au_reliance_in"] for r in mine], marker="o", label=variant)
    for ax, (_, name) in zip(axes.flat, panels + ((None, "reliance on the bias AUs (in-domain on A)"),)):
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set(xlabel="bias strength of corpus A", title=name)
        ax.grid(alpha=0.3)
    for ax in axes.flat[:3]:
        ax.set_ylabel("in-domain F1 - cross-domain F1")
    axes[1, 1].set_ylabel("F1 lost, one bias AU removed (summed)")
    axes[0, 0].legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _pm(r: dict, key: str, signed: bool = False) -> str:
    return f"{r[key + '_mean']:{'+' if signed else ''}.3f} ± {r[key + '_std']:.3f}"


def results_table(rows: list[dict]) -> str:
    """Markdown table of the sweep (mean ± spread over seeds)."""
    lines = ["| bias | variant | in-domain F1 | cross-domain F1 | drop | drop, same models | macro: in / cross | "
             "macro drop | macro drop, same models | micro drop | F1 lost w/o a bias AU, summed (in / cross) | "
             "bias-AU edge in the graph |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['bias']:g} | {r['variant']} | {_pm(r, 'overall_in_domain')} | "
                     f"{_pm(r, 'overall_cross_domain')} | {_pm(r, 'overall_drop', True)} | "
                     f"{_pm(r, 'overall_drop_same_models', True)} | {r['macro_in_domain_mean']:.3f} / "
                     f"{r['macro_cross_domain_mean']:.3f} | {_pm(r, 'macro_drop', True)} | "
                     f"{_pm(r, 'macro_drop_same_models', True)} | {_pm(r, 'micro_drop', True)} | "
                     f"{r['bias_au_reliance_in']:+.3f} / {r['bias_au_reliance_cross']:+.3f} | {r['bias_edge']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the sweep, append the results to RESULTS.md, write the plot."""
    from causalex.discover.debias import POLICIES
    from causalex.discover.pipeline import BACKGROUNDS
    from causalex.train.config import GraphConfig

    parser = argparse.ArgumentParser(description="Cross-domain F1 drop against simulated bias strength.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="2 strengths, the causal variant only, 1 seed")
    group.add_argument("--gpu", action="store_true", help="casme2-shaped corpora, 3-fold in-domain, 2 seeds")
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--workdir", default=None, help="keep the simulated corpora here (default: a temp folder)")
    parser.add_argument("--no-append", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument("--json", default=None, help="also write the rows as JSON to this file")
    parser.add_argument("--graphs", default=None, help="comma-separated graph variants (default: the set's)")
    parser.add_argument("--policy", default=None, choices=POLICIES,
                        help="debiasing policy of the causal variant (default: the training config's)")
    parser.add_argument("--background", default=None, choices=BACKGROUNDS,
                        help="background knowledge of the causal variant (default: the training config's)")
    args = parser.parse_args(argv)
    name = "quick" if args.quick else "gpu" if args.gpu else "full"
    spec = dict(SETS[name])
    if args.graphs:
        bad = [g for g in args.graphs.split(",") if g not in ALL_GRAPHS]
        if bad:
            parser.error(f"--graphs: unknown variant(s) {', '.join(bad)}; valid: {', '.join(ALL_GRAPHS)}")
        spec["graphs"] = tuple(args.graphs.split(","))
    graph = {k: v for k, v in (("policy", args.policy), ("background", args.background)) if v is not None}
    causal = GraphConfig(**graph)
    # plots of runs that differ from the set's defaults get their own name (an earlier plot stays valid)
    tag = "_".join(([args.graphs.replace(",", "-")] if args.graphs else []) + [f"{k}-{v}" for k, v in graph.items()])
    stem = f"bias_drop_vs_strength_{name}" + (f"_{tag}" if tag else "")
    command = script_command(__file__, argv)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_bias_") as tmp:
        rows = run_sweep(spec, args.device, Path(args.workdir or tmp), args.threads, graph=graph)
    total = time.perf_counter() - t0
    plot = PLOTS / f"{stem}.png"
    plot_sweep(rows, plot, f"{spec['preset']} preset{' ' + str(spec['overrides']) if spec['overrides'] else ''}: "
                           f"A biased at strength b "
                           f"(AUs {'+'.join(bias_aus(spec['preset']))}), B unbiased; {spec['seeds']} seed(s)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2) + "\n")
    if not args.no_append:
        body = (f"Set `{name}`: preset `{spec['preset']}`{' ' + str(spec['overrides']) if spec['overrides'] else ''}, "
                f"corpus A with bias strength b on "
                f"{'+'.join(bias_aus(spec['preset']))} (seed 11), corpus B unbiased (seed 22), graph variants "
                f"{', '.join(spec['graphs'])} (causal: {causal.method.upper()}, {causal.policy} policy, background "
                f"{causal.background}), {spec['seeds']} seed(s), epochs: {spec['epochs'] or 'config default'}, "
                f"in-domain: {'LOSO' if spec['folds'] == 0 else str(spec['folds']) + ' folds by subject'}, "
                f"training overrides {json.dumps(TRAIN_OVERRIDES)}, reliance on the bias AUs only. "
                f"Drop = in-domain F1 (out of fold) - cross-domain F1 of the model trained on all of A; drop, same "
                f"models = in-domain F1 - mean F1 on B of the in-domain fold models (domain shift alone). Overall "
                f"rows unless named; mean ± spread (sample sd) over seeds. Total {total:.0f} s."
                f"\n\n{results_table(rows)}\n\n![drop vs bias](plots/{plot.name})\n")
        append_section(f"Simulated bias study ({name})", command, body)
    print(f"done in {total:.0f} s; plot {plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
