"""Spotting accuracy of the trained spotter on a simulated corpus, with honest selection, vs baselines.

For each graph variant (default: the per-fold discovered ``causal`` graph and the ``none`` ablation) it
runs `causalex.train.experiment.run_experiment` with leave-one-subject-out (or k-fold) cross-validation,
epoch and thresholds chosen on inner-validation subjects only, and reports the MEGC F1 of the
out-of-fold predictions. Baselines: the untrained threshold spotter with its default setting, and the
same spotter with its threshold tuned on all labels (an optimistic upper bound for it).

    python benchmarks/bench_train_accuracy.py                       # casme2, LOSO, causal + none
    python benchmarks/bench_train_accuracy.py --protocol kfold --folds 5
    python benchmarks/bench_train_accuracy.py --quick               # small preset, 3-fold, few epochs
    python benchmarks/bench_train_accuracy.py --gpu                 # --device cuda
    python benchmarks/bench_train_accuracy.py --graphs true,none    # the simulator's true graph (oracle)

``--graphs`` takes the names of `causalex train --graph` (causal, cooccurrence, facs, full, none), graph
files, and ``true``: the simulated corpus's own mechanism graph (an oracle no real corpus has; it shows
what a perfect discovery step would give).

Appends a section to benchmarks/RESULTS.md (``--no-append`` to print only).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

from causalex.metrics import evaluate_spotting  # noqa: E402
from causalex.simulate import generate_corpus  # noqa: E402
from causalex.spot.threshold import ThresholdConfig, ThresholdSpotter, activity_curve  # noqa: E402
from causalex.train.config import ExperimentConfig  # noqa: E402
from causalex.train.experiment import run_experiment  # noqa: E402
from causalex.train.graphs import GRAPH_NAMES  # noqa: E402


def threshold_baselines(series, labels) -> list[tuple[str, dict]]:
    """The untrained spotter at its default threshold and at the best threshold on all labels."""
    default = ThresholdConfig()
    curves = [activity_curve(s, default) for s in series]  # the curve does not depend on the threshold

    def spot(config: ThresholdConfig) -> list:
        spotter = ThresholdSpotter(config)
        return [iv for s, c in zip(series, curves) for iv in spotter.intervals(s, c)]

    out = [("threshold spotter (untrained, default threshold)", evaluate_spotting(spot(default), labels).to_json())]
    best = None
    for thr in np.arange(2.0, 20.01, 1.0):
        scores = evaluate_spotting(spot(replace(default, threshold=float(thr))), labels).to_json()
        if best is None or scores["overall"]["f1"] > best[1]["overall"]["f1"]:
            best = (float(thr), scores)
    out.append((f"threshold spotter, threshold {best[0]:g} tuned on ALL labels (optimistic)", best[1]))
    return out


def simulator_version() -> str:
    """Commit of the simulator's code, and whether the working tree changes it (results depend on it)."""
    import subprocess

    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "log", "-1", "--format=%h", "--", "causalex/simulate"], cwd=root,
                                capture_output=True, text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "causalex/simulate"], cwd=root,
                               capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return f"{commit or 'uncommitted'}{' + local changes' if dirty else ''}"


def graph_run_names(spec: str) -> tuple[str, str]:
    """Display name and model-folder name of a ``--graphs`` entry (a graph file is named by its stem, so
    that its folder never lands on the file itself)."""
    if spec == "true" or spec in GRAPH_NAMES:
        return spec, spec
    stem = Path(spec).stem
    return stem, f"file-{stem}"


