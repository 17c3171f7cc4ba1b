"""Discovery speed: the fast FCI engine against causal-learn's ``fci``, with identical output checked.

    python benchmarks/bench_discover.py            # 17 AUs and 35 variables x 100k frames
    python benchmarks/bench_discover.py --quick    # 20k frames, fewer repetitions (a few minutes)

Data (linear-Gaussian, stationary, 100k frames): 17 AUs from an AU-like SEM (FACS-style co-activations,
seven slowly varying latent emotions that drive groups of AUs, per-AU autocorrelated noise), and random
lagged SEMs over 17 and 35 variables (sparse contemporaneous DAG, autocorrelation, a few cross-lagged
effects acting as latent confounders). FCI finds ``-->``, ``<->`` and ``o->`` edges in all of them. Each engine runs several times in this process on the
same data; the table reports medians (wall clock), the correlation-matrix time separately (both engines
start with ``np.corrcoef``), the fast engine from a ready correlation matrix, and a bootstrap batch
through ``discover_many``. Every fast result is compared with causal-learn's, mark for mark.

BLAS runs single-threaded by default (``--blas-threads``): on a small shared machine OpenBLAS threads
spin against other processes and make the correlation matrix of 35 columns many times slower for both
engines. Appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import sys


def _early_blas_threads(argv: list[str]) -> None:
    """Set BLAS threads before numpy loads (the value of --blas-threads, default 1)."""
    value = "1"
    for i, arg in enumerate(argv):
        if arg == "--blas-threads" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--blas-threads="):
            value = arg.split("=", 1)[1]
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, value)


_early_blas_threads(sys.argv[1:])

import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

from causalex.discover import discover_many, discover_pag, discover_pag_from_corr  # noqa: E402

AUS = ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15", "AU17", "AU20",
       "AU23", "AU25", "AU26", "AU45"]


# FACS-style co-activations (cause, effect) and the AUs each latent emotion drives
AU_EFFECTS = [("AU01", "AU02"), ("AU02", "AU05"), ("AU12", "AU06"), ("AU12", "AU25"), ("AU26", "AU25"),
              ("AU04", "AU07"), ("AU09", "AU10"), ("AU15", "AU17"), ("AU17", "AU23"), ("AU07", "AU45"),
              ("AU20", "AU25"), ("AU10", "AU25")]
EMOTION_AUS = {"happiness": ["AU06", "AU12", "AU25"], "surprise": ["AU01", "AU02", "AU05", "AU26"],
               "anger": ["AU04", "AU07", "AU23"], "disgust": ["AU09", "AU10", "AU17"],
               "sadness": ["AU01", "AU04", "AU15"], "fear": ["AU01", "AU04", "AU05", "AU20"],
               "contempt": ["AU12", "AU14"]}


def au_like_sem(frames: int, seed: int) -> np.ndarray:
    """AU-like series: ``x_t = W^T x_t + u_t + Lambda^T h_t`` over the 17 AUs. Shapes: ``[frames, 17]``.

    ``W``: the FACS-style co-activations of `AU_EFFECTS`; ``u_t``: per-AU AR(1) noise (0.7-0.9);
    ``h_t``: seven latent emotions, slow AR(1) (0.97), each driving its AUs (`EMOTION_AUS`), so that
    FCI sees latent common causes.
    """
    rng = np.random.default_rng(seed)
    k, index = len(AUS), {a: i for i, a in enumerate(AUS)}
    w = np.zeros((k, k))
    for cause, effect in AU_EFFECTS:
        w[index[cause], index[effect]] = rng.uniform(0.3, 0.6)
    loading = np.zeros((len(EMOTION_AUS), k))
    for e, aus in enumerate(EMOTION_AUS.values()):
        for a in aus:
            loading[e, index[a]] = rng.uniform(0.4, 0.8)
    mix = np.linalg.inv(np.eye(k) - w.T)
    ar, rho = rng.uniform(0.7, 0.9, k), 0.97
    shocks = rng.normal(size=(frames, len(EMOTION_AUS))) * np.sqrt(1 - rho ** 2)
    noise = rng.normal(size=(frames, k)) * np.sqrt(1 - ar ** 2)
    h, u = np.zeros(len(EMOTION_AUS)), np.zeros(k)
    x = np.empty((frames, k))
    for t in range(frames):
        h = rho * h + shocks[t]
        u = ar * u + noise[t]
        x[t] = mix @ (u + h @ loading)
    return x


def lagged_sem(k: int, frames: int, seed: int, density: float, cross_lags: int) -> np.ndarray:
    """Stationary series ``x_t = W^T x_t + B x_{t-1} + e_t``. Shapes: returns ``[frames, k]``.

    ``W``: random DAG with edge probability ``density``; ``B``: autocorrelation 0.6-0.95 on the diagonal
    plus ``cross_lags`` cross-lagged effects, rescaled to a spectral radius <= 0.95.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(k)
    w = np.zeros((k, k))
    for a in range(k):
        for b in range(a + 1, k):
            if rng.random() < density:
                w[order[a], order[b]] = rng.uniform(0.3, 0.8) * rng.choice([-1, 1])
    lag = np.diag(rng.uniform(0.6, 0.95, k))
    for _ in range(cross_lags):
        i, j = rng.choice(k, 2, replace=False)
        lag[j, i] = rng.uniform(0.1, 0.25)
    mix = np.linalg.inv(np.eye(k) - w.T)  # x_t = mix (B x_{t-1} + e_t)
    step = mix @ lag
    radius = np.abs(np.linalg.eigvals(step)).max()
    if radius > 0.95:
        step *= 0.95 / radius
    noise = rng.normal(size=(frames, k)) @ mix.T
    x = np.empty((frames, k))
    prev = np.zeros(k)
    for t in range(frames):
        prev = step @ prev + noise[t]
        x[t] = prev
    return x


