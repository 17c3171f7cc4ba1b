"""causalex's time-series discovery against tigramite's PCMCI+ and LPCMCI on the same simulated corpora.

Each corpus is discovered by

* ``causalex``: `discover_graph` with `DiscoveryConfig(policy="conservative")` (the default ``timeseries`` method, its
  edges read as the conservative policy keeps them: the default policy passes none to a model; max lag 0.3 s,
  alpha 0.001, the conservative debiasing); CPU time is the median of ``--repeats`` runs in this process;
* ``PCMCI+`` and ``LPCMCI``: `causalex.discover.tigramite_engine.tigramite_pag` (ParCorr, ``pc_alpha`` =
  alpha = 0.001, the same working rate of 30 fps, per-video mean removal, invalid frames masked), folded onto
  one edge per AU pair with causalex's reading. ``tau_max`` 9 (0.3 s, causalex's lag steps) for both; LPCMCI is
  also run at ``--lpcmci-lag`` (default 0.1 s, tau_max 3) because at tau_max 9 it costs minutes per corpus. Each
  tigramite run is one run in a child process, stopped after ``--limit-s`` seconds ("did not finish").

Scores against the simulator's truth (``true_graph``, kept edges = mechanism cause -> effect):

* skeleton precision / recall: AU pairs adjacent in the output (every PAG edge, also those causalex's debiasing
  drops) against mechanism pairs;
* right way: among output edges on mechanism pairs that are directed one way (``-->``), the share pointing
  cause -> effect;
* bias links: directed links kept in the output (tigramite keeps everything) between two AUs of the corpus's
  bias latent (``summary["bias"]["aus"]``) that no mechanism edge joins;
* CPU seconds (``time.process_time`` of the discovering process, one BLAS thread for every engine) and wall.

A speed section then times causalex (median of 3) and PCMCI+ (one run, or a lower bound on the ratio when it
does not finish within ``--speed-limit-s``) on one ``casme2``-shaped corpus of at least ``--speed-frames`` frames
at 30 fps with 17 AUs.

    python benchmarks/bench_tigramite.py --quick --no-append   # 2 corpora, short limits (~15 min, 2 cores)
    python benchmarks/bench_tigramite.py                       # 7 corpora + the 100k-frame speed section

Needs the tigramite extra (``pip install 'causalex[tigramite]'``). Appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import itertools
import math
import multiprocessing as mp
import os
import statistics
import sys
import time
from importlib import metadata
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one BLAS thread: CPU time = one core
    os.environ.setdefault(_var, "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

SETS = {  # (random-mechanism seed, family member) corpora, (preset, seed) corpora, CPU limit, extra LPCMCI lag
    "quick": dict(family=((0, "family-hf"),), presets=(("small", 0),), limit_s=300, lpcmci_lag=None, speed=False),
    "full": dict(family=((0, "family-a"), (1, "family-b"), (2, "family-c"), (3, "family-hf"), (4, "family-a")),
                 presets=(("small", 0), ("small", 1)), limit_s=600, lpcmci_lag=None, speed=True),
}
CAUSALEX = "causalex"


def arms(lpcmci_lag: float | None) -> list[tuple[str, str, float]]:
    """(label, tigramite method, max lag s) of the tigramite arms."""
    out = [("PCMCI+ tau 9", "pcmciplus", 0.3), ("LPCMCI tau 9", "lpcmci", 0.3)]
    if lpcmci_lag is not None:
        out.append((f"LPCMCI tau {max(1, round(lpcmci_lag * 30))}", "lpcmci", lpcmci_lag))
    return out


def corpora(spec: dict):
    """(label, corpus) for every corpus of the set."""
    from causalex.simulate import generate_corpus, generate_family

    for mech, member in spec["family"]:
        corpus = generate_family("family", seed=mech, mechanism="random", mechanism_seed=mech)[member]
        yield f"mech {mech} {member} ({corpus.series[0].fps:g} fps)", corpus
    for preset, seed in spec["presets"]:
        corpus = generate_corpus(preset, seed=seed)
        yield f"{preset} seed {seed} ({corpus.series[0].fps:g} fps)", corpus


def frames_30(corpus) -> int:
    """Frames of the corpus at the 30 fps working rate."""
    return int(sum(round(s.n_frames * min(1.0, 30.0 / s.fps)) for s in corpus.series))


def score(edges, corpus) -> dict:
    """Scores of output edges (`GraphEdge`) against the simulated corpus's truth (see the module doc)."""
    true = {(e.source, e.target) for e in corpus.true_graph.edges if e.kept}
    pairs = {frozenset(p) for p in true}
    bias_pairs = {frozenset(p) for p in itertools.combinations(corpus.summary["bias"]["aus"], 2)} - pairs
    adjacent = {frozenset((e.source, e.target)) for e in edges}
    one_way = [e for e in edges if e.kind in ("-->", "<--") and frozenset((e.source, e.target)) in pairs]
    right = sum((e.source, e.target) in true if e.kind == "-->" else (e.target, e.source) in true for e in one_way)
    return {"precision": len(adjacent & pairs) / max(len(adjacent), 1), "recall": len(adjacent & pairs) / len(pairs),
            "right": right, "one_way": len(one_way), "n_edges": len(adjacent),
            "bias": sum(e.kept and e.kind in ("-->", "<--") and frozenset((e.source, e.target)) in bias_pairs
                        for e in edges)}


