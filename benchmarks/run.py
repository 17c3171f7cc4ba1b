"""The one entry point of the causalex benchmarks.

    python benchmarks/run.py              # quick set: a few minutes on a 2-core CPU
    python benchmarks/run.py --gpu        # GPU set: full sizes, on a machine with a CUDA GPU
    python benchmarks/run.py --only bias,spot --dry-run

Each benchmark is a script in this folder, run as a subprocess (so one failing or missing script does
not stop the others): accuracy (bench_train_accuracy, bench_discover_accuracy, bench_bias), discovery
speed vs causal-learn (bench_discover), extraction fps and peak memory (bench_extract), training time
and spot throughput (bench_spot), batched forward throughput and one LOSO fold (bench_fold_speed). A missing script is skipped with a message. ``--quick`` / ``--gpu``
and ``--device`` are passed to a script only when its ``--help`` lists them.

Scripts append their own sections to ``benchmarks/RESULTS.md`` (date, machine, command, numbers) and
put plots in ``benchmarks/plots/``; this runner then appends one section listing what ran, how long
it took, and, for a script that appended nothing, the tail of its output (its numbers). Existing
sections of RESULTS.md are never rewritten.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
PLOTS = HERE / "plots"


@dataclass(frozen=True)
class Bench:
    """One benchmark script of the suite."""

    name: str  # short name for --only
    script: str  # file in benchmarks/
    what: str  # what it measures
    quick_timeout_s: int  # time limit in the quick set
    gpu_timeout_s: int  # time limit in the GPU set


SUITE = (
    Bench("discover", "bench_discover.py", "discovery speed: fast FCI engine vs causal-learn", 150, 1800),
    Bench("discover_accuracy", "bench_discover_accuracy.py", "graph recovery on simulated corpora", 120, 1800),
    Bench("extract", "bench_extract.py", "extraction fps and peak memory", 90, 1800),
    Bench("spot", "bench_spot.py", "training time per fold and spot throughput", 90, 1800),
    Bench("fold_speed", "bench_fold_speed.py", "batched forward frames/s and one LOSO fold (#6 speed targets)", 120, 900),
    Bench("train_accuracy", "bench_train_accuracy.py", "LOSO spotting F1 on simulated presets", 150, 3600),
    Bench("bias", "bench_bias.py", "in-domain vs cross-domain F1 against bias strength", 420, 3600),
    Bench("discover_ts", "bench_discover_ts.py", "time-series discovery against the truth over simulated corpora", 60, 1800),
    Bench("decode", "bench_decode.py", "decoding and spot time and peak memory at 1, 3, 10 h", 120, 900),
)


def machine_info() -> dict[str, str]:
    """CPU model, cores, memory, OS, Python, torch and GPU of this machine (best effort)."""
    info = {"os": platform.platform(), "python": platform.python_version(), "cores": str(os.cpu_count())}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory"] = f"{int(line.split()[1]) / 2**20:.0f} GiB"
                break
    except OSError:
        info.setdefault("cpu", platform.processor() or "unknown")
    try:
        import torch

        info["torch"] = torch.__version__
        info["gpu"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    except ImportError:
        info["gpu"] = "unknown (no torch)"
    return info


def machine_line(info: dict[str, str] | None = None) -> str:
    """One line describing the machine, for RESULTS.md."""
    info = info or machine_info()
    return (f"{info.get('cpu', 'unknown CPU')}, {info['cores']} cores, {info.get('memory', '?')} RAM, "
            f"GPU: {info.get('gpu', '?')}; {info['os']}; Python {info['python']}, torch {info.get('torch', '?')}")


def append_section(title: str, command: str, body: str, path: Path = RESULTS) -> None:
    """Append one dated section to RESULTS.md (created with a header if missing); never rewrites."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = (f"\n## {title}\n\n- Date: {stamp}\n- Machine: {machine_line()}\n- Command: `{command}`\n\n"
            f"{body.rstrip()}\n")
    if not path.exists():
        text = "# causalex benchmark results\n\nSections are appended by `benchmarks/run.py` and the scripts it runs.\n" + text
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def script_command(script: str, argv: list[str] | None) -> str:
    """The command line of a benchmark run, as RESULTS.md records it (``argv`` None: this process's arguments).

    Args:
        script: the script's file (``__file__``) or name.
        argv: its arguments.
    """
    args = argv if argv is not None else sys.argv[1:]
    return " ".join(["python", f"benchmarks/{Path(script).name}", *(shlex.quote(a) for a in args)])


