"""Decoding and `causalex spot` cost against video length: 1, 3 and 10 hours of a 30 fps series.

Every measurement runs in a fresh subprocess, so that peak memory is that length's alone:

* decode: `decode_video` (both types, emotions included) on synthetic scores of white noise, with the
  candidate floor and the thresholds at 0, so that every local maximum of the apex score is a candidate
  that is searched, scored and suppressed: the worst case. Wall time; the decoder's own peak allocations
  (tracemalloc, in a second run: the scores themselves are not counted); the process's peak resident memory
  (VmHWM, with Python, numpy and the scores);
* spot: the whole `causalex -q spot MODEL SERIES -o predictions.csv --device cpu` command, run in the
  subprocess (reading the Parquet series, features, forward, decoding, writing the CSV), with an untrained
  default-size model (its scores are not meaningful, its cost is) whose decoding keeps every candidate
  (floor and thresholds 0), on a synthetic 17-AU series on the OpenFace scale. Wall time of the command
  (lazy imports of torch included) and VmHWM.

``--reference-hours`` also times the straightforward decoder that the linear-time one replaced (kept in
tests/test_spot_decode_equal.py as the definition it must match), for a before/after comparison; it is
quadratic in the number of candidates, so keep those lengths short.

    python benchmarks/bench_decode.py --no-append                      # 1, 3, 10 h: a few minutes on 2 cores
    python benchmarks/bench_decode.py --quick                          # 0.25 and 1 h
    python benchmarks/bench_decode.py --reference-hours 1 --no-append  # with the old decoder at 1 h (minutes)

Appends a section to benchmarks/RESULTS.md (``--no-append`` to print only).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

FPS = 30.0
REFERENCE = HERE.parent / "tests" / "test_spot_decode_equal.py"


def peak_rss_mb() -> float:
    """Peak resident memory of this process (VmHWM, reset by exec, unlike ru_maxrss)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reference_module():
    """The straightforward decoder of tests/test_spot_decode_equal.py, imported from its file."""
    spec = importlib.util.spec_from_file_location("decode_reference", REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child_decode(hours: float, impl: str) -> dict:
    """Decode ``hours`` of white-noise scores with every candidate kept; time and memory."""
    import tracemalloc

    import numpy as np

    from causalex.spot.decoding import DecodeConfig, decode_video

    decode = reference_module().ref_decode_video if impl == "reference" else decode_video
    frames = int(round(hours * 3600 * FPS))
    rng = np.random.default_rng(0)
    probs = rng.random((frames, 8), dtype=np.float32)
    emotion = rng.random((frames, 4), dtype=np.float32)
    config = DecodeConfig()
    for kind in (config.micro, config.macro):
        kind.threshold = kind.candidate_floor = 0.0
    classes = ("negative", "positive", "surprise", "others")
    t0 = time.perf_counter()
    found = decode(probs, emotion, FPS, "v", config, classes)
    wall = time.perf_counter() - t0
    out = {"frames": frames, "intervals": len(found), "wall_s": wall, "peak_mb": peak_rss_mb()}
    if impl != "reference":
        tracemalloc.start()
        decode(probs, emotion, FPS, "v", config, classes)
        out["alloc_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out


def child_spot(model: str, series: str, output: str, impl: str) -> dict:
    """Run ``causalex -q spot`` in this process; wall time and peak memory."""
    from causalex_cli.main import app

    if impl == "reference":
        import causalex.spot.scoring as scoring

        scoring.decode_video = reference_module().ref_decode_video
    t0 = time.perf_counter()
    code = app(["-q", "spot", model, series, "-o", output, "--device", "cpu", "--threads", "1"], standalone_mode=False)
    wall = time.perf_counter() - t0
    if code not in (0, None):
        raise SystemExit(f"causalex spot exited {code}")
    with open(output, encoding="utf-8") as fh:
        n = sum(1 for _ in fh) - 1
    return {"wall_s": wall, "peak_mb": peak_rss_mb(), "intervals": n}


def measure(*args: str) -> dict:
    """One fresh-process measurement (the last stdout line is its JSON)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def write_inputs(folder: Path, hours: float) -> tuple[Path, Path]:
    """An untrained default-size model and a synthetic 17-AU series of ``hours`` (OpenFace scale)."""
    import numpy as np
    import torch
    from scipy.ndimage import gaussian_filter1d

    from causalex import checkpoint as ckpt
    from causalex.graph import full_graph
    from causalex.model.network import build_model
    from causalex.series import AUSeries
    from causalex.simulate import AU_NAMES
    from causalex.train.config import ExperimentConfig

    model = folder / "model" / "model.pt"
    if not model.exists():
        model.parent.mkdir(parents=True, exist_ok=True)
        cfg = ExperimentConfig()
        cfg.model.in_features = cfg.features.n_features
        graph = full_graph(list(AU_NAMES))
        torch.manual_seed(0)
        net = build_model(cfg.model, graph.adjacency_for(list(AU_NAMES)), graph.node_mask(list(AU_NAMES)))
        decode = cfg.decode
        for kind in (decode.micro, decode.macro):  # keep every candidate: decoding at its most expensive
            kind.threshold = kind.candidate_floor = 0.0
        ckpt.save_checkpoint(model, ckpt.ModelBundle(cfg, list(AU_NAMES), graph, cfg.data.working_fps, decode,
                                                     net.state_dict(), meta={"scale": "intensity_0_5"}))
    frames = int(round(hours * 3600 * FPS))
    rng = np.random.default_rng(1)
    values = gaussian_filter1d(rng.standard_normal((frames, len(AU_NAMES)), dtype=np.float32), 4.0, axis=0)
    values = np.clip(0.5 + 2.0 * values, 0.0, 5.0)
    mask = rng.random(frames) > 0.01
    series = folder / f"long_{hours:g}h.parquet"
    AUSeries(values, mask, FPS, list(AU_NAMES), video=series.stem, source="simulated",
             scale="intensity_0_5").save(series)
    return model, series


def table(rows: list[tuple[float, str, dict, dict | None]]) -> str:
    """Markdown table of the measurements."""
    lines = ["| length | frames | decoder | decode: time (s) | decode: candidates kept | decode: own peak "
             "allocations (MB) | decode: process peak RSS (MB) | `causalex spot`: time (s) | `causalex spot`: "
             "peak RSS (MB) |", "|---|---|---|---|---|---|---|---|---|"]
    for hours, impl, dec, spot in rows:
        alloc = f"{dec['alloc_mb']:.1f}" if "alloc_mb" in dec else "-"
        spot_cells = f"{spot['wall_s']:.1f} | {spot['peak_mb']:.0f}" if spot else "- | -"
        lines.append(f"| {hours:g} h | {dec['frames']:,} | {impl} | {dec['wall_s']:.2f} | {dec['intervals']:,} | "
                     f"{alloc} | {dec['peak_mb']:.0f} | {spot_cells} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure every length in fresh processes, print the table, append it to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", default=None, help="comma-separated lengths (default 1,3,10; --quick 0.25,1)")
    parser.add_argument("--quick", action="store_true", help="0.25 and 1 hour only")
    parser.add_argument("--reference-hours", default="", help="lengths at which to time the old decoder too")
    parser.add_argument("--no-spot", action="store_true", help="decoder only (no `causalex spot` runs)")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mode, *rest = args.child
        result = child_decode(float(rest[0]), rest[1]) if mode == "decode" else child_spot(*rest)
        print(json.dumps(result))
        return 0
    hours = [float(h) for h in (args.hours or ("0.25,1" if args.quick else "1,3,10")).split(",") if h]
    ref_hours = [float(h) for h in args.reference_hours.split(",") if h]
    rows = []
    with tempfile.TemporaryDirectory(prefix="causalex-bench-decode-") as tmp:
        for h, impl in sorted([(h, "reference") for h in ref_hours] + [(h, "linear") for h in hours]):
            dec = measure("decode", str(h), impl)
            spot = None
            if not args.no_spot:
                model, series = write_inputs(Path(tmp), h)
                spot = measure("spot", str(model), str(series), str(Path(tmp) / "predictions.csv"), impl)
                series.unlink()
            print(f"{h:g} h {impl}: decode {dec}; spot {spot}", flush=True)
            rows.append((h, impl, dec, spot))
    body = table(rows) + (
        "\n\n- decode: white-noise scores at 30 fps, candidate floor and thresholds 0 (every local maximum of the "
        "apex score is a candidate: the worst case), emotions on; \"own peak allocations\" is tracemalloc's peak "
        "during decoding (its input not counted), \"process peak RSS\" the fresh process's VmHWM (Python, "
        "numpy, torch's import and the scores included).\n"
        "- `causalex spot`: the whole command in a fresh process, untrained default-size model, synthetic 17-AU "
        "series (Parquet), decoding keeping every candidate, `--device cpu --threads 1`; time includes reading, "
        "features, forward, decoding and writing the CSV (and the lazy import of torch).\n"
        "- \"reference\" is the straightforward decoder that the linear-time one replaced "
        "(tests/test_spot_decode_equal.py checks that both give the same intervals, bit for bit).\n"
        f"- Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}.")
    print(body)
    if not args.no_append:
        append_section("Decoding and spot cost against video length (cpu)", script_command(__file__, argv), body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