def run_causalex(corpus, repeats: int) -> tuple[object, float, float]:
    """causalex's default discovery ``repeats`` times; (graph, median CPU s, median wall s)."""
    from causalex.discover.pipeline import DiscoveryConfig, discover_graph

    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        graph = discover_graph(corpus.series, corpus.labels, DiscoveryConfig(policy="conservative"))  # edges read as --> kept
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return graph, statistics.median(cpu), statistics.median(wall)


class _OutOfTime(Exception):
    """The tigramite run used up its CPU-time limit."""


def _out_of_time(signum, frame):
    raise _OutOfTime


def _worker(series, method: str, max_lag_s: float, limit_s: float) -> dict:
    """One tigramite run in a fresh child process, stopped by SIGXCPU after ``limit_s`` CPU seconds.

    Returns ``{"pag", "cpu", "wall"}``, ``{"dnf"}`` or ``{"error"}``.
    """
    import resource
    import signal

    from causalex.discover.tigramite_engine import tigramite_pag

    signal.signal(signal.SIGXCPU, _out_of_time)
    c0, w0 = time.process_time(), time.perf_counter()
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (math.ceil(c0 + limit_s), hard))  # the soft limit sends SIGXCPU
    try:
        pag = tigramite_pag(series, method=method, max_lag_s=max_lag_s, alpha=0.001)
    except _OutOfTime:
        return {"dnf": limit_s, "wall": time.perf_counter() - w0}
    except Exception as exc:  # reported in the table, the benchmark goes on
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"pag": pag, "cpu": time.process_time() - c0, "wall": time.perf_counter() - w0}


