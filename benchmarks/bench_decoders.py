"""Interval decoders (our reimplementations): cost against video length, and F1 on the same trained scores.

Decoders (causalex.spot.decoders): ``search`` (causalex's apex candidates + onset/offset search + NMS, the
default), ``me-tst`` (ME-TST's peak +- k_p on the smoothed score) and ``boostingvrme`` (BoostingVRME's
scalable interval selection), plus ME-TST's synergy option ``drop-neutral`` on me-tst.

* speed: `decode_video` (both types, emotions included) on synthetic smoothed-noise probabilities of a
  30 fps video of ``--minutes`` and of 10 times that length, thresholds 0 (every candidate kept); best
  of 3 wall times. A linear decoder takes about 10 times longer at 10x;
* accuracy: the simulated ``small`` preset, k-fold cross-validation (3 folds, no graph), ``--epochs``
  epochs: each fold trains ONE model (`causalex.train.fit.fit_model`, epoch chosen on inner validation
  with the default decoder), scores its validation and test videos once, then every decoder chooses its
  own per-type thresholds on the inner-validation scores (`choose_thresholds`, the rules of training)
  and decodes the test videos. MEGC F1 of the pooled out-of-fold predictions.

    python benchmarks/bench_decoders.py                  # 10 min / 100 min videos, small preset, 8 epochs
    python benchmarks/bench_decoders.py --quick --no-append
    python benchmarks/bench_decoders.py --train-variants  # also the boundary loss and whole-video training

Appends a section to benchmarks/RESULTS.md (``--no-append`` to print only).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import append_section, script_command  # noqa: E402  (benchmarks/run.py: RESULTS.md helpers)

from causalex.metrics import evaluate_spotting  # noqa: E402
from causalex.model.network import build_model  # noqa: E402
from causalex.model.outputs import MEGC_EMOTIONS, SPOT_CHANNELS  # noqa: E402
from causalex.simulate import generate_corpus  # noqa: E402
from causalex.spot.decoding import DecodeConfig, TypeDecodeConfig, decode_video  # noqa: E402
from causalex.spot.scoring import decode_scores, score_prepared  # noqa: E402
from causalex.train.config import ExperimentConfig  # noqa: E402
from causalex.train.experiment import prepare_videos  # noqa: E402
from causalex.train.folds import fold_videos  # noqa: E402
from causalex.train.fit import fit_model  # noqa: E402
from causalex.train.inputs import label_counts  # noqa: E402
from causalex.train.protocols import make_folds  # noqa: E402
from causalex.train.selection import choose_thresholds, expected_counts, label_rates  # noqa: E402

FPS = 30.0
VARIANTS = (("search", "none"), ("me-tst", "none"), ("me-tst", "drop-neutral"), ("boostingvrme", "none"))


def speed_config(decoder: str) -> DecodeConfig:
    """Default bounds, every candidate kept, training durations as a CAS(ME)^2-like corpus would give."""
    micro = TypeDecodeConfig(0.1, 0.5, 0.3, threshold=0.0, candidate_floor=0.0, mean_duration_s=0.35,
                             median_duration_s=0.33)
    macro = TypeDecodeConfig(0.5, 4.0, 0.8, threshold=0.0, candidate_floor=0.0, mean_duration_s=1.6,
                             median_duration_s=1.4)
    return DecodeConfig(micro=micro, macro=macro, decoder=decoder)


def synthetic_scores(frames: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed-noise spotting probabilities ``[T, 8]`` and emotion probabilities ``[T, 4]``."""
    from scipy.ndimage import gaussian_filter1d

    rng = np.random.default_rng(seed)
    x = gaussian_filter1d(rng.standard_normal((frames, len(SPOT_CHANNELS))), 3.0, axis=0) * 6.0
    probs = 1.0 / (1.0 + np.exp(-(x - 1.0)))
    emo = rng.random((frames, len(MEGC_EMOTIONS)))
    return probs.astype(np.float32), (emo / emo.sum(1, keepdims=True)).astype(np.float32)