def main(argv: list[str] | None = None) -> int:
    """Train and score each graph variant, print the table, append it to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default=None, help="simulator preset (default casme2; small with --quick)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the corpus and of training")
    parser.add_argument("--protocol", default=None, choices=("loso", "kfold"), help="default loso (kfold with --quick)")
    parser.add_argument("--folds", type=int, default=None, help="folds of kfold (default 5; 3 with --quick)")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default: the config's)")
    parser.add_argument("--graphs", default="causal,none", help="comma-separated graph variants to train: names of "
                        "`causalex train --graph`, graph files, or `true` (the simulator's mechanism, an oracle)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--quick", action="store_true", help="small preset, 3-fold, 4 epochs (a few minutes)")
    parser.add_argument("--gpu", action="store_true", help="--device cuda")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out", default=None, help="keep the model folders here (default: a temporary folder)")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="SECTION.FIELD=JSON",
                        help="training config override, e.g. --set model.readout='\"mean\"' (repeatable)")
    args = parser.parse_args(argv)
    device = torch.device("cuda" if args.gpu else args.device)
    preset = args.preset or ("small" if args.quick else "casme2")
    protocol = args.protocol or ("kfold" if args.quick else "loso")
    folds = args.folds or (3 if args.quick else 5)
    epochs = args.epochs or (4 if args.quick else None)
    overrides = {"optim": {"threads": args.threads}, "protocol": {"protocol": protocol, "folds": folds,
                                                                   "final_model": False}}
    if epochs:
        overrides["optim"]["epochs"] = epochs
    for item in args.settings:
        key, _, value = item.partition("=")
        section, _, name = key.partition(".")
        overrides.setdefault(section, {})[name] = json.loads(value)
    config = ExperimentConfig().merged(overrides)
    config.seed = args.seed

    t0 = time.perf_counter()
    sim_version = simulator_version()
    corpus = generate_corpus(preset, seed=args.seed)
    series, labels = corpus.series, corpus.labels
    print(f"corpus {preset}: {len(series)} videos, {sum(s.n_frames for s in series):,} frames, "
          f"{sum(iv.type == 'macro' for iv in labels)} macro / {sum(iv.type == 'micro' for iv in labels)} micro "
          f"({time.perf_counter() - t0:.1f} s)", flush=True)
    rows = threshold_baselines(series, labels)
    for name, scores in rows:
        print(f"{name}: F1 {scores['overall']['f1']:.3f}", flush=True)
    out_root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="causalex-bench-"))
    timings: dict[str, float] = {}
    per_fold: dict[str, list] = {}
    out_root.mkdir(parents=True, exist_ok=True)
    for graph_spec in [g.strip() for g in args.graphs.split(",") if g.strip()]:
        t1 = time.perf_counter()
        graph, run_dir = graph_run_names(graph_spec)
        if graph_spec == "true":
            graph_spec = str(out_root / "true_graph.json")
            corpus.true_graph.save(graph_spec)

        def on_event(event: dict, graph: str = graph) -> None:
            if event["kind"] == "fold_done":
                r = event["record"]
                print(f"[{graph}] fold {r['fold']} ({event['index']}/{event['total']}): F1 {r['overall_f1']:.3f} "
                      f"micro {r['micro_f1']:.3f} macro {r['macro_f1']:.3f} epoch {r['best_epoch']} "
                      f"({time.perf_counter() - t1:.0f} s)", flush=True)

        result = run_experiment(series, labels, config, graph_spec, out_root / run_dir, device, on_event=on_event,
                                command="bench_train_accuracy")
        timings[graph] = time.perf_counter() - t1
        rows.append((f"AU-graph spotter, graph `{graph}`", result.metrics))
        per_fold[graph] = [(r["fold"], r["overall_f1"], r["micro_f1"]) for r in result.folds]

    sel = "inner-validation subjects" if not config.protocol.select_on_test else "TEST subjects (optimistic)"
    n_folds = len({s.subject for s in series}) if protocol == "loso" else folds
    lines = [f"Corpus: `generate_corpus('{preset}', seed={args.seed})`, simulator at {sim_version} ({len(series)} videos, "
             f"{len({s.subject for s in series})} subjects, {sum(iv.type == 'macro' for iv in labels)} macro / "
             f"{sum(iv.type == 'micro' for iv in labels)} micro). Protocol: {protocol} ({n_folds} folds), epoch and "
             f"thresholds chosen on {sel}; out-of-fold predictions pooled, MEGC rule (IoU >= 0.5).", "",
             "| method | micro F1 | macro F1 | overall F1 | overall P / R | TP / pred / GT | train time |",
             "|---|---|---|---|---|---|---|"]
    for name, m in rows:
        o = m["overall"]
        t = next((f"{v / 60:.1f} min" for k, v in timings.items() if f"`{k}`" in name), "-")
        lines.append(f"| {name} | {m['micro']['f1']:.3f} | {m['macro']['f1']:.3f} | **{o['f1']:.3f}** | "
                     f"{o['precision']:.3f} / {o['recall']:.3f} | {o['tp']} / {o['n_pred']} / {o['n_gt']} | {t} |")
    lines.append("")
    for graph, folds_f1 in per_fold.items():
        lines.append(f"- Per-fold overall F1 (micro F1), graph `{graph}`: "
                     + ", ".join(f"{name} {f:.2f} ({m:.2f})" for name, f, m in folds_f1))
    for name, m in rows:
        if "errors" in m:
            gt, pred = m["errors"]["ground_truth"]["micro"], m["errors"]["predictions"]["micro"]
            lines.append(f"- Where micro F1 is lost, {name}: ground truths found {gt['found']}, as macro "
                         f"{gt['other_type']}, boundary {gt['boundary']}, missed {gt['missed']}; predictions match "
                         f"{pred['matched']}, on a macro {pred['other_type']}, boundary {pred['boundary']}, false alarm "
                         f"{pred['false_alarm']}.")
    lines += [f"- Config: defaults of `causalex.train.config` ({config.optim.epochs} epochs, working rate "
                  f"{config.data.working_fps:g} fps, window {config.data.window_s:g} s); device {device}, "
                  f"torch threads {args.threads}; model folders in `{out_root}`; load average at the end: "
                  f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}."]
    body = "\n".join(lines)
    print(body)
    if not args.no_append:
        append_section(f"Spotting accuracy on simulated {preset} ({protocol})", script_command(__file__, argv), body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
