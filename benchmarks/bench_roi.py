"""Extraction speed of region optical-flow features per layout, against the AU (``flow``) backend.

The fixture clip (tests/data/extract/wolfgang_48f_320x180.mp4, a real face, 48 frames) is decoded once
and played forth and back to ``--frames`` frames (an `ArraySource`, so decoding is not timed). Every
extractor (AU activations; ``roi`` with each layout, magnitude and xy) runs on it ``--runs`` times with
OpenCV on one thread; the table gives the median frames per second of CPU time (user + system of this
process: per core) and of wall time. A second table times the region step alone (rectangles, integral
image, nose-reference subtraction) on one frame's flow, which is all that differs between the layouts:
landmarks, alignment and the dense flow are shared.

    python benchmarks/bench_roi.py                 # 480 frames, 3 runs, ~1 minute
    python benchmarks/bench_roi.py --frames 96 --runs 1 --no-results   # a smoke run

Appends a section to benchmarks/RESULTS.md (unless --no-results).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
CLIP = HERE.parent / "tests" / "data" / "extract" / "wolfgang_48f_320x180.mp4"
CASES = (("AU activations (flow)", "flow", {}), ("roi auwgcn12", "roi", {"layout": "auwgcn12"}),
         ("roi metst5", "roi", {"layout": "metst5"}), ("roi boosting18", "roi", {"layout": "boosting18"}),
         ("roi auwgcn12 xy", "roi", {"layout": "auwgcn12", "value": "xy"}))


def clip_frames(n: int) -> list:
    """``n`` BGR frames of the fixture clip played forth and back."""
    import cv2

    cap = cv2.VideoCapture(str(CLIP))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    loop = frames + frames[-2:0:-1]
    return [loop[i % len(loop)] for i in range(n)]


def time_extractor(backend: str, options: dict, frames: list) -> dict:
    """CPU and wall frames/s of one extractor run."""
    from causalex.extract import ArraySource, make_extractor

    extractor = make_extractor(backend, **options)
    t0, c0 = time.perf_counter(), time.process_time()
    series = extractor.extract(ArraySource(frames, fps=23.976))
    return {"cpu_fps": len(frames) / (time.process_time() - c0), "wall_fps": len(frames) / (time.perf_counter() - t0),
            "nodes": series.n_aus, "valid": int(series.mask.sum())}


def time_region_step(frames: list, repeats: int = 2000) -> dict[str, float]:
    """Microseconds per frame of the region step alone, per layout (one real frame's flow and landmarks)."""
    from causalex.extract import ArraySource
    from causalex.extract.flow import AlignedFlow, FlowConfig
    from causalex.extract.roi import RoiSampler
    from causalex.extract.roi_layouts import LAYOUTS

    cfg = FlowConfig()
    faces = [f for f in AlignedFlow(cfg).frames(ArraySource(frames[:10], fps=23.976)) if f is not None]
    face = faces[-1]
    out = {}
    for layout in LAYOUTS:
        sampler = RoiSampler(layout)
        t0 = time.perf_counter()
        for _ in range(repeats):
            sampler.region_flow(face.flow, face.ref_points, float(cfg.face_iod_px))
        out[layout] = (time.perf_counter() - t0) / repeats * 1e6
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the tables and (unless --no-results) append them to RESULTS.md."""
    import cv2

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=480, help="frames per run (the clip played forth and back)")
    parser.add_argument("--runs", type=int, default=3, help="runs per extractor (the median is reported)")
    parser.add_argument("--no-results", action="store_true", help="print only, do not append to RESULTS.md")
    args = parser.parse_args(argv)
    cv2.setNumThreads(1)
    frames = clip_frames(args.frames)
    h, w = frames[0].shape[:2]
    time_extractor("flow", {}, frames[:24])  # warm-up (landmark model loaded, caches filled), not reported
    runs: dict[str, list[dict]] = {label: [] for label, _, _ in CASES}
    for _ in range(args.runs):  # round robin, so that a slow spell of the machine hits every extractor alike
        for label, backend, options in CASES:
            r = time_extractor(backend, options, frames)
            assert r["valid"] == len(frames), f"{label}: face lost on {len(frames) - r['valid']} frames"
            runs[label].append(r)
    rows = ["| extractor | nodes | frames/s per core (CPU time) | frames/s (wall) |", "|---|---:|---:|---:|"]
    for label, results in runs.items():
        cpu = statistics.median(r["cpu_fps"] for r in results)
        wall = statistics.median(r["wall_fps"] for r in results)
        rows.append(f"| {label} | {results[0]['nodes']} | {cpu:.0f} | {wall:.0f} |")
    print("\n".join(rows), flush=True)
    step = time_region_step(frames)
    rows += ["", "| layout | region step alone, µs per frame |", "|---|---:|"]
    rows += [f"| {layout} | {us:.0f} |" for layout, us in step.items()]
    body = (f"Fixture clip {CLIP.name} ({w}x{h}, a real face) played forth and back to {len(frames)} frames, "
            f"decoded beforehand (not timed); OpenCV on one thread; median of {args.runs} run(s). Landmarks, "
            "alignment and DIS flow are shared by all rows, so the layouts cost about the same; "
            "the region step alone takes a few hundred microseconds per frame.\n\n" + "\n".join(rows))
    print("\n".join(rows[-(len(step) + 3):]))
    if not args.no_results:
        from run import append_section, script_command

        append_section("Region optical-flow extraction speed per layout (bench_roi.py)",
                       script_command(__file__, argv), body)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.exit(main())
