"""Paired subject bootstrap of two training runs' out-of-fold predictions (e.g. graph `causal` vs `none`).

Both runs must hold out-of-fold predictions of the same videos (``predictions.csv`` of two model folders
from ``causalex train`` or `bench_train_accuracy.py --out`). Subjects are resampled with replacement;
each resample pools the MEGC counts (TP, predictions, ground truths) of the drawn subjects, per type,
for both runs at once, so the difference of F1 is paired on the same subjects.

    python benchmarks/compare_runs.py /tmp/cx/seed1/causal /tmp/cx/seed1/none --preset casme2 --seed 1
    python benchmarks/compare_runs.py runs/a runs/b --labels labels.csv

Appends a section to benchmarks/RESULTS.md (``--no-append`` to print only).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import append_section  # noqa: E402

from causalex.labels import EXPRESSION_TYPES, Interval, read_labels_csv, read_predictions_csv  # noqa: E402
from causalex.metrics import evaluate_spotting  # noqa: E402

ROWS = ("overall", *EXPRESSION_TYPES)


def subject_counts(preds: list[Interval], truth: list[Interval], subject_of: dict[str, str],
                   subjects: list[str]) -> np.ndarray:
    """MEGC counts per subject and type. Shapes: returns ``[S, 2 types, 3]`` (tp, n_pred, n_gt)."""
    out = np.zeros((len(subjects), len(EXPRESSION_TYPES), 3), np.int64)
    for si, subject in enumerate(subjects):
        videos = {v for v, s in subject_of.items() if s == subject}
        scores = evaluate_spotting([p for p in preds if p.video in videos],
                                   [g for g in truth if g.video in videos]).to_json()
        for ti, kind in enumerate(EXPRESSION_TYPES):
            out[si, ti] = (scores[kind]["tp"], scores[kind]["n_pred"], scores[kind]["n_gt"])
    return out


def f1_rows(counts: np.ndarray) -> dict[str, np.ndarray]:
    """F1 per row from pooled counts. Shapes: ``counts: [..., 2 types, 3]`` -> ``{row: [...]}``."""
    def f1(c):
        tp, npred, ngt = c[..., 0], c[..., 1], c[..., 2]
        return np.where(npred + ngt > 0, 2.0 * tp / np.maximum(npred + ngt, 1), 0.0)

    out = {kind: f1(counts[..., ti, :]) for ti, kind in enumerate(EXPRESSION_TYPES)}
    out["overall"] = f1(counts.sum(axis=-2))
    return out


def paired_bootstrap(a: np.ndarray, b: np.ndarray, resamples: int, seed: int) -> dict[str, dict[str, float]]:
    """F1 of both runs, their difference, its 95% interval and P(difference <= 0) over subject resamples.

    Shapes: ``a, b: [S, 2, 3]`` per-subject counts.
    """
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, a.shape[0], size=(resamples, a.shape[0]))  # [R, S]
    fa, fb = f1_rows(a[draws].sum(axis=1)), f1_rows(b[draws].sum(axis=1))
    full_a, full_b = f1_rows(a.sum(axis=0)), f1_rows(b.sum(axis=0))
    out = {}
    for row in ROWS:
        diff = fa[row] - fb[row]
        lo, hi = np.percentile(diff, [2.5, 97.5])
        out[row] = {"a": float(full_a[row]), "b": float(full_b[row]), "diff": float(full_a[row] - full_b[row]),
                    "lo": float(lo), "hi": float(hi), "p_le_0": float((diff <= 0).mean())}
    return out


def load_truth(args) -> list[Interval]:
    """Ground truth from a labels CSV or from the simulator (preset and seed)."""
    if args.labels:
        return read_labels_csv(args.labels)
    from causalex.simulate import generate_corpus

    return generate_corpus(args.preset, seed=args.seed).labels


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_a", type=Path, help="model folder (or predictions CSV) of run A")
    parser.add_argument("run_b", type=Path, help="model folder (or predictions CSV) of run B")
    parser.add_argument("--labels", default=None, help="labels CSV (else the simulated corpus --preset/--seed)")
    parser.add_argument("--preset", default="casme2", help="simulator preset of the corpus")
    parser.add_argument("--seed", type=int, default=0, help="simulator seed of the corpus")
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples")
    parser.add_argument("--names", default=None, help="comma-separated display names of A and B")
    parser.add_argument("--note", default="", help="text put under the table")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    args = parser.parse_args(argv)

    def predictions(path: Path) -> list[Interval]:
        return read_predictions_csv(path / "predictions.csv" if path.is_dir() else path)

    truth = load_truth(args)
    subject_of = {iv.video: iv.subject for iv in truth}
    subjects = sorted(set(subject_of.values()))
    a = subject_counts(predictions(args.run_a), truth, subject_of, subjects)
    b = subject_counts(predictions(args.run_b), truth, subject_of, subjects)
    name_a, name_b = (args.names.split(",") if args.names else (args.run_a.name, args.run_b.name))
    stats = paired_bootstrap(a, b, args.resamples, seed=0)
    lines = [f"Paired subject bootstrap ({args.resamples:,} resamples of the {len(subjects)} subjects, counts pooled "
             f"per resample) of `{args.run_a}` (A = {name_a}) against `{args.run_b}` (B = {name_b}).", "",
             f"| F1 | {name_a} | {name_b} | {name_a} - {name_b} | 95% interval | P(diff <= 0) |",
             "|---|---|---|---|---|---|"]
    for row in ROWS:
        s = stats[row]
        lines.append(f"| {row} | {s['a']:.3f} | {s['b']:.3f} | {s['diff']:+.3f} | [{s['lo']:+.3f}, {s['hi']:+.3f}] "
                     f"| {s['p_le_0']:.3f} |")
    if args.note:
        lines += ["", args.note]
    body = "\n".join(lines)
    print(body)
    if not args.no_append:
        corpus = f"--labels {args.labels}" if args.labels else f"--preset {args.preset} --seed {args.seed}"
        append_section(f"Paired comparison: {name_a} vs {name_b}",
                       f"python benchmarks/compare_runs.py {args.run_a} {args.run_b} {corpus}", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
