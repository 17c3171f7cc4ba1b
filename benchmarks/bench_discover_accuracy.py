"""Graph recovery on simulated corpora: skeleton and kept-edge precision/recall against the true mechanism.

For each seed the simulator's biased corpus (`causalex.simulate.generate_corpus`) is discovered with
several sampling set-ups (the default lagged features, plain AU levels as in "FCI over frames", and
differences). Reported per set-up, as the mean over seeds:

* skeleton P/R: AU pairs adjacent in the graph (stability >= threshold), excluding the bias pair,
  against the true mechanism's edges (the simulator's ``true_graph.json``, kept edges);
* kept P/R: the same for the edges the debiasing keeps (what the model uses);
* direction P: kept message directions i -> j that match a true ``cause -> effect``;
* FP on latents: the share of false-positive skeleton edges that join two AUs driven by one latent
  of the generator (an emotion pattern or a gesture with several root AUs, or their mechanism
  descendants): real dependencies without a direct edge, which FCI should report as ``<->``;
* bias: how the bias pair (AUs tied by the dataset's latent, e.g. AU14-AU23) came out, per seed:
  kind and ``kept``/``dropped``;
* time: median seconds per discovery (bootstrap included).

    python benchmarks/bench_discover_accuracy.py --quick     # 2 seeds, 20 bootstrap runs (~1 min, 2 cores)
    python benchmarks/bench_discover_accuracy.py             # 5 seeds, 50 bootstrap runs
    python benchmarks/bench_discover_accuracy.py --gpu       # casme2-shaped corpora, 100 runs

Appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

SETS = {  # preset, seeds, bootstrap runs
    "quick": dict(preset="small", seeds=(0, 1), bootstrap=20),
    "full": dict(preset="small", seeds=(0, 1, 2, 3, 4), bootstrap=50),
    "gpu": dict(preset="casme2", seeds=(0, 1, 2), bootstrap=100),
}
SETUPS = {  # name -> sampling overrides
    "lagged (default)": dict(features="lagged"),
    "level (FCI over frames)": dict(features="level"),
    "diff": dict(features="diff"),
}


def latent_pairs() -> set[frozenset]:
    """AU pairs that share a latent driver in the simulator (co-driven roots and their descendants)."""
    from causalex.simulate import mechanism

    children: dict[str, set[str]] = {}
    for e in mechanism.MECHANISM:
        children.setdefault(e.cause, set()).add(e.effect)

    def family(au: str) -> set[str]:
        out, todo = {au}, [au]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in out:
                    out.add(child)
                    todo.append(child)
        return out

    groups = [p for patterns in mechanism.EMOTION_PATTERNS.values() for p in patterns]
    groups += list(getattr(mechanism, "GESTURES", ()))
    pairs = set()
    for group in groups:
        roots = list(group)
        for i, a in enumerate(roots):
            for b in roots[i + 1:]:
                pairs |= {frozenset((x, y)) for x in family(a) for y in family(b) if x != y}
    return pairs


def score(graph, truth_graph) -> dict:
    """Precision/recall of one discovered graph against the simulator's true graph."""
    true_pairs = {frozenset((e.source, e.target)) for e in truth_graph.edges if e.kept}
    true_dirs = {(e.source, e.target) for e in truth_graph.edges if e.kept}
    bias_pairs = {frozenset((e.source, e.target)) for e in truth_graph.edges if not e.kept}
    threshold = graph.provenance.get("threshold") or 0.0
    found = {frozenset((e.source, e.target)) for e in graph.edges if e.stability >= threshold} - bias_pairs
    kept = {frozenset((e.source, e.target)) for e in graph.kept_edges()}
    nodes = graph.nodes
    dirs = {(nodes[i], nodes[j]) for i, j in zip(*graph.adjacency.nonzero())}
    bias = [f"{e.kind} {'kept' if e.kept else 'dropped'}" for e in graph.edges
            if frozenset((e.source, e.target)) in bias_pairs and e.stability >= threshold]

    def ratio(a, b):
        return len(a & b) / len(a) if a else 0.0

    false_pos = found - true_pairs
    return {"skel_p": ratio(found, true_pairs), "skel_r": ratio(true_pairs, found),
            "fp_latent": ratio(false_pos, latent_pairs()),
            "kept_p": ratio(kept, true_pairs), "kept_r": ratio(true_pairs, kept), "dir_p": ratio(dirs, true_dirs),
            "bias": ", ".join(bias) or "absent"}


