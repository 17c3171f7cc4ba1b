"""#6's speed targets in one short run: batched model forward (frames/s) and one LOSO fold on casme2.

* forward: ``SpottingNet`` forward in inference mode on random ``[B, T, K, F]`` batches (default model,
  17 AUs, the causal-graph layers), frames/s = B x T / median seconds (CUDA: bfloat16 autocast, as
  training's mixed precision). Target on an H100: >= 2e7 frames/s.
* fold: one leave-one-subject-out fold of a casme2-shaped simulated corpus (22 subjects, ~97 videos,
  ~430k frames), as `causalex train` runs it: per-fold causal discovery on the non-test subjects,
  training with per-epoch inner validation (the default 18 epochs), decoding of the test subject.
  Seconds per stage. Target on a GPU: <= 60 s.

    python benchmarks/bench_fold_speed.py --quick       # CPU smoke run: small corpus, 2 epochs
    python benchmarks/bench_fold_speed.py               # CPU, casme2 corpus (a few minutes)
    python benchmarks/bench_fold_speed.py --gpu         # --device cuda (fits one short device call)
    python benchmarks/bench_fold_speed.py --recipe me-tst --epochs 2   # a recipe's model, data and graph

Appends a section to benchmarks/RESULTS.md (``--no-append`` to print only).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import append_section, bench_device, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

from causalex.model.network import build_model  # noqa: E402
from causalex.simulate import generate_corpus  # noqa: E402
from causalex.spot.scoring import decode_prepared  # noqa: E402
from causalex.train.experiment import prepare_videos  # noqa: E402
from causalex.train.folds import fold_graph, fold_videos  # noqa: E402
from causalex.train.fit import fit_model  # noqa: E402
from causalex.train.inputs import check_inputs, label_counts  # noqa: E402
from causalex.train.protocols import make_folds  # noqa: E402
from causalex.train.recipes import make_recipe, recipe_config  # noqa: E402


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_forward(config, n_nodes: int, device: torch.device, batch: int, frames: int,
                  repeats: int) -> dict:
    """Median seconds and frames/s of one inference forward. Shapes: input ``[batch, frames, K, F]``."""
    model = build_model(config.model, torch.ones(n_nodes, n_nodes) - torch.eye(n_nodes)).to(device).eval()
    x = torch.randn(batch, frames, n_nodes, config.model.in_features, device=device)
    use_amp = device.type == "cuda"
    times = []
    with torch.inference_mode(), torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_amp):
        for i in range(repeats + 2):  # two warm-ups
            _sync(device)
            t0 = time.perf_counter()
            model(x)
            _sync(device)
            if i >= 2:
                times.append(time.perf_counter() - t0)
    seconds = statistics.median(times)
    return {"batch": batch, "frames": frames, "seconds": seconds, "fps": batch * frames / seconds}


def bench_fold(preset: str, device: torch.device, epochs: int | None, threads: int, recipe: str = "") -> dict:
    """Seconds of the stages of the first LOSO fold of a simulated ``preset`` corpus (seed 0), with the
    defaults or ``recipe``'s settings and graph."""
    t0 = time.perf_counter()
    corpus = generate_corpus(preset, seed=0)
    graph_spec = make_recipe(recipe).graph if recipe else "causal"
    config = recipe_config(recipe).merged({"optim": {"threads": threads, **({"epochs": epochs} if epochs else {})}})
    au = corpus.series[0].au_names
    subjects = check_inputs(corpus.series, corpus.labels)
    config.model.in_features = config.features.n_features
    videos = prepare_videos(corpus.series, corpus.labels, au, config, subjects)
    fold = make_folds(sorted(set(subjects.values())), label_counts(corpus.labels, subjects), config.protocol)[0]
    t1 = time.perf_counter()
    graph = fold_graph(fold, graph_spec, corpus.series, videos, corpus.labels, au, config)
    t2 = time.perf_counter()
    train, val = fold_videos(videos, fold.train_subjects), fold_videos(videos, fold.val_subjects)
    fitted = fit_model(train, val, graph.adjacency_for(au), au, config, device, seed=config.seed,
                       node_mask=graph.node_mask(au))
    _sync(device)
    t3 = time.perf_counter()
    model = build_model(config.model, graph.adjacency_for(au), graph.node_mask(au)).to(device)
    model.load_state_dict(fitted.result.state_dict)
    preds = [iv for v in fold_videos(videos, fold.test_subjects)
             for iv in decode_prepared(model, v, config, fitted.decode, device, au)]
    _sync(device)
    t4 = time.perf_counter()
    return {"corpus": f"{preset}: {len(corpus.series)} videos, {sum(s.n_frames for s in corpus.series):,} frames, "
                      f"{len(set(subjects.values()))} subjects",
            "fold": fold.name, "epochs": config.optim.epochs, "graph_spec": graph_spec,
            "backbone": config.model.backbone, "sampling": config.data.sampling, "prepare_s": t1 - t0, "graph_s": t2 - t1,
            "train_s": t3 - t2, "test_s": t4 - t3, "total_s": t4 - t0, "edges": len(graph.kept_edges()),
            "predictions": len(preds)}


