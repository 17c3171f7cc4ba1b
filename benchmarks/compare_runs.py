"""Paired subject bootstrap of two training runs' out-of-fold predictions (e.g. graph `causal` vs `none`).

Both runs must hold out-of-fold predictions of the same videos (``predictions.csv`` of two model folders
from ``causalex train`` or `bench_train_accuracy.py --out`). Subjects are resampled with replacement;
each resample pools the MEGC counts (TP, predictions, ground truths) of the drawn subjects, per type,
for both runs at once, so the difference of F1 is paired on the same subjects.

    python benchmarks/compare_runs.py /tmp/cx/seed1/causal /tmp/cx/seed1/none --preset casme2 --seed 1
    python benchmarks/compare_runs.py runs/a runs/b --labels labels.csv

Several corpora (e.g. simulator seeds) pool into one comparison: put ``{seed}`` in the run paths (and in
``--labels`` if given) and list the seeds; subjects are then resampled within each corpus (a stratified
bootstrap) and the counts of all corpora are pooled, which gives the comparison the power one corpus of
57 micro-expressions lacks:

    python benchmarks/compare_runs.py '/tmp/cx/seed{seed}/causal' '/tmp/cx/seed{seed}/none' --seeds 1,2,3

Appends a section to benchmarks/RESULTS.md (``--no-append`` to print only).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import append_section  # noqa: E402

from causalex.errors import InputError  # noqa: E402
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


def paired_bootstrap(a: list[np.ndarray], b: list[np.ndarray], resamples: int,
                     seed: int) -> dict[str, dict[str, float]]:
    """F1 of both runs, their difference, its 95% interval and P(difference <= 0) over subject resamples.

    Each corpus's subjects are resampled within that corpus (stratified) and the counts of all corpora
    are pooled per resample.

    Shapes: ``a, b``: one ``[S_c, 2, 3]`` array of per-subject counts per corpus (same order in both).
    """
    if len(a) != len(b) or any(x.shape != y.shape for x, y in zip(a, b)):
        raise ValueError("runs A and B must hold counts for the same corpora and subjects")
    rng = np.random.default_rng(seed)
    pooled_a = np.zeros((resamples, len(EXPRESSION_TYPES), 3), np.int64)
    pooled_b = np.zeros_like(pooled_a)
    for ca, cb in zip(a, b):
        draws = rng.integers(0, ca.shape[0], size=(resamples, ca.shape[0]))  # [R, S_c]
        pooled_a += ca[draws].sum(axis=1)
        pooled_b += cb[draws].sum(axis=1)
    fa, fb = f1_rows(pooled_a), f1_rows(pooled_b)
    full_a, full_b = f1_rows(sum(x.sum(axis=0) for x in a)), f1_rows(sum(x.sum(axis=0) for x in b))
    out = {}
    for row in ROWS:
        diff = fa[row] - fb[row]
        lo, hi = np.percentile(diff, [2.5, 97.5])
        out[row] = {"a": float(full_a[row]), "b": float(full_b[row]), "diff": float(full_a[row] - full_b[row]),
                    "lo": float(lo), "hi": float(hi), "p_le_0": float((diff <= 0).mean())}
    return out


def load_truth(labels: str | None, preset: str, seed: int) -> list[Interval]:
    """Ground truth from a labels CSV or from the simulator (preset and seed)."""
    if labels:
        return read_labels_csv(labels)
    from causalex.simulate import generate_corpus

    return generate_corpus(preset, seed=seed).labels


def corpus_counts(run_a: Path, run_b: Path, truth: list[Interval]) -> tuple[np.ndarray, np.ndarray]:
    """Per-subject MEGC counts of both runs on one corpus. Shapes: returns two ``[S, 2, 3]``."""
    def predictions(path: Path) -> list[Interval]:
        return read_predictions_csv(path / "predictions.csv" if path.is_dir() else path)

    subject_of = {iv.video: iv.subject for iv in truth}
    subjects = sorted(set(subject_of.values()))
    return (subject_counts(predictions(run_a), truth, subject_of, subjects),
            subject_counts(predictions(run_b), truth, subject_of, subjects))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_a", help="model folder (or predictions CSV) of run A; may contain {seed}")
    parser.add_argument("run_b", help="model folder (or predictions CSV) of run B; may contain {seed}")
    parser.add_argument("--labels", default=None, help="labels CSV (else the simulated corpus --preset/--seed); "
                        "may contain {seed}")
    parser.add_argument("--preset", default="casme2", help="simulator preset of the corpus")
    parser.add_argument("--seed", type=int, default=0, help="simulator seed of the corpus")
    parser.add_argument("--seeds", default=None, help="comma-separated seeds: pool these corpora ({seed} in the "
                        "paths), resampling subjects within each")
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples")
    parser.add_argument("--names", default=None, help="comma-separated display names of A and B")
    parser.add_argument("--note", default="", help="text put under the table")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    args = parser.parse_args(argv)

    try:
        seeds = [int(x) for x in args.seeds.split(",") if x.strip()] if args.seeds else [args.seed]
    except ValueError:
        parser.error(f"--seeds must be comma-separated integers, got {args.seeds!r}")
    a, b, per_corpus = [], [], []
    for seed in seeds:
        labels = args.labels.format(seed=seed) if args.labels else None
        try:
            ca, cb = corpus_counts(Path(args.run_a.format(seed=seed)), Path(args.run_b.format(seed=seed)),
                                   load_truth(labels, args.preset, seed))
        except InputError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
        a.append(ca)
        b.append(cb)
        per_corpus.append((seed, f1_rows(ca.sum(axis=0)), f1_rows(cb.sum(axis=0))))
    default_names = (Path(args.run_a).name, Path(args.run_b).name)
    name_a, name_b = args.names.split(",") if args.names else default_names
    stats = paired_bootstrap(a, b, args.resamples, seed=0)
    n_subjects = sum(x.shape[0] for x in a)
    scope = (f"the {n_subjects} subjects" if len(seeds) == 1 else
             f"the {n_subjects} subjects of {len(seeds)} corpora (seeds {', '.join(map(str, seeds))}), "
             "within each corpus")
    lines = [f"Paired subject bootstrap ({args.resamples:,} resamples of {scope}, counts pooled per resample) of "
             f"`{args.run_a}` (A = {name_a}) against `{args.run_b}` (B = {name_b}).", "",
             f"| F1 | {name_a} | {name_b} | {name_a} - {name_b} | 95% interval | P(diff <= 0) |",
             "|---|---|---|---|---|---|"]
    for row in ROWS:
        s = stats[row]
        lines.append(f"| {row} | {s['a']:.3f} | {s['b']:.3f} | {s['diff']:+.3f} | [{s['lo']:+.3f}, {s['hi']:+.3f}] "
                     f"| {s['p_le_0']:.3f} |")
    if len(seeds) > 1:
        lines += ["", f"Per corpus, {name_a} - {name_b} (" + ", ".join(ROWS) + "): " + "; ".join(
            f"seed {seed} " + " / ".join(f"{fa[row] - fb[row]:+.3f}" for row in ROWS) for seed, fa, fb in per_corpus)]
    if args.note:
        lines += ["", args.note]
    body = "\n".join(lines)
    print(body)
    if not args.no_append:
        corpus = f"--labels {args.labels}" if args.labels else f"--preset {args.preset}"
        if args.seeds or not args.labels:
            corpus += f" --seeds {args.seeds}" if args.seeds else f" --seed {args.seed}"
        append_section(f"Paired comparison: {name_a} vs {name_b}",
                       f"python benchmarks/compare_runs.py '{args.run_a}' '{args.run_b}' {corpus}", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
