"""Book-keeping cost of `causalex extract` against the number of inputs: manifest writes and resume checks.

Every input is a small file named ``*.mp4`` that is not a video, so each one fails at once when opened
and the time measured is what the batch spends per input besides extraction itself: collecting the
jobs, one manifest row per video (appended), the final compacted manifest, and on the rerun reading the
manifest back and deciding that each failed input must be tried again. A manifest rewritten whole after
every video made this quadratic (issue 20: 300 / 1000 / 3000 inputs took 7 / 30 / 234 s).

    python benchmarks/bench_manifest.py                 # 300, 1000, 3000 inputs (about a minute)
    python benchmarks/bench_manifest.py --sizes 300 1000 --no-results

Appends a section to benchmarks/RESULTS.md unless ``--no-results``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)


def measure(n: int, root: Path) -> dict:
    """Seconds of a first run and of a rerun of the batch on ``n`` broken inputs in a fresh folder."""
    from causalex.extract import collect_jobs, read_manifest, run_batch

    videos, out = root / f"in{n}", root / f"out{n}"
    videos.mkdir()
    for i in range(n):
        (videos / f"v{i:05d}.mp4").write_bytes(b"not a video\n")
    started = time.perf_counter()
    jobs = collect_jobs([videos])
    first = run_batch(jobs, out)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    rerun = run_batch(collect_jobs([videos]), out)
    rerun_s = time.perf_counter() - started
    rows = read_manifest(out)
    lines = len((out / "manifest.csv").read_text(encoding="utf-8").splitlines())
    assert len(first.failed) == n and len(rerun.failed) == n and len(rows) == n and lines == n + 1
    return {"n": n, "first_s": first_s, "rerun_s": rerun_s, "lines": lines}


def main(argv: list[str] | None = None) -> int:
    """Run the sizes, print the table, append it to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 1000, 3000], help="numbers of inputs")
    parser.add_argument("--no-results", action="store_true", help="print only; do not append to RESULTS.md")
    args = parser.parse_args(argv)
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # no FFmpeg message per broken input
    results = []
    with tempfile.TemporaryDirectory(prefix="causalex-bench-manifest-") as tmp:
        measure(10, Path(tmp))  # warm-up: imports (OpenCV, pandas) are not per-input costs
        for n in args.sizes:
            results.append(measure(n, Path(tmp)))
            r = results[-1]
            print(f"{n} inputs: first run {r['first_s']:.2f} s, rerun {r['rerun_s']:.2f} s", flush=True)
    header = "| inputs | first run s | ms per input | rerun s | ms per input | manifest lines |\n|---|---|---|---|---|---|\n"
    body = header + "".join(
        f"| {r['n']} | {r['first_s']:.2f} | {1000 * r['first_s'] / r['n']:.2f} | {r['rerun_s']:.2f} | "
        f"{1000 * r['rerun_s'] / r['n']:.2f} | {r['lines']} |\n" for r in results)
    body = ("Inputs are broken `*.mp4` files (each fails when opened), so the time is the batch's own cost per "
            "input: jobs, one appended manifest row per video, the final atomic rewrite, and on the rerun the "
            "resume checks. Linear if ms per input stays flat.\n\n" + body)
    print(body)
    if not args.no_results:
        append_section("Extraction book-keeping against the number of inputs (manifest)",
                       script_command(__file__, argv), body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
