"""Extraction speed and memory of the offline ``flow`` backend: frames per second per CPU core at
640x480, and peak memory on a long (10-minute) video against a short one.

The long video is made by looping a real face clip back and forth (so there is no jump cut), resized
and centre-cropped to 640x480, in a temporary folder (never committed). Every measurement runs in a
fresh subprocess with OpenCV limited to one thread; "fps per core" is frames divided by the CPU time
(user + system) of that process, "peak memory" its peak resident set size (VmHWM, which includes
Python, OpenCV and the ~100 MB landmark model). The speed is the median of several runs on the short video; decoding alone
is measured the same way for reference.

    python benchmarks/bench_extract.py --quick     # 15 s vs 60 s video, ~1 minute
    python benchmarks/bench_extract.py             # 1 min vs 10 min video, ~10 minutes on one core
    python benchmarks/bench_extract.py --clip /path/WolfgangLanger_Pexels.mp4

Appends a section to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CLIP = HERE.parent / "tests" / "data" / "extract" / "wolfgang_48f_320x180.mp4"
SIZE = (640, 480)
SETS = {"quick": dict(short_s=15, long_s=60, runs=3), "full": dict(short_s=60, long_s=600, runs=3)}


def make_long_video(clip: Path, seconds: float, out: Path) -> dict:
    """Loop ``clip`` forth and back, resized/cropped to 640x480, for ``seconds``; returns frames and fps."""
    import cv2

    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        h, w = frame.shape[:2]
        scale = max(SIZE[0] / w, SIZE[1] / h)
        frame = cv2.resize(frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        y0, x0 = (frame.shape[0] - SIZE[1]) // 2, (frame.shape[1] - SIZE[0]) // 2
        frames.append(cv2.imencode(".png", frame[y0:y0 + SIZE[1], x0:x0 + SIZE[0]])[1])  # lossless, compact
    cap.release()
    loop = frames + frames[-2:0:-1]  # forth and back
    n = int(round(seconds * fps))
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps, SIZE)
    for i in range(n):
        writer.write(cv2.imdecode(loop[i % len(loop)], cv2.IMREAD_COLOR))
    writer.release()
    return {"frames": n, "fps": fps}


def child(mode: str, video: str) -> None:
    """Run inside the measuring subprocess: print frames, CPU time, wall time and peak RSS as JSON."""
    import time

    import cv2

    cv2.setNumThreads(1)
    from causalex.extract import extract_video, open_source
    from causalex.extract.landmarks import load_dlib_models

    if mode == "extract":
        load_dlib_models()  # model loading is a one-off per process: not part of the per-frame cost
    start_cpu, start_wall = time.process_time(), time.perf_counter()
    if mode == "extract":
        series = extract_video(video)
        frames, valid = series.n_frames, int(series.mask.sum())
    else:
        frames = sum(1 for _ in open_source(video).frames())
        valid = frames
    cpu, wall = time.process_time() - start_cpu, time.perf_counter() - start_wall
    print(json.dumps({"frames": frames, "valid": valid, "cpu_s": cpu, "wall_s": wall, "peak_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """Peak resident memory of this process since it started (VmHWM; ru_maxrss would include the parent's
    memory at fork time, which Linux keeps across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(mode: str, video: Path) -> dict:
    """One fresh-process measurement."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(video)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1", "OPENCV_FFMPEG_LOGLEVEL": "-8"})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """Build the videos, measure, print and append the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="15 s and 60 s videos instead of 1 and 10 minutes")
    parser.add_argument("--clip", type=Path, default=DEFAULT_CLIP, help="real face clip to loop")
    parser.add_argument("--runs", type=int, default=None, help="runs of the speed measurement (median)")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "VIDEO"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    cfg = SETS["quick" if args.quick else "full"]
    runs = args.runs or cfg["runs"]
    with tempfile.TemporaryDirectory(prefix="causalex-bench-") as tmp:
        short, long = Path(tmp) / "short.mp4", Path(tmp) / "long.mp4"
        info_short = make_long_video(args.clip, cfg["short_s"], short)
        info_long = make_long_video(args.clip, cfg["long_s"], long)
        decode = [measure("decode", short) for _ in range(runs)]
        speed = [measure("extract", short) for _ in range(runs)]
        long_run = measure("extract", long)
    fps_core = statistics.median(r["frames"] / r["cpu_s"] for r in speed)
    fps_wall = statistics.median(r["frames"] / r["wall_s"] for r in speed)
    decode_core = statistics.median(r["frames"] / r["cpu_s"] for r in decode)
    rows = [
        ("flow extract, fps per core (median of %d, %d frames)" % (runs, info_short["frames"]), f"{fps_core:.1f}"),
        ("flow extract, fps wall clock (same runs)", f"{fps_wall:.1f}"),
        ("decode only, fps per core (median of %d)" % runs, f"{decode_core:.1f}"),
        (f"peak memory, {cfg['short_s']} s video ({info_short['frames']} frames)",
         f"{statistics.median(r['peak_mb'] for r in speed):.0f} MB"),
        (f"peak memory, {cfg['long_s']} s video ({info_long['frames']} frames)", f"{long_run['peak_mb']:.0f} MB"),
        (f"fps per core on the {cfg['long_s']} s video", f"{long_run['frames'] / long_run['cpu_s']:.1f}"),
        ("frames with a face (long video)", f"{long_run['valid']} / {long_run['frames']}"),
    ]
    body = "\n".join(["| measure | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])
    body += (f"\n\nClip: `{args.clip.name}` looped to 640x480 at {info_short['fps']:.2f} fps; one OpenCV thread per "
             "process; target >= 60 fps per core (OpenFace ~30, py-feat on CPU 2-18).")
    print(body)
    if not args.no_append:
        sys.path.insert(0, str(HERE))
        from run import append_section, script_command

        append_section("Extraction speed and memory (flow backend)", script_command(__file__, argv), body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
