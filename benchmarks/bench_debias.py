"""Does the default causal variant keep a corpus's bias out of the model? Against an oracle and no graph.

For each random mechanism (`causalex.simulate.generate_family`, ``mechanism="random"``) and each pair
(train corpus A, test corpus B) of the family, `causalex.bias.run_bias_study` trains on A and tests on B:

* ``causal``: the default causal variant (time-series discovery; B's AU series as an unlabelled context,
  B's labels read only after training; the AU selection masks what it leaves out);
* ``none``: no graph, every AU;
* ``oracle``: no graph, A's true bias AUs left out by hand (``--exclude-aus``; the simulator's truth).

In-domain F1 is the out-of-fold F1 on A (folds by subject), cross-domain F1 the full model's on B. Deltas
between arms are pooled over every pair (counts summed) with a paired bootstrap over subjects (the same
draw of A's and B's subjects for every arm, resampled within each pair).

    python benchmarks/bench_debias.py --quick      # one mechanism, one pair
    python benchmarks/bench_debias.py              # three mechanisms, three pairs (30 and 200 fps)

Appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

PAIRS = (("family-a", "family-c"), ("family-b", "family-a"), ("family-hf", "family-a"))
SETS = {  # random-mechanism seeds, (train, test) pairs, training seeds, in-domain folds, epochs (None: default)
    "quick": dict(mechanisms=(0,), pairs=PAIRS[:1], seeds=(0,), folds=3, epochs=None),
    "full": dict(mechanisms=(0, 1, 2), pairs=PAIRS, seeds=(0,), folds=3, epochs=None),
}
ARMS = ("causal", "none", "oracle")
KINDS = ("micro", "macro")
BOOT = 2000


def subject_counts(preds, truth, subject_of: dict[str, str]) -> dict[str, np.ndarray]:
    """Per subject: ``[type, (tp, n_pred, n_gt)]`` counts of the MEGC rule (types: micro, macro)."""
    from causalex.metrics import evaluate_spotting

    out = {}
    for subject in sorted(set(subject_of.values())):
        videos = {v for v, s in subject_of.items() if s == subject}
        res = evaluate_spotting([p for p in preds if p.video in videos], [t for t in truth if t.video in videos])
        out[subject] = np.array([[res[k].tp, res[k].n_pred, res[k].n_gt] for k in KINDS], float)
    return out


def f1(counts: np.ndarray) -> dict[str, float]:
    """F1 per type and overall from summed ``[type, (tp, n_pred, n_gt)]`` counts."""
    def one(tp, n_pred, n_gt):
        return 2 * tp / (n_pred + n_gt) if n_pred + n_gt else 0.0
    out = {k: one(*counts[i]) for i, k in enumerate(KINDS)}
    out["overall"] = one(*counts.sum(axis=0))
    return out


def run_pair(mech: int, train_name: str, test_name: str, spec: dict, backend, workdir: Path, log) -> dict:
    """One bias study (causal, none) and one oracle study; per-subject counts of every arm and domain."""
    from causalex.bias import CorpusSource, StudyConfig, run_bias_study
    from causalex.simulate import generate_family, write_family

    fam_dir = workdir / f"mech{mech}"
    if not fam_dir.exists():
        write_family(generate_family("family", seed=mech, mechanism="random", mechanism_seed=mech), fam_dir)
    import json

    truth_bias = json.loads((fam_dir / train_name / "corpus.json").read_text())["bias"]["aus"]
    src = {n: CorpusSource(n, str(fam_dir / n), str(fam_dir / n / "labels.csv")) for n in (train_name, test_name)}
    base = dict(seeds=tuple(spec["seeds"]), folds=spec["folds"], reliance=(), timelines=0,
                discovery=backend.config.graph.discovery_config())
    t0 = time.perf_counter()
    study = run_bias_study(src[train_name], src[test_name], backend, StudyConfig(variants=("causal", "none"), **base))
    oracle = run_bias_study(src[train_name], src[test_name], backend,
                            StudyConfig(variants=("none",), exclude_aus=tuple(truth_bias), **base))
    seconds = time.perf_counter() - t0
    from causalex.labels import read_labels_file

    out = {"mech": mech, "train": train_name, "test": test_name, "bias_aus": truth_bias, "seconds": seconds,
           "left_out": study.graphs["causal"].deselected(), "counts": {}}
    for domain, name in (("in_domain", train_name), ("cross_domain", test_name)):
        doc = read_labels_file(fam_dir / name / "labels.csv")
        truth, subject_of = doc.intervals, doc.videos  # every video of a simulated corpus is in its labels
        for arm, st, variant in (("causal", study, "causal"), ("none", study, "none"), ("oracle", oracle, "none")):
            for seed in spec["seeds"]:
                counts = subject_counts(st.predictions[(variant, seed, domain)], truth, subject_of)
                key = (arm, domain)
                prev = out["counts"].get(key)
                out["counts"][key] = counts if prev is None else {s: prev[s] + counts[s] for s in counts}
    line = ", ".join(f"{arm} in {f1(sum(out['counts'][(arm, 'in_domain')].values()))['overall']:.3f} / cross "
                     f"{f1(sum(out['counts'][(arm, 'cross_domain')].values()))['overall']:.3f}" for arm in ARMS)
    log(f"mech {mech} {train_name} -> {test_name}: bias AUs {'+'.join(truth_bias)}, left out "
        f"{'+'.join(out['left_out']) or 'none'}; overall F1 {line} ({seconds:.0f} s)")
    return out


def pooled_deltas(rows: list[dict], rng: np.random.Generator) -> dict[str, dict[str, tuple[float, float, float]]]:
    """Pooled F1 differences between arms with 95% paired-bootstrap intervals over subjects."""
    comparisons = {"causal - oracle": ("causal", "oracle"), "causal - none": ("causal", "none"),
                   "oracle - none": ("oracle", "none")}
    out: dict[str, dict[str, tuple[float, float, float]]] = {}
    for domain in ("in_domain", "cross_domain"):
        per_pair = []  # [pair] -> {arm: [S, 2, 3]}
        for r in rows:
            subjects = sorted(r["counts"][("causal", domain)])
            per_pair.append({arm: np.stack([r["counts"][(arm, domain)][s] for s in subjects]) for arm in ARMS})
        draws = [rng.integers(0, len(p["causal"]), size=(BOOT, len(p["causal"]))) for p in per_pair]
        for label, (a, b) in comparisons.items():
            for kind in ("micro", "overall"):
                def delta(index=None):
                    sums = {}
                    for arm in (a, b):
                        tot = np.zeros((2, 3))
                        for p, d in zip(per_pair, draws if index is not None else [None] * len(per_pair)):
                            tot += (p[arm] if d is None else p[arm][d[index]]).sum(axis=0)
                        sums[arm] = f1(tot)[kind]
                    return sums[a] - sums[b]
                boots = np.array([delta(i) for i in range(BOOT)])
                out.setdefault(f"{label} ({domain.replace('_', '-')})", {})[kind] = (
                    delta(), float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one mechanism, one pair")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--no-append", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    set_name = "quick" if args.quick else "full"
    spec = SETS[set_name]
    from causalex.bias.backend import ModelBackend, load_experiment_config

    config = load_experiment_config(None, epochs=spec["epochs"])
    config.optim.threads = args.threads
    backend = ModelBackend(config, device="cpu")
    rows = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for mech in spec["mechanisms"]:
            for train_name, test_name in spec["pairs"]:
                rows.append(run_pair(mech, train_name, test_name, spec, backend, Path(tmp), print))
    deltas = pooled_deltas(rows, np.random.default_rng(0))
    lines = ["| mechanism | A -> B | A's bias AUs | left out by the selection | causal in / cross | none in / cross | "
             "oracle in / cross |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        cells = []
        for arm in ARMS:
            fin = f1(sum(r["counts"][(arm, "in_domain")].values()))
            fcr = f1(sum(r["counts"][(arm, "cross_domain")].values()))
            cells.append(f"{fin['overall']:.3f} / {fcr['overall']:.3f} (micro {fin['micro']:.3f} / {fcr['micro']:.3f})")
        lines.append(f"| {r['mech']} | {r['train']} -> {r['test']} | {'+'.join(r['bias_aus'])} | "
                     f"{'+'.join(r['left_out']) or 'none'} | " + " | ".join(cells) + " |")
    lines += ["", "Pooled over the pairs (counts summed), paired bootstrap over subjects (2000 draws, 95%):", "",
              "| comparison | micro F1 difference | overall F1 difference |", "|---|---|---|"]
    for label, kinds in deltas.items():
        lines.append(f"| {label} | " + " | ".join(f"{kinds[k][0]:+.3f} [{kinds[k][1]:+.3f}, {kinds[k][2]:+.3f}]"
                                                   for k in ("micro", "overall")) + " |")
    total = time.perf_counter() - t0
    body = "\n".join(lines) + f"\n\nTotal {total / 60:.1f} min ({len(rows)} pair(s), 3 arms each).\n"
    print(body)
    if not args.no_append:
        append_section(f"Debiasing against an oracle: causal variant vs no graph vs true bias AUs left out ({set_name})",
                       script_command(__file__, None), body)


if __name__ == "__main__":
    main()