def run_tigramite_jobs(jobs: list[tuple], n_workers: int) -> list[dict]:
    """Run ``(series, method, max_lag_s, limit_s)`` jobs, ``n_workers`` child processes at a time (one per job)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=n_workers, mp_context=mp.get_context("spawn"), max_tasks_per_child=1) as pool:
        futures = [pool.submit(_worker, *job) for job in jobs]
        out = []
        for f in futures:
            try:
                out.append(f.result())
            except Exception as exc:  # a child killed outright
                out.append({"error": f"{type(exc).__name__}: {exc}"})
        return out


def secs(x: float) -> str:
    """Seconds as the tables show them (two decimals below 10 s)."""
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def fmt_row(label: str, arm: str, s: dict | None, cpu: float | None, wall: float | None, note: str = "") -> str:
    if s is None:
        return f"| {label} | {arm} | - | - | - | - | {note} | - |"
    return (f"| {label} | {arm} | {s['precision']:.2f} | {s['recall']:.2f} | {s['right']}/{s['one_way']} | "
            f"{s['bias']} | {secs(cpu)}{note} | {secs(wall)} |")


def summary(rows: list[dict], names: list[str]) -> str:
    """One line per engine: means over the corpora it finished, pooled right-way share, CPU."""
    lines = ["| engine | corpora finished | skeleton P (mean) | skeleton R (mean) | right way (pooled) | "
             "corpora with a bias link kept | CPU s per corpus (median) | CPU vs causalex (median ratio) |",
             "|---|---|---|---|---|---|---|---|"]
    base = {r["corpus"]: r["cpu"] for r in rows if r["arm"] == CAUSALEX}
    for name in names:
        mine = [r for r in rows if r["arm"] == name]
        done = [r for r in mine if "cpu" in r]
        if not done:
            lines.append(f"| {name} | 0/{len(mine)} | - | - | - | - | - | - |")
            continue
        right, one_way = sum(r["right"] for r in done), sum(r["one_way"] for r in done)
        ratio = "1" if name == CAUSALEX else f"{statistics.median(r['cpu'] / base[r['corpus']] for r in done):.0f}x"
        lines.append(f"| {name} | {len(done)}/{len(mine)} | {statistics.mean(r['precision'] for r in done):.3f} | "
                     f"{statistics.mean(r['recall'] for r in done):.3f} | {right}/{one_way} = "
                     f"{right / max(one_way, 1):.3f} | {sum(r['bias'] > 0 for r in done)} | "
                     f"{secs(statistics.median(r['cpu'] for r in done))} | {ratio} |")
    return "\n".join(lines)


def speed_corpus(frames: int):
    """A casme2-shaped corpus (30 fps, 17 AUs) of at least ``frames`` frames (expressions scaled with videos)."""
    from causalex.simulate import PRESETS, generate_corpus

    p = PRESETS["casme2"]
    n = math.ceil(frames / (p.video_mean_s * p.fps)) + 1
    while True:
        scale = n / p.n_videos
        corpus = generate_corpus("casme2", seed=0, n_videos=n, n_subjects=min(p.n_subjects, n),
                                 n_macro=max(1, round(p.n_macro * scale)), n_micro=max(1, round(p.n_micro * scale)))
        if sum(s.n_frames for s in corpus.series) >= frames:
            return corpus
        n += 2


def speed_table(corpus, cpu: float, wall: float, repeats: int, got: dict, limit_s: float) -> str:
    """Markdown of the speed section."""
    total = sum(s.n_frames for s in corpus.series)
    lines = [f"One `casme2`-shaped corpus: {len(corpus.series)} videos, {total} frames at "
             f"{corpus.series[0].fps:g} fps, {len(corpus.series[0].au_names)} AUs; max lag 0.3 s (tau_max 9), "
             "alpha 0.001, one BLAS thread.", "",
             "| engine | CPU s | wall s | CPU ratio to causalex |", "|---|---|---|---|",
             f"| causalex (median of {repeats}) | {cpu:.2f} | {wall:.2f} | 1 |"]
    if "pag" in got:
        lines.append(f"| PCMCI+ tau 9 (one run) | {got['cpu']:.1f} | {got['wall']:.1f} | {got['cpu'] / cpu:.0f}x |")
    elif "dnf" in got:
        lines.append(f"| PCMCI+ tau 9 (one run) | did not finish in {limit_s:g} CPU s | {got['wall']:.0f} | "
                     f"> {limit_s / cpu:.0f}x |")
    else:
        lines.append(f"| PCMCI+ tau 9 (one run) | {got['error']} | - | - |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 corpora, 300 CPU s limit, no speed section")
    parser.add_argument("--no-append", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--repeats", type=int, default=3, help="causalex runs per corpus (median CPU time)")
    parser.add_argument("--limit-s", type=float, default=None, help="CPU seconds allowed per tigramite run")
    parser.add_argument("--lpcmci-lag", type=float, default=None,
                        help="also run LPCMCI at this max lag (s), e.g. 0.1 for tau_max 3")
    parser.add_argument("--speed-frames", type=int, default=100_000, help="frames of the speed corpus")
    parser.add_argument("--speed-limit-s", type=float, default=1800.0, help="CPU seconds allowed for PCMCI+ there")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed section")
    parser.add_argument("--jobs", type=int, default=1, help="tigramite runs at a time (one process each)")
    args = parser.parse_args()
    try:
        version = metadata.version("tigramite")
    except metadata.PackageNotFoundError:
        sys.exit("bench_tigramite needs the tigramite extra: pip install 'causalex[tigramite]'")
    set_name = "quick" if args.quick else "full"
    spec = SETS[set_name]
    limit_s = args.limit_s or spec["limit_s"]
    lpcmci_lag = args.lpcmci_lag if args.lpcmci_lag is not None else spec["lpcmci_lag"]
    tig_arms = arms(lpcmci_lag)
    # causalex first, alone in this process (its CPU times are medians of several runs)
    rows, labelled, jobs = [], [], []
    for label, corpus in corpora(spec):
        label = f"{label}, {frames_30(corpus) / 1000:.1f}k frames at 30 fps"
        graph, cpu, wall = run_causalex(corpus, args.repeats)
        rows.append({"corpus": label, "arm": CAUSALEX, "cpu": cpu, "wall": wall, **score(graph.edges, corpus)})
        print(f"{label}: causalex {cpu:.2f} CPU s", flush=True)
        labelled.append((label, corpus))
        jobs += [(corpus.series, method, lag, limit_s) for _, method, lag in tig_arms]
    speed = spec["speed"] and not args.no_speed
    if speed:
        big = speed_corpus(args.speed_frames)
        _, big_cpu, big_wall = run_causalex(big, 3)
        print(f"speed corpus: causalex {big_cpu:.2f} CPU s", flush=True)
        jobs.append((big.series, "pcmciplus", 0.3, args.speed_limit_s))
    print(f"{len(jobs)} tigramite runs, {args.jobs} at a time ...", flush=True)
    results = run_tigramite_jobs(jobs, args.jobs)

    from causalex.discover.tigramite_engine import tigramite_edges

    lines = ["| corpus | engine | skeleton P | skeleton R | right way | bias links kept | CPU s | wall s |",
             "|---|---|---|---|---|---|---|---|"]
    it = iter(results)
    for label, corpus in labelled:
        base = next(r for r in rows if r["corpus"] == label)
        lines.append(fmt_row(label, f"{CAUSALEX} (median of {args.repeats})", base, base["cpu"], base["wall"]))
        for arm, _, _ in tig_arms:
            got = next(it)
            if "pag" in got:
                s = score(tigramite_edges(got["pag"]), corpus)
                rows.append({"corpus": label, "arm": arm, "cpu": got["cpu"], "wall": got["wall"], **s})
                lines.append(fmt_row(label, arm, s, got["cpu"], got["wall"], f" ({got['cpu'] / base['cpu']:.0f}x)"))
            else:
                rows.append({"corpus": label, "arm": arm})
                note = f"did not finish in {limit_s:g} CPU s" if "dnf" in got else got["error"]
                lines.append(fmt_row(label, arm, None, None, None, note))
    body = [f"tigramite {version}; ParCorr (analytic), pc_alpha 0.001, mask_type xyz, per-video mean removed, series "
            f"at 30 fps (200 fps box-filtered); each tigramite run limited to {limit_s:g} CPU s; one BLAS thread.", "",
            summary(rows, [CAUSALEX] + [a for a, _, _ in tig_arms]), "",
            "Per corpus (right way: output `-->` edges on mechanism pairs pointing cause -> effect / all such edges; "
            "CPU ratio to causalex's median in brackets):", "", "\n".join(lines)]
    if speed:
        body += ["", f"### Speed on >= {args.speed_frames // 1000}k frames", "",
                 speed_table(big, big_cpu, big_wall, 3, next(it), args.speed_limit_s)]
    text = "\n".join(body) + "\n"
    print(text)
    if not args.no_append:
        append_section(f"Time-series discovery: causalex vs tigramite PCMCI+ / LPCMCI ({set_name})",
                       script_command(__file__, None), text)


if __name__ == "__main__":
    main()