def main(argv: list[str] | None = None) -> int:
    """Measure, print, append to RESULTS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--quick", action="store_true", help="small corpus, 2 epochs, small batches (a minute)")
    parser.add_argument("--gpu", action="store_true", help="--device cuda, large forward batches")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--repeats", type=int, default=5, help="forward runs (median)")
    parser.add_argument("--recipe", default="", help="a recipe's model, training data and graph (default: the defaults)")
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default: the config's)")
    parser.add_argument("--no-append", action="store_true", help="print only, do not append to RESULTS.md")
    args = parser.parse_args(argv)
    device = bench_device(args.gpu, args.device, args.threads)
    if device is None:
        return 2
    config = recipe_config(args.recipe)
    config.model.in_features = config.features.n_features
    shapes = [(16, 512)] if args.quick else [(64, 4096), (256, 4096)] if device.type == "cuda" else [(16, 4096)]
    forward = [bench_forward(config, 17, device, b, t, args.repeats) for b, t in shapes]
    for row in forward:
        print(f"forward {row}", flush=True)
    fold = bench_fold("small" if args.quick else "casme2", device, 2 if args.quick else args.epochs, args.threads,
                      args.recipe)
    print(f"fold {fold}", flush=True)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {args.threads} torch thread(s)"
    lines = ["| forward batch [B, T] | seconds (median) | frames/s |", "|---|---|---|"]
    lines += [f"| [{r['batch']}, {r['frames']}] | {r['seconds']:.4f} | **{r['fps']:,.0f}** |" for r in forward]
    lines += ["", "| one LOSO fold | seconds |", "|---|---|",
              f"| prepare (simulate corpus, features, folds) | {fold['prepare_s']:.1f} |",
              f"| {fold['graph_spec']} graph of the fold (from the non-test subjects; {fold['edges']} kept edges) | "
              f"{fold['graph_s']:.1f} |",
              f"| training ({fold['backbone']}, {fold['sampling']}), {fold['epochs']} epochs with per-epoch inner "
              f"validation ({fold['train_s'] / fold['epochs']:.1f} s per epoch) | {fold['train_s']:.1f} |",
              f"| decode the test subject ({fold['predictions']} predictions) | {fold['test_s']:.1f} |",
              f"| **total** | **{fold['total_s']:.1f}** |", "",
              f"- Device: {name}; corpus {fold['corpus']}; fold {fold['fold']}; "
              f"{'recipe ' + args.recipe if args.recipe else 'default model and training config'}. "
              f"Load average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}."]
    body = "\n".join(lines)
    print(body)
    if not args.no_append:
        title = f"Forward throughput and one LOSO fold ({device.type}{', recipe ' + args.recipe if args.recipe else ''})"
        append_section(title, script_command(__file__, argv), body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