def time_decoders(minutes: float) -> list[dict]:
    """Best-of-3 decoding time of each variant at ``minutes`` and 10 x ``minutes``."""
    rows = []
    for scale in (1, 10):
        frames = int(round(minutes * scale * 60 * FPS))
        probs, emo = synthetic_scores(frames)
        for decoder, synergy in VARIANTS:
            cfg = replace(speed_config(decoder), synergy=synergy)
            best, n = float("inf"), 0
            for _ in range(3):
                t0 = time.perf_counter()
                n = len(decode_video(probs, emo, FPS, "v", cfg, MEGC_EMOTIONS))
                best = min(best, time.perf_counter() - t0)
            rows.append({"decoder": decoder, "synergy": synergy, "scale": scale, "frames": frames, "seconds": best,
                         "intervals": n})
            print(f"{decoder:>12} {synergy:>12} {scale:>3}x {frames:>8} frames: {best:.3f} s, {n} intervals",
                  flush=True)
    return rows


def accuracy(epochs: int, seed: int, folds: int, overrides: dict | None = None) -> dict[tuple[str, str], dict]:
    """Pooled out-of-fold MEGC scores of every variant on the same trained models (module docstring);
    ``overrides``: training config changes (loss, sampling) of this run."""
    corpus = generate_corpus("small", seed=seed)
    series, labels = corpus.series, corpus.labels
    au_names = list(series[0].au_names)
    config = ExperimentConfig().merged({"optim": {"epochs": epochs, "threads": 1},
                                        "protocol": {"protocol": "kfold", "folds": folds}}).merged(overrides or {})
    subjects = {s.video: s.subject for s in series}
    videos = prepare_videos(series, labels, au_names, config, subjects)
    plan = make_folds(sorted(set(subjects.values())), label_counts(labels, subjects), config.protocol, seed)
    device = torch.device("cpu")
    adjacency = np.zeros((len(au_names), len(au_names)), np.float32)
    preds: dict[tuple[str, str], list] = {v: [] for v in VARIANTS}
    truth = []
    for fold in plan:
        t0 = time.perf_counter()
        train_v, val_v = fold_videos(videos, fold.train_subjects), fold_videos(videos, fold.val_subjects)
        test_v = fold_videos(videos, fold.test_subjects)
        fitted = fit_model(train_v, val_v, adjacency, au_names, config, device, seed)
        model = build_model(config.model, adjacency)
        model.load_state_dict(fitted.result.state_dict)
        model.eval()
        val_scores = [score_prepared(model, v, config, device, au_names) for v in val_v]
        test_scores = [score_prepared(model, v, config, device, au_names) for v in test_v]
        expected = expected_counts(label_rates(train_v), val_v)
        for decoder, synergy in VARIANTS:
            decode = replace(fitted.decode, decoder=decoder, synergy=synergy)
            cands = [iv for s, v in zip(val_scores, val_v) for iv in
                     decode_scores(s, v, decode, config.model.emotion_classes, {"micro": 0.0, "macro": 0.0})]
            choice = choose_thresholds(cands, [iv for v in val_v for iv in v.labels],
                                       {"micro": decode.micro.threshold, "macro": decode.macro.threshold},
                                       objective=config.protocol.selection_metric,
                                       max_pred_ratio=config.protocol.max_pred_ratio, expected=expected,
                                       min_truth=config.protocol.min_val_expressions)
            preds[(decoder, synergy)].extend(iv for s, v in zip(test_scores, test_v) for iv in
                                             decode_scores(s, v, decode, config.model.emotion_classes,
                                                           choice.thresholds))
        truth.extend(iv for v in test_v for iv in v.labels)
        print(f"fold {fold.name}: trained and decoded in {time.perf_counter() - t0:.0f} s", flush=True)
    return {v: evaluate_spotting(preds[v], truth).to_json() for v in VARIANTS}


TRAINING = (("windows, focal loss (default)", {}),
            ("windows, boundary loss", {"optim": {"loss": "boundary"}}),
            ("whole videos, focal loss", {"data": {"sampling": "videos"}}),
            ("whole videos, boundary loss", {"optim": {"loss": "boundary"}, "data": {"sampling": "videos"}}))


