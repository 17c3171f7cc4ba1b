"""Time-series discovery against the simulator's truth over many corpora: mechanisms, lags, rates, biases.

Corpora: families of random lagged mechanisms (`causalex.simulate.generate_family`, ``mechanism="random"``:
8-12 edges, lags 0.02-0.2 s, some shorter than a frame) with their four members (family-a: a two-AU bias
with a per-AU delay; family-b: a bias on mechanism AUs; family-c: a weak one-AU bias; family-hf: 200 fps),
plus the ``sparse`` preset (under one expression a minute, speech, head turns) and the fixed-mechanism
``small`` preset. Each corpus is discovered

* ``alone``: `causal discover` defaults on the corpus only, edges read with ``--policy conservative`` (the `-->`
  edges kept: what that policy passes to a model; the default ``selection-only`` passes none, so "kept" below
  means kept by the conservative reading);
* ``context``: the same with a sibling corpus (same mechanism, another bias) as an unlabelled context;
* ``fci``: the previous default (lagged FCI, lenient policy, FACS background), for comparison.

Skeleton precision counts every pair the graph links (kept or dropped, ``o-o`` and ``<->`` included) that is
not a mechanism edge as a false positive, even where two AUs share a hidden driver (an emotion pattern's two
roots) and a PAG should link them; "kept edges on true pairs" is the precision of what a model uses.

Scores per corpus, against the true mechanism (``true_graph.json``): skeleton recall and precision (AU pairs
adjacent in the graph vs mechanism pairs); kept true edges and the share of them pointing cause -> effect;
bias links kept (kept edges joining two AUs of the corpus's bias latent that no mechanism edge joins);
AUs the selection leaves out, and which of them are bias AUs or mechanism AUs; seconds per discovery.

    python benchmarks/bench_discover_ts.py --quick     # 4 corpora
    python benchmarks/bench_discover_ts.py             # 24 corpora (5 mechanisms x 4 members, sparse, small)

Appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

SETS = {  # random-mechanism seeds, extra presets (name, seed), arms
    "quick": dict(mechanisms=(0,), extra=(), arms=("alone", "context")),
    "full": dict(mechanisms=(0, 1, 2, 3, 4), extra=(("sparse", 0), ("sparse", 1), ("small", 0), ("small", 1)),
                 arms=("alone", "context", "fci")),
}
SIBLING = {"family-a": "family-c", "family-b": "family-a", "family-c": "family-a", "family-hf": "family-a"}


def score(graph, corpus) -> dict:
    """Scores of one discovered graph against the simulated corpus's truth (see the module doc)."""
    true = {(e.source, e.target) for e in corpus.true_graph.edges if e.kept}
    pairs = {frozenset(p) for p in true}
    bias = list(corpus.summary["bias"]["aus"])
    bias_pairs = {frozenset(p) for p in itertools.combinations(bias, 2)} - pairs
    adjacent = {frozenset((e.source, e.target)) for e in graph.edges}
    kept = [e for e in graph.edges if e.kept]
    kept_true = [e for e in kept if frozenset((e.source, e.target)) in pairs]
    right = sum((e.kind == "-->" and (e.source, e.target) in true) or (e.kind == "<--" and (e.target, e.source) in true)
                for e in kept_true)
    mechanism_aus = {a for p in true for a in p}
    off = graph.deselected()
    return {"recall": len(adjacent & pairs) / len(pairs), "precision": len(adjacent & pairs) / max(len(adjacent), 1),
            "true": len(pairs), "kept_true": len(kept_true), "right": right, "kept": len(kept),
            "bias_kept": sum(frozenset((e.source, e.target)) in bias_pairs for e in kept),
            "bias_aus": bias, "off_bias": [a for a in off if a in bias],
            "off_mechanism": [a for a in off if a in mechanism_aus and a not in bias],
            "off_other": [a for a in off if a not in mechanism_aus and a not in bias]}