def timed(fn) -> tuple[float, float, object]:
    """Wall time and CPU time (this process) of one call, and its result."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def bench_case(label: str, data: np.ndarray, names: list[str], fast_reps: int, cl_reps: int,
               device: str | None) -> dict:
    """Time correlation, fast engine (from data and from corr) and causal-learn on one data set.

    Runs are interleaved (fast, from-corr, correlation, then causal-learn while it has repetitions
    left) so that both engines see the same machine load; medians are reported.
    """
    n = data.shape[0]
    corr = np.corrcoef(data.T)
    discover_pag(data[:2000], node_names=names)  # warm-up (imports, caches) of both engines
    discover_pag(data[:2000], node_names=names, engine="causal-learn")
    times: dict[str, list[float]] = {key: [] for key in ("corr", "fast", "fast_cpu", "from_corr", "cl", "cl_cpu")}
    fast, ref = [], []
    for rep in range(max(fast_reps, cl_reps)):
        if rep < fast_reps:
            wall, cpu, pag = timed(lambda: discover_pag(data, node_names=names, device=device))
            times["fast"].append(wall)
            times["fast_cpu"].append(cpu)
            fast.append(pag)
            times["from_corr"].append(timed(lambda: discover_pag_from_corr(corr, n, node_names=names,
                                                                            device=device))[0])
            times["corr"].append(timed(lambda: np.corrcoef(data.T))[0])
        if rep < cl_reps:
            wall, cpu, pag = timed(lambda: discover_pag(data, node_names=names, engine="causal-learn"))
            times["cl"].append(wall)
            times["cl_cpu"].append(cpu)
            ref.append(pag)
    med = {key: statistics.median(values) for key, values in times.items()}
    identical = all(p == ref[0] for p in fast + ref)
    kinds: dict[str, int] = {}
    for i, j, _, _ in ref[0].edges():
        kind = ref[0].edge_kind(i, j)
        kinds[kind] = kinds.get(kind, 0) + 1
    return dict(label=label, k=data.shape[1], n=n, corr_s=med["corr"], fast_s=med["fast"],
                from_corr_s=med["from_corr"], cl_s=med["cl"], fast_cpu=med["fast_cpu"], cl_cpu=med["cl_cpu"],
                fast_reps=fast_reps, cl_reps=cl_reps, identical=identical, edges=ref[0].num_edges(),
                kinds=", ".join(f"{v} {k}" for k, v in sorted(kinds.items())), tests=fast[0].meta["num_tests"])


def bench_bootstrap(data: np.ndarray, names: list[str], runs: int, device: str | None) -> dict:
    """Per-run time of ``runs`` bootstrap resamples (correlations given) through ``discover_many``."""
    rng = np.random.default_rng(0)
    blocks = np.array_split(np.arange(len(data)), 100)  # resample contiguous blocks of frames
    corrs = []
    for _ in range(runs):
        rows = np.concatenate([blocks[b] for b in rng.integers(0, len(blocks), len(blocks))])
        corrs.append(np.corrcoef(data[rows].T))
    ns = [len(data)] * runs
    total, cpu, pags = timed(lambda: discover_many(np.stack(corrs), ns, node_names=names, device=device))
    return dict(runs=len(pags), per_run_s=total / runs, total_s=total, cpu_per_run_s=cpu / runs)


def table(rows: list[dict], boot: dict | None) -> str:
    lines = ["| data | frames | corr (s) | fast total (s) | fast from corr (s) | causal-learn (s) | speed-up (wall) | "
             "CPU s: fast / causal-learn | speed-up (CPU) | identical | edges (causal-learn) | CI tests (adjacency) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['label']} | {r['n']:,} | {r['corr_s']:.4f} | {r['fast_s']:.4f} | {r['from_corr_s']:.4f} | "
                     f"{r['cl_s']:.2f} | **{r['cl_s'] / r['fast_s']:.0f}x** | {r['fast_cpu']:.4f} / {r['cl_cpu']:.2f} | "
                     f"**{r['cl_cpu'] / r['fast_cpu']:.0f}x** | {'yes' if r['identical'] else 'NO'} | "
                     f"{r['edges']} ({r['kinds']}) | {r['tests']:,} |")
    notes = [f"- Medians over {rows[0]['fast_reps']} fast runs and {', '.join(str(r['cl_reps']) for r in rows)} "
             "causal-learn runs (same process, same data); speed-up = causal-learn / fast total (both include "
             "the correlation matrix); wall clock and CPU time of this process (the CPU ratio is the steadier "
             "one on a shared machine); runs of the two engines interleaved."]
    if boot:
        notes.append(f"- Bootstrap batch (`discover_many`, {boot['runs']} resampled correlation matrices of the "
                     f"first data set): {boot['per_run_s'] * 1000:.1f} ms per run wall, {boot['cpu_per_run_s'] * 1000:.1f} ms "
                     f"CPU ({boot['total_s']:.2f} s in all).")
    return "\n".join(lines) + "\n\n" + "\n".join(notes) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run both cases, print the table, append it to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20k frames and fewer repetitions")
    parser.add_argument("--frames", type=int, default=None, help="frames per data set (default 100000)")
    parser.add_argument("--fast-reps", type=int, default=None, help="fast-engine repetitions (default 7)")
    parser.add_argument("--cl-reps", type=int, default=None, help="causal-learn repetitions, 17 nodes (default 3)")
    parser.add_argument("--cl-reps-35", type=int, default=None, help="causal-learn repetitions, 35 vars (default 2)")
    parser.add_argument("--bootstrap", type=int, default=32, help="runs in the discover_many batch (0: skip)")
    parser.add_argument("--device", default=None, help="torch device for the fast engine (default numpy)")
    parser.add_argument("--blas-threads", default="1", help="BLAS threads (set before numpy loads)")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    args = parser.parse_args(argv)
    frames = args.frames or (20_000 if args.quick else 100_000)
    fast_reps = args.fast_reps or (3 if args.quick else 7)
    cl_reps = args.cl_reps or (1 if args.quick else 3)
    cl_reps_35 = args.cl_reps_35 or (1 if args.quick else 2)
    au_data = au_like_sem(frames, 0)
    rows = [bench_case("17 AUs: AU-like SEM (FACS co-activations, latent emotions, AR dynamics)", au_data, AUS,
                       fast_reps, cl_reps, args.device),
            bench_case("17 variables: random lagged SEM", lagged_sem(17, frames, 0, 0.15, 4),
                       [f"V{i:02d}" for i in range(1, 18)], fast_reps, cl_reps, args.device),
            bench_case("35 variables: random lagged SEM", lagged_sem(35, frames, 1, 0.07, 8),
                       [f"V{i:02d}" for i in range(1, 36)], fast_reps, cl_reps_35, args.device)]
    boot = bench_bootstrap(au_data, AUS, args.bootstrap, args.device) if args.bootstrap > 0 else None
    body = table(rows, boot) + (f"- BLAS threads: {os.environ.get('OPENBLAS_NUM_THREADS')}; fast engine device: "
                                f"{args.device or 'numpy (CPU)'}; load average at the end: "
                                f"{', '.join(f'{v:.1f}' for v in os.getloadavg())}.\n")
    print(body)
    if not args.no_append:
        append_section("Discovery speed: fast FCI engine vs causal-learn", script_command(__file__, argv), body)
    return 0 if all(r["identical"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
