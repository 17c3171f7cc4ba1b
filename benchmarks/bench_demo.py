"""How much do the demo's numbers move between seeds, and how long does it take?

`causalex demo` trains on small simulated corpora, so its F1 values carry seed noise; the demo's
summary tells readers to treat differences of that size as noise and points here. This runs
``causalex demo --seed S`` for several seeds (``--jobs`` at a time, one torch thread each) and
tabulates, per seed, the overall F1 of every scored predictions file, the bias study's causal / no-graph
numbers and the wall time; then the median and range over seeds.

    python benchmarks/bench_demo.py --seeds 0,1,2 --jobs 2 --out /tmp/demo_seeds

Appends a section to benchmarks/RESULTS.md (unless --no-append). ``--preset`` / ``--epochs`` pass through.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

from causalex.demo.reading import SEED_SPREAD_SECTION  # noqa: E402  (the summary's caveat points at it)

SCORE_KEYS = (("model_a", "model, A (LOSO out of fold)"), ("threshold_a", "threshold, A"),
              ("model_b", "model trained on A, on B"),
              ("model_b_without_bias_aus", "the same without A's bias AUs, on B"),
              ("threshold_b", "threshold, B"))
BIAS_KEYS = (("causal", "in_domain"), ("causal", "cross_domain"), ("none", "in_domain"), ("none", "cross_domain"))


def run_one(seed: int, out: Path, extra: list[str]) -> float:
    """Run ``causalex demo`` for one seed into ``out/seedS``; returns its wall time in seconds."""
    cmd = [sys.executable, "-c", "from causalex_cli.main import run; run()", "-q", "demo", "-o",
           str(out / f"seed{seed}"), "--seed", str(seed), "--device", "cpu", *extra]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"demo seed {seed} failed (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return time.perf_counter() - t0


def seed_row(summary: dict) -> dict[str, float]:
    """The numbers of one run's ``summary.json``: overall F1 per scored file and per bias-study cell."""
    scores = {row["key"]: row["scores"]["overall"]["f1"] for row in summary["scores"]}
    row = {key: scores[key] for key, _ in SCORE_KEYS}
    for variant, domain in BIAS_KEYS:
        row[f"{variant}_{domain}"] = summary["bias"]["summary"][variant]["overall"][domain]["mean"]
    row["micro_a"] = next(r for r in summary["scores"] if r["key"] == "model_a")["scores"]["micro"]["f1"]
    return row


def table(rows: dict[int, dict[str, float]], seconds: dict[int, float]) -> str:
    """Markdown table: one row per seed, then median and range over seeds."""
    cols = [key for key, _ in SCORE_KEYS] + ["micro_a"] + [f"{v}_{d}" for v, d in BIAS_KEYS]
    heads = [name for _, name in SCORE_KEYS] + ["model micro, A"] + [
        f"bias study {v}, {'A' if d == 'in_domain' else 'B'}" for v, d in BIAS_KEYS]
    lines = ["| seed | " + " | ".join(heads) + " | wall (s) |", "|---" * (len(cols) + 2) + "|"]
    for seed in sorted(rows):
        lines.append(f"| {seed} | " + " | ".join(f"{rows[seed][c]:.3f}" for c in cols) + f" | {seconds[seed]:.0f} |")
    values = {c: np.array([rows[s][c] for s in rows]) for c in cols}
    wall = np.array(list(seconds.values()))
    lines.append("| median | " + " | ".join(f"{np.median(values[c]):.3f}" for c in cols)
                 + f" | {np.median(wall):.0f} |")
    lines.append("| range | " + " | ".join(f"{values[c].min():.3f}-{values[c].max():.3f}" for c in cols)
                 + f" | {wall.min():.0f}-{wall.max():.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the demo over seeds and report; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2", help="comma-separated demo seeds")
    parser.add_argument("--jobs", type=int, default=2, help="demos run at once (one torch thread each)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the demo runs (seedS/ each)")
    parser.add_argument("--preset", help="simulator preset (default: the demo's)")
    parser.add_argument("--epochs", type=int, help="training epochs (default: the demo's)")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    extra = (["--preset", args.preset] if args.preset else []) + (["--epochs", str(args.epochs)] if args.epochs else [])
    args.out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        seconds = dict(zip(seeds, pool.map(lambda s: run_one(s, args.out, extra), seeds)))
    summaries = {s: json.loads((args.out / f"seed{s}" / "report" / "summary.json").read_text()) for s in seeds}
    rows = {s: seed_row(doc) for s, doc in summaries.items()}
    settings, corpus = summaries[seeds[0]]["settings"], summaries[seeds[0]]["corpora"]["A"]
    body = (f"`causalex demo` for seeds {args.seeds} ({args.jobs} at a time, one torch thread each): preset "
            f"`{settings['preset']}` ({corpus['subjects']} subjects, {corpus['videos']} videos, {corpus['macro']} "
            f"macro / {corpus['micro']} micro per corpus), {settings['epochs']} epochs. Overall F1 unless "
            "named; the bias study's in-domain numbers use its own folds by subject.\n\n" + table(rows, seconds))
    print(body)
    if not args.no_append:
        append_section(SEED_SPREAD_SECTION, script_command(__file__, argv), body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