def corpora(spec: dict):
    """(label, corpus, sibling corpus or None) for every corpus of the set."""
    from causalex.simulate import generate_corpus, generate_family

    for mech in spec["mechanisms"]:
        family = generate_family("family", seed=mech, mechanism="random", mechanism_seed=mech)
        for name, corpus in family.items():
            yield f"mech {mech} {name} ({corpus.series[0].fps:g} fps)", corpus, family[SIBLING[name]]
    for preset, seed in spec["extra"]:
        corpus = generate_corpus(preset, seed=seed)
        sibling = generate_corpus(preset, seed=seed + 100, bias=0.0)
        yield f"{preset} seed {seed} ({corpus.series[0].fps:g} fps)", corpus, sibling


def run_arm(arm: str, corpus, sibling) -> tuple[object, float]:
    """Discover one corpus the way ``arm`` says; returns (graph, seconds)."""
    from causalex.discover.pipeline import DiscoveryConfig, discover_graph
    from causalex.train.config import GraphConfig

    t0 = time.perf_counter()
    if arm == "fci":
        graph = discover_graph(corpus.series, corpus.labels, GraphConfig(method="fci").discovery_config())
    else:
        contexts = {"sibling": sibling.series} if arm == "context" else None
        graph = discover_graph(corpus.series, corpus.labels, DiscoveryConfig(policy="conservative"), contexts=contexts)
    return graph, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one mechanism (4 corpora)")
    parser.add_argument("--no-append", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    set_name = "quick" if args.quick else "full"
    spec = SETS[set_name]
    rows = []
    for label, corpus, sibling in corpora(spec):
        for arm in spec["arms"]:
            graph, seconds = run_arm(arm, corpus, sibling)
            s = score(graph, corpus)
            rows.append({"corpus": label, "arm": arm, "seconds": seconds, **s})
            print(f"{label:32s} {arm:8s} recall {s['recall']:.2f} precision {s['precision']:.2f} right "
                  f"{s['right']}/{s['kept_true']} bias kept {s['bias_kept']} off {s['off_bias']}/{s['off_mechanism']}"
                  f"/{s['off_other']} ({seconds:.2f} s)", flush=True)
    lines = ["| arm | corpora | skeleton recall (min) | skeleton precision | kept edges on true pairs | kept true edges "
             "the right way | corpora with a bias link kept | bias AUs left out | mechanism AUs left out | "
             "s per corpus (median) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for arm in spec["arms"]:
        mine = [r for r in rows if r["arm"] == arm]
        right, kept_true = sum(r["right"] for r in mine), sum(r["kept_true"] for r in mine)
        n_bias = sum(len(r["bias_aus"]) for r in mine)
        lines.append(f"| {arm} | {len(mine)} | {statistics.mean(r['recall'] for r in mine):.3f} "
                     f"({min(r['recall'] for r in mine):.2f}) | {statistics.mean(r['precision'] for r in mine):.3f} | "
                     f"{kept_true}/{sum(r['kept'] for r in mine)} = {kept_true / max(sum(r['kept'] for r in mine), 1):.3f} | "
                     f"{right}/{kept_true} = {right / max(kept_true, 1):.3f} | "
                     f"{sum(r['bias_kept'] > 0 for r in mine)} | {sum(len(r['off_bias']) for r in mine)}/{n_bias} | "
                     f"{sum(len(r['off_mechanism']) for r in mine)} | {statistics.median(r['seconds'] for r in mine):.2f} |")
    lines += ["", "Per corpus (recall / precision / right-way kept / bias links kept / AUs left out: bias, mechanism, "
              "other):", "", "| corpus | arm | recall | precision | right way | bias kept | left out |",
              "|---|---|---|---|---|---|---|"]
    for r in rows:
        left = "; ".join(f"{k} {'+'.join(r[f'off_{k}'])}" for k in ("bias", "mechanism", "other") if r[f"off_{k}"])
        lines.append(f"| {r['corpus']} | {r['arm']} | {r['recall']:.2f} | {r['precision']:.2f} | "
                     f"{r['right']}/{r['kept_true']} | {r['bias_kept']} | {left or '-'} |")
    body = "\n".join(lines) + "\n"
    print(body)
    if not args.no_append:
        append_section(f"Time-series discovery against the truth over simulated corpora ({set_name})",
                       script_command(__file__, None), body)


if __name__ == "__main__":
    main()