def run_set(spec: dict, device: str) -> list[dict]:
    """Discover every set-up on every seed's corpus; one row per set-up."""
    from causalex.discover.pipeline import DiscoveryConfig, discover_graph
    from causalex.discover.sampling import SamplingOptions
    from causalex.simulate import generate_corpus

    per_setup: dict[str, list[dict]] = {name: [] for name in SETUPS}
    for seed in spec["seeds"]:
        corpus = generate_corpus(spec["preset"], seed=seed)
        for name, overrides in SETUPS.items():
            cfg = DiscoveryConfig(bootstrap=spec["bootstrap"], seed=seed, device=device,
                                  sampling=SamplingOptions(**overrides))
            t0 = time.perf_counter()
            graph = discover_graph(corpus.series, corpus.labels, cfg)
            row = score(graph, corpus.true_graph)
            row["time_s"] = time.perf_counter() - t0
            per_setup[name].append(row)
            print(f"seed {seed} {name:24s} skeleton P {row['skel_p']:.2f} R {row['skel_r']:.2f} (FP on latents "
                  f"{row['fp_latent']:.2f})  kept P "
                  f"{row['kept_p']:.2f} R {row['kept_r']:.2f}  dir P {row['dir_p']:.2f}  bias {row['bias']}  "
                  f"{row['time_s']:.1f} s", flush=True)
    rows = []
    for name, runs in per_setup.items():
        mean = {k: statistics.fmean(r[k] for r in runs)
                for k in ("skel_p", "skel_r", "fp_latent", "kept_p", "kept_r", "dir_p")}
        rows.append({"setup": name, **mean, "bias": "; ".join(r["bias"] for r in runs),
                     "time_s": statistics.median(r["time_s"] for r in runs)})
    return rows


def results_table(rows: list[dict]) -> str:
    """Markdown table of the per-set-up means."""
    lines = ["| set-up | skeleton P | skeleton R | FP on latents | kept P | kept R | direction P | bias pair per seed "
             "| s / discovery |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['setup']} | {r['skel_p']:.2f} | {r['skel_r']:.2f} | {r['fp_latent']:.2f} | {r['kept_p']:.2f} | "
                     f"{r['kept_r']:.2f} | {r['dir_p']:.2f} | {r['bias']} | {r['time_s']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the set, print the table, append it to RESULTS.md."""
    parser = argparse.ArgumentParser(description="AU graph recovery on simulated corpora.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="2 seeds, 20 bootstrap runs")
    group.add_argument("--gpu", action="store_true", help="casme2-shaped corpora, 3 seeds, 100 bootstrap runs")
    parser.add_argument("--device", default="auto", help="batched bootstrap tests: auto, cpu or cuda")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    args = parser.parse_args(argv)
    name = "quick" if args.quick else "gpu" if args.gpu else "full"
    spec = SETS[name]
    command = script_command(__file__, argv)
    t0 = time.perf_counter()
    rows = run_set(spec, args.device)
    table = results_table(rows)
    print(table)
    if not args.no_append:
        body = (f"Set `{name}`: preset `{spec['preset']}` (default bias), seeds {list(spec['seeds'])}, "
                f"{spec['bootstrap']} bootstrap runs over subjects, threshold 0.5, FCI fast engine, alpha 0.001, "
                f"auto stride (a frame every 0.1 s, at most 20,000 frames), policy conservative. Truth: the simulator's mechanism edges; the bias pair is "
                f"excluded from the skeleton score and reported on its own. Means over seeds; time is the median. "
                f"Total {time.perf_counter() - t0:.0f} s.\n\n{table}\n")
        append_section(f"Discovery accuracy on simulated corpora ({name})", command, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
