"""Spot throughput (model forward + decoding) and training speed, on CPU here or ``--device cuda``.

Measures, with medians of several runs in one process:

* spot: frames per second of ``ModelSpotter.spot_one`` on a long synthetic video at 30 fps and at
  200 fps (resampled to the 30 fps working rate), split into features, forward and decoding;
* graph layer: the torch-geometric message-passing layer against the dense matrix formulation (same
  maths) on a training-size batch, forward and forward+backward;
* training: seconds per epoch and training frames per second on the ``small`` simulated corpus.

Appends a section to benchmarks/RESULTS.md (``--no-append`` to print only).

    python benchmarks/bench_spot.py                # CPU, default sizes
    python benchmarks/bench_spot.py --quick        # a minute
    python benchmarks/bench_spot.py --gpu          # --device cuda, larger sizes
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import append_section, bench_device, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

from causalex import checkpoint as ckpt  # noqa: E402
from causalex.graph import full_graph  # noqa: E402
from causalex.model.graph_layers import make_graph_layer  # noqa: E402
from causalex.series import AUSeries  # noqa: E402
from causalex.simulate import generate_corpus  # noqa: E402
from causalex.spot.spotter import ModelSpotter  # noqa: E402
from causalex.spot.scoring import decode_scores, score_prepared  # noqa: E402
from causalex.train.config import ExperimentConfig  # noqa: E402
from causalex.train.dataset import prepare_video  # noqa: E402
from causalex.train.experiment import prepare_videos  # noqa: E402
from causalex.train.loop import train_model  # noqa: E402


def long_video(minutes: float, fps: float, seed: int = 0) -> AUSeries:
    """A simulated video of ``minutes`` at ``fps`` (one subject, the casme2 generator dials)."""
    corpus = generate_corpus("tiny", seed=seed, n_subjects=1, n_videos=1, video_mean_s=minutes * 60.0,
                             video_min_s=minutes * 60.0, video_log_sd=0.0, fps=fps, n_macro=int(minutes * 2),
                             n_micro=int(minutes))
    return corpus.series[0]


def bench_spot(spotter: ModelSpotter, series: AUSeries, repeats: int) -> dict:
    """Medians of features / forward / decode seconds and end-to-end frames per second."""
    cfg = spotter.bundle.config
    parts = {"features": [], "forward": [], "decode": [], "total": []}
    spotter.spot_one(series)  # warm-up
    for _ in range(repeats):
        t0 = time.perf_counter()
        video = prepare_video(series, spotter.bundle.au_names, cfg.data, cfg.features)
        t1 = time.perf_counter()
        scores = score_prepared(spotter.model, video, cfg, spotter.device, spotter.bundle.au_names)
        if spotter.device.type == "cuda":
            torch.cuda.synchronize()
        t2 = time.perf_counter()
        decode_scores(scores, video, spotter.bundle.decode, cfg.model.emotion_classes)
        t3 = time.perf_counter()
        for key, value in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t3 - t0)):
            value_list = parts[key]
            value_list.append(value)
    worst = spotter.bundle.decode.to_dict()  # every local maximum of the apex score becomes a candidate
    for kind in ("micro", "macro"):
        worst[kind].update(candidate_floor=0.0, threshold=0.0)
    worst_cfg = type(spotter.bundle.decode).from_dict(worst)
    t4 = time.perf_counter()
    n_worst = len(decode_scores(scores, video, worst_cfg, cfg.model.emotion_classes))
    parts["decode_worst"] = [time.perf_counter() - t4]
    med = {k: statistics.median(v) for k, v in parts.items()}
    med["n_worst"] = n_worst
    med["fps"] = series.n_frames / med["total"]
    med["fps_forward"] = video.n_frames / med["forward"]
    return med


def bench_graph_layers(device: torch.device, batch: int, frames: int, hidden: int, repeats: int) -> dict:
    """Forward and forward+backward seconds of the dense and pyg layers (same weights)."""
    adj = full_graph([f"AU{i:02d}" for i in range(1, 18)]).adjacency_for([f"AU{i:02d}" for i in range(1, 18)])
    adj = torch.as_tensor(adj, device=device)
    h = torch.randn(batch * frames, 17, hidden, device=device, requires_grad=True)
    out = {}
    layers = {name: make_graph_layer(name, hidden, hidden).to(device) for name in ("dense", "pyg")}
    layers["pyg"].load_state_dict(layers["dense"].state_dict())
    for name, layer in layers.items():
        fwd, both = [], []
        layer(h, adj)  # warm-up
        for _ in range(repeats):
            for name2, bucket in (("fwd", fwd), ("both", both)):
                t0 = time.perf_counter()
                y = layer(h, adj)
                if name2 == "both":
                    y.sum().backward()
                if device.type == "cuda":
                    torch.cuda.synchronize()
                bucket.append(time.perf_counter() - t0)
        out[name] = (statistics.median(fwd), statistics.median(both))
    return out


def bench_training(device: torch.device, epochs: int, threads: int) -> tuple[dict, ckpt.ModelBundle]:
    """Seconds per epoch (training steps + validation) on the `small` simulated corpus, and the model."""
    corpus = generate_corpus("small", seed=0)
    cfg = ExperimentConfig().merged({"optim": {"epochs": epochs, "threads": threads}})
    au = corpus.series[0].au_names
    videos = prepare_videos(corpus.series, corpus.labels, au, cfg, {s.video: s.subject for s in corpus.series})
    subjects = sorted({v.subject for v in videos})
    train = [v for v in videos if v.subject in subjects[1:]]
    val = [v for v in videos if v.subject == subjects[0]]
    t0 = time.perf_counter()
    result = train_model(train, val, full_graph(au).adjacency_for(au), au, cfg, cfg.decode, device, seed=0)
    total = time.perf_counter() - t0
    seconds = [r["seconds"] for r in result.history]
    frames = sum(v.n_frames for v in train)
    decode = cfg.decode
    for kind, thr in result.thresholds.items():
        getattr(decode, kind).threshold = thr
    bundle = ckpt.ModelBundle(cfg, au, full_graph(au), cfg.data.working_fps, decode, result.state_dict)
    return {"epoch_s": statistics.median(seconds), "total_s": total, "train_frames": frames, "epochs": epochs}, bundle


def main(argv: list[str] | None = None) -> int:
    """Run the three measurements, print them, append to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--quick", action="store_true", help="small sizes (about a minute on 2 cores)")
    parser.add_argument("--gpu", action="store_true", help="GPU set: --device cuda and larger sizes")
    parser.add_argument("--minutes", type=float, default=None, help="length of the spotted video")
    parser.add_argument("--repeats", type=int, default=None, help="runs per measure (median)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is steadiest on a shared box)")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    args = parser.parse_args(argv)
    device = bench_device(args.gpu, args.device, args.threads)
    if device is None:
        return 2
    minutes = args.minutes or (2.0 if args.quick else 30.0 if args.gpu else 10.0)
    repeats = args.repeats or (3 if args.quick else 5)

    train, bundle = bench_training(device, epochs=1 if args.quick else 2, threads=args.threads)
    print(f"training: {train}", flush=True)
    cfg = bundle.config
    with tempfile.TemporaryDirectory() as tmp:  # through a checkpoint file, as `causalex spot` does
        spotter = ModelSpotter.from_path(ckpt.save_checkpoint(Path(tmp) / "model.pt", bundle), device)
    model = spotter.model
    rows = []
    for fps in (30.0, 200.0):
        series = long_video(minutes, fps)
        r = bench_spot(spotter, series, repeats)
        rows.append((fps, series.n_frames, r))
        print(f"spot {fps:g} fps input: {r['fps']:.0f} frames/s ({r})", flush=True)
    layers = bench_graph_layers(device, batch=16 if not args.gpu else 64, frames=180, hidden=cfg.model.node_hidden,
                                repeats=repeats)
    print(f"graph layers: {layers}", flush=True)

    lines = ["| input | frames | features (s) | forward (s) | decode (ms) | total (s) | spot frames/s (input) | "
             "decode, every local max a candidate (ms) |", "|---|---|---|---|---|---|---|---|"]
    for fps, n, r in rows:
        lines.append(f"| {minutes:g} min at {fps:g} fps | {n:,} | {r['features']:.3f} | {r['forward']:.3f} | "
                     f"{r['decode'] * 1e3:.1f} | {r['total']:.3f} | **{r['fps']:,.0f}** | "
                     f"{r['decode_worst'] * 1e3:.0f} ({r['n_worst']} intervals) |")
    d, p = layers["dense"], layers["pyg"]
    lines += ["", "| graph layer (batch of training windows) | forward (ms) | forward+backward (ms) |", "|---|---|---|",
              f"| dense matrix product | {d[0] * 1e3:.2f} | {d[1] * 1e3:.2f} |",
              f"| torch-geometric MessagePassing (static graph, node_dim=-2) | {p[0] * 1e3:.2f} | {p[1] * 1e3:.2f} |",
              f"| pyg / dense | {p[0] / d[0]:.1f}x | {p[1] / d[1]:.1f}x |"]
    lines += ["", f"- Training on the `small` simulated corpus ({train['train_frames']:,} training frames at 30 fps): "
                  f"{train['epoch_s']:.1f} s per epoch (steps + validation), median of {train['epochs']} epochs.",
              f"- Device {device}, torch threads {args.threads}, default model ({sum(x.numel() for x in model.parameters()):,} "
              f"parameters, graph layer `{cfg.model.graph_layer}`) trained for the timing above (so that decoding "
              f"sees realistic scores); medians of {repeats} runs; load average at the end: "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}."]
    body = "\n".join(lines)
    print(body)
    if not args.no_append:
        append_section(f"Spot throughput and training speed ({device.type})", script_command(__file__, argv), body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
