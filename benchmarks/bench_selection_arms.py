"""Where does cross-corpus F1 come from: the AU selection, the causal graph's edges, or the oracle's knowledge?

Trains on all of corpus A and scores corpus B (cross-domain only, no in-domain folds: cheap enough for many
seeds) with the same model settings and one graph per arm:

* ``none``: no graph, every AU;
* ``oracle_exclude``: no graph, A's true bias AUs (the simulator's truth) left out of the model's AU list;
* ``none_mask_sel``: no graph, the AUs the causal graph's selection leaves out masked (what the selection
  alone is worth);
* ``causal``: the default causal graph (time-series discovery on A with B's AU series as a context; edges
  and selection), as ``causalex bias`` and ``train --context`` use it;
* ``causal_nosel``: the causal graph's edges without its selection (every AU).

    python benchmarks/bench_selection_arms.py --mechanism 0 --train family-a --test family-c --seeds 0,1,2

Appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

ARMS = ("none", "oracle_exclude", "none_mask_sel", "causal", "causal_nosel")


def arm_graphs(a, b, test_name: str) -> tuple[dict, list[str], list[str]]:
    """The graph of every arm, A's true bias AUs and the AUs the causal selection leaves out."""
    from causalex.discover.pipeline import DiscoveryConfig, discover_graph
    from causalex.graph import AUGraph, empty_graph

    bias = list(a.summary["bias"]["aus"])
    names = list(a.series[0].au_names)
    causal = discover_graph(a.series, a.labels, DiscoveryConfig(), contexts={test_name: b.series})
    zero = np.zeros((len(names), len(names)), np.int8)
    graphs = {"none": empty_graph(names), "oracle_exclude": empty_graph([n for n in names if n not in bias]),
              "none_mask_sel": AUGraph(nodes=names, adjacency=zero, selection=causal.selection, name="none"),
              "causal": causal,
              "causal_nosel": AUGraph(nodes=names, edges=causal.edges, adjacency=causal.adjacency, name="causal")}
    return graphs, bias, causal.deselected()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mechanism", type=int, default=0, help="random-mechanism seed of the family")
    parser.add_argument("--train", default="family-a", help="family member trained on")
    parser.add_argument("--test", default="family-c", help="family member tested on")
    parser.add_argument("--seeds", default="0,1,2", help="training seeds")
    parser.add_argument("--arms", default=",".join(ARMS), help=f"arms to run (of {', '.join(ARMS)})")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--no-append", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    from causalex.bias.backend import ModelBackend, load_experiment_config
    from causalex.metrics import evaluate_spotting
    from causalex.simulate import generate_family

    family = generate_family("family", seed=args.mechanism, mechanism="random", mechanism_seed=args.mechanism)
    a, b = family[args.train], family[args.test]
    graphs, bias, left_out = arm_graphs(a, b, args.test)
    config = load_experiment_config(None)
    config.optim.threads = args.threads
    backend = ModelBackend(config, device="cpu")
    seeds = [int(s) for s in args.seeds.split(",")]
    lines = [f"A = {args.train}, B = {args.test} (random mechanism {args.mechanism}); A's bias AUs "
             f"{'+'.join(bias)}; the causal selection leaves out {'+'.join(left_out) or 'none'}. Cross-domain F1 on "
             f"B of a model trained on all of A, mean over seeds {args.seeds}:", "",
             "| arm | overall | micro | macro | overall per seed |", "|---|---|---|---|---|"]
    for arm in args.arms.split(","):
        scores = []
        for seed in seeds:
            t0 = time.perf_counter()
            preds = backend.predict(backend.fit(a.series, a.labels, graphs[arm], seed), b.series)
            res = evaluate_spotting(preds, b.labels)
            scores.append((res["overall"].f1, res["micro"].f1, res["macro"].f1))
            print(f"{arm} seed {seed}: {scores[-1][0]:.3f} ({time.perf_counter() - t0:.0f} s)", flush=True)
        s = np.array(scores)
        lines.append(f"| {arm} | {s[:, 0].mean():.3f} | {s[:, 1].mean():.3f} | {s[:, 2].mean():.3f} | "
                     f"{', '.join(f'{v:.3f}' for v in s[:, 0])} |")
    body = "\n".join(lines) + "\n"
    print(body)
    if not args.no_append:
        append_section("AU selection vs graph edges vs oracle: cross-domain F1 by arm", script_command(__file__, None),
                       body)


if __name__ == "__main__":
    main()