def training_table(runs: dict[str, dict], epochs: int) -> str:
    """Markdown rows: overall / micro / macro F1 of each training variant with each decoder."""
    lines = ["", f"Training variants on the same corpus and folds ({epochs} epochs each; whole-video training takes "
                 "one step per batch of 2 videos, so far fewer optimiser steps per epoch than windows):", "",
             "| training | decoder | micro F1 | macro F1 | overall F1 |", "|---|---|---:|---:|---:|"]
    for label, scores in runs.items():
        for (decoder, synergy), s in scores.items():
            if synergy == "none":
                lines.append(f"| {label} | {decoder} | {s['micro']['f1']:.3f} | {s['macro']['f1']:.3f} | "
                             f"{s['overall']['f1']:.3f} |")
    return "\n".join(lines)


def report(speed: list[dict], scores: dict | None, minutes: float, epochs: int) -> str:
    """The markdown body of the RESULTS.md section."""
    lines = ["Our reimplementations of the ME-TST and BoostingVRME decoders (not the authors' code; their "
             "papers report STRS 0.0562 on CAS(ME)^3 and 0.2000 on SAMM-LV for BoostingVRME as a whole "
             "system, not comparable to these numbers).", "",
             "Decoding time, both types with emotions, synthetic smoothed-noise scores at 30 fps, every candidate "
             "kept (best of 3):", "",
             "| decoder | synergy | 1x: frames | 1x: s | 10x: s | 10x / 1x |", "|---|---|---:|---:|---:|---:|"]
    for decoder, synergy in VARIANTS:
        one = next(r for r in speed if (r["decoder"], r["synergy"], r["scale"]) == (decoder, synergy, 1))
        ten = next(r for r in speed if (r["decoder"], r["synergy"], r["scale"]) == (decoder, synergy, 10))
        lines.append(f"| {decoder} | {synergy} | {one['frames']} ({minutes:g} min) | {one['seconds']:.3f} | "
                     f"{ten['seconds']:.3f} | {ten['seconds'] / max(one['seconds'], 1e-9):.1f} |")
    if scores:
        lines += ["", f"F1 on the simulated `small` preset (3-fold, no graph, {epochs} epochs; one model per fold, "
                      "every decoder's thresholds chosen on the same inner-validation scores):", "",
                  "| decoder | synergy | micro F1 | macro F1 | overall F1 | TP / N_pred / N_gt |",
                  "|---|---|---:|---:|---:|---:|"]
        for (decoder, synergy), s in scores.items():
            o = s["overall"]
            lines.append(f"| {decoder} | {synergy} | {s['micro']['f1']:.3f} | {s['macro']['f1']:.3f} | {o['f1']:.3f} | "
                         f"{o['tp']} / {o['n_pred']} / {o['n_gt']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="1x video length for the timing (10x too)")
    parser.add_argument("--epochs", type=int, default=8, help="training epochs per fold")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="1 min / 10 min, 3 epochs")
    parser.add_argument("--no-accuracy", action="store_true", help="timing only")
    parser.add_argument("--train-variants", action="store_true",
                        help="also train with the boundary loss and on whole videos (3 more cross-validations)")
    parser.add_argument("--no-append", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.quick:
        args.minutes, args.epochs = 1.0, 3
    torch.set_num_threads(1)
    speed = time_decoders(args.minutes)
    scores = None if args.no_accuracy else accuracy(args.epochs, args.seed, args.folds)
    body = report(speed, scores, args.minutes, args.epochs)
    if args.train_variants and scores is not None:
        runs = {TRAINING[0][0]: scores}
        runs.update({label: accuracy(args.epochs, args.seed, args.folds, over) for label, over in TRAINING[1:]})
        body += "\n" + training_table(runs, args.epochs)
    print(body)
    if not args.no_append:
        append_section("Interval decoders: time against video length, F1 on the same trained scores",
                       script_command(__file__, argv), body)


if __name__ == "__main__":
    main()
