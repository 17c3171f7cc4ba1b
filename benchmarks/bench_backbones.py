"""Forward speed and memory of each temporal backbone on a 1-hour 30 fps video (108k frames).

Our reimplementations (causalex.model.backbones): tcn (AUW-GCN-style dilated convolutions), ssm (Mamba-style
selective state-space stack in plain torch), ssm-slowfast (ME-TST+ / BoostingVRME-style slow and fast
paths), transformer (PESFormer-like timestamp encoder with local attention). Each runs in a fresh
subprocess: an untrained default-size `SpottingNet` (17 AU nodes, the AU graph layers in front, the
config's defaults otherwise) scores random node features of the whole video with
`predict_frame_scores` (chunks of 2048 frames plus each backbone's context, 8 chunks per pass: the
`causalex spot` path). Reported: frames per second of the whole pass and of the backbone alone (time
inside the backbone's forward), peak resident memory of the process (VmHWM: Python, torch, the
features and the scores included), parameters, and the context frames each chunk adds.

    python benchmarks/bench_backbones.py                 # 1 hour, one CPU thread, appends to RESULTS.md
    python benchmarks/bench_backbones.py --quick --no-append
    python benchmarks/bench_backbones.py --gpu           # on CUDA when present
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import append_section, bench_device, script_command  # noqa: E402  (benchmarks/run.py helpers)

FPS = 30.0
N_AUS = 17
BACKBONES = ("tcn", "ssm", "ssm-slowfast", "transformer")


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(backbone: str, hours: float, threads: int, gpu: bool, chunk_frames: int) -> dict:
    """Score ``hours`` of random features with a default-size model using ``backbone``."""
    import numpy as np
    import torch

    from causalex.model.config import ModelConfig
    from causalex.model.inference import predict_frame_scores
    from causalex.model.network import build_model, count_parameters

    device = bench_device(gpu, "cpu", threads)
    if device is None:
        raise SystemExit(1)
    torch.manual_seed(0)
    config = ModelConfig(backbone=backbone)
    rng = np.random.default_rng(0)
    adjacency = (rng.random((N_AUS, N_AUS)) < 0.2).astype(np.float32)
    model = build_model(config, adjacency).to(device)
    frames = int(round(hours * 3600 * FPS))
    feats = rng.standard_normal((frames, N_AUS, config.in_features), dtype=np.float32)
    inside = [0.0]

    def sync():
        if device.type == "cuda":
            torch.cuda.synchronize()

    def pre(module, args):
        sync()
        inside.append(time.perf_counter())

    def post(module, args, output):
        sync()
        inside[0] += time.perf_counter() - inside.pop()

    model.temporal.register_forward_pre_hook(pre)
    model.temporal.register_forward_hook(post)
    predict_frame_scores(model, feats[:min(frames, 4096)], device, chunk_frames=chunk_frames)  # warm-up
    inside[0] = 0.0
    start = time.perf_counter()
    scores = predict_frame_scores(model, feats, device, chunk_frames=chunk_frames)
    sync()
    wall = time.perf_counter() - start
    assert scores.spot.shape == (frames, 8) and np.isfinite(scores.spot).all()
    out = {"backbone": backbone, "frames": frames, "wall_s": wall, "backbone_s": inside[0],
           "params": count_parameters(model), "backbone_params": count_parameters(model.temporal),
           "context": model.context_frames, "exact": model.exact_chunks, "peak_mb": peak_rss_mb()}
    if device.type == "cuda":
        out["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2 ** 20
    out["train_fps"] = training_frames_per_s(model, device)
    return out


def training_frames_per_s(model, device, batch: int = 32, window: int = 180, steps: int = 10) -> float:
    """Frames per second of training steps (forward, backward, AdamW) on ``batch`` windows of ``window``
    frames (the default 6 s at 30 fps), after two warm-up steps."""
    import torch

    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(batch, window, N_AUS, model.config.in_features, device=device)
    start = 0.0
    for step in range(steps + 2):
        if step == 2:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        out = model(x)
        loss = out["spot"].float().pow(2).mean() + out["emotion"].float().logsumexp(-1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return batch * window * steps / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    """Run every backbone in its own process and print (and append) the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hours", type=float, default=1.0, help="video length (default 1 h = 108k frames)")
    p.add_argument("--quick", action="store_true", help="0.1 h instead")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    p.add_argument("--chunk-frames", type=int, default=2048, help="chunk core of predict_frame_scores")
    p.add_argument("--gpu", action="store_true", help="run on CUDA")
    p.add_argument("--backbones", default=",".join(BACKBONES), help="comma-separated subset")
    p.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    p.add_argument("--child", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    hours = 0.1 if args.quick else args.hours
    if args.child:
        print(json.dumps(child(args.child, hours, args.threads, args.gpu, args.chunk_frames)))
        return
    rows = []
    for name in args.backbones.split(","):
        cmd = [sys.executable, __file__, "--child", name, "--hours", str(hours), "--threads", str(args.threads),
               "--chunk-frames", str(args.chunk_frames), *(["--gpu"] if args.gpu else [])]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{name} failed:\n{done.stderr}")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(rows[-1], file=sys.stderr)
    gpu_col = args.gpu
    lines = ["| backbone | frames | whole pass frames/s | backbone alone frames/s | wall s | peak RSS MiB |"
             + (" GPU peak MiB |" if gpu_col else "")
             + " params (backbone) | context frames each side | chunks exact | training frames/s |",
             "|---|---|---|---|---|---|" + ("---|" if gpu_col else "") + "---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['backbone']} | {r['frames']} | {r['frames'] / r['wall_s']:,.0f} | "
                     f"{r['frames'] / max(r['backbone_s'], 1e-9):,.0f} | {r['wall_s']:.1f} | {r['peak_mb']:.0f} |"
                     + (f" {r['gpu_peak_mb']:.0f} |" if gpu_col else "")
                     + f" {r['params']:,} ({r['backbone_params']:,}) | {r['context']} | "
                     f"{'yes' if r['exact'] else 'within tolerance'} | {r['train_fps']:,.0f} |")
    device = "CUDA" if args.gpu else f"CPU, {args.threads} torch thread(s)"
    frames = rows[0]["frames"] if rows else 0
    passes = ("one pass over the whole video" if args.chunk_frames >= frames else
              f"chunks of {args.chunk_frames} frames plus the backbone's context, 8 per pass")
    body = (f"Our reimplementations, untrained default-size models (17 AU nodes, graph layers included), "
            f"{hours:g} h at 30 fps through `predict_frame_scores` ({passes}), "
            f"{device}, each backbone in a fresh process. Peak RSS counts "
            "Python, torch, the features and the scores (measured before training). Training: forward, backward "
            "and AdamW on 32 windows of 180 frames (6 s), a generic loss.\n\n" + "\n".join(lines))
    print(body)
    if not args.no_append:
        append_section("Temporal backbones: forward speed and memory on a long video", script_command(__file__, argv),
                       body)


if __name__ == "__main__":
    main()