def bench_device(gpu: bool, device: str, threads: int):
    """The torch device of a benchmark (CUDA with ``--gpu``), torch's CPU threads set; None (after saying so on
    stderr) when CUDA is asked for and absent."""
    import torch

    dev = torch.device("cuda" if gpu else device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        print("no CUDA GPU available", file=sys.stderr)
        return None
    torch.set_num_threads(threads)
    return dev


def script_flags(script: Path) -> str:
    """The ``--help`` text of a script (empty when it has none or fails)."""
    try:
        done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, timeout=60)
        return done.stdout if done.returncode == 0 else ""
    except (subprocess.TimeoutExpired, OSError):
        return ""


def bench_command(bench: Bench, gpu: bool, device: str | None) -> list[str] | None:
    """The command line of one benchmark, or None when its script is missing."""
    script = HERE / bench.script
    if not script.is_file():
        return None
    flags = script_flags(script)
    cmd = [sys.executable, str(script)]
    if gpu and "--gpu" in flags:
        cmd.append("--gpu")
    elif not gpu and "--quick" in flags:
        cmd.append("--quick")
    if device and "--device" in flags:
        cmd += ["--device", device]
    return cmd


def run_bench(bench: Bench, cmd: list[str], timeout_s: int) -> dict:
    """Run one benchmark; returns status, seconds, whether it appended to RESULTS.md, and its output tail."""
    size_before = RESULTS.stat().st_size if RESULTS.exists() else 0
    t0 = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, cwd=HERE.parent)
        status = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
        output = done.stdout + ("\n" + done.stderr if done.returncode != 0 else "")
    except subprocess.TimeoutExpired as exc:
        status = f"timed out after {timeout_s} s"
        output = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
    seconds = time.perf_counter() - t0
    appended = (RESULTS.stat().st_size if RESULTS.exists() else 0) > size_before
    tail = "\n".join(output.strip().splitlines()[-25:])
    return {"status": status, "seconds": seconds, "appended": appended, "tail": tail}


def main(argv: list[str] | None = None) -> int:
    """Run the quick set (default) or the GPU set; returns 0 when every present benchmark succeeded."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gpu", action="store_true", help="run the GPU set (full sizes, --device cuda)")
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(b.name for b in SUITE)}")
    parser.add_argument("--device", default=None, help="device passed to scripts that take one (default: cuda "
                                                       "with --gpu, else the script's own)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in {b.name for b in SUITE}]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; valid: {', '.join(b.name for b in SUITE)}")
    selected = [b for b in SUITE if not names or b.name in names]
    device = args.device or ("cuda" if args.gpu else None)
    PLOTS.mkdir(parents=True, exist_ok=True)
    rows, tails, failed = [], [], False
    t_start = time.perf_counter()
    for bench in selected:
        cmd = bench_command(bench, args.gpu, device)
        if cmd is None:
            print(f"[skip] {bench.name}: benchmarks/{bench.script} is missing", flush=True)
            rows.append(f"| {bench.name} | {bench.what} | skipped: {bench.script} missing | |")
            continue
        shown = " ".join(shlex.quote(c) for c in ["python", f"benchmarks/{bench.script}", *cmd[2:]])
        if args.dry_run:
            print(shown)
            continue
        print(f"[run ] {bench.name}: {shown}", flush=True)
        result = run_bench(bench, cmd, bench.gpu_timeout_s if args.gpu else bench.quick_timeout_s)
        failed |= result["status"] != "ok"
        print(f"[{'done' if result['status'] == 'ok' else 'FAIL'}] {bench.name}: {result['status']}, "
              f"{result['seconds']:.0f} s", flush=True)
        where = "own section above" if result["appended"] else "output below"
        rows.append(f"| {bench.name} | {bench.what} | {result['status']} | {result['seconds']:.0f} s ({where}) |")
        if not result["appended"] and result["tail"]:
            tails.append(f"### {bench.name}\n\n```\n{result['tail']}\n```\n")
    if args.dry_run:
        return 0
    total = time.perf_counter() - t_start
    body = ("| benchmark | measures | status | time |\n|---|---|---|---|\n" + "\n".join(rows) +
            f"\n\nTotal {total:.0f} s ({'GPU' if args.gpu else 'quick'} set).\n\n" + "\n".join(tails))
    append_section(f"Benchmark suite ({'GPU' if args.gpu else 'quick'} set)", script_command(__file__, argv), body)
    print(f"appended the suite summary to {RESULTS} ({total:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
