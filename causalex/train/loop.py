"""Train one model: AdamW with warm-up + cosine decay, focal losses, per-epoch validation and selection.

`train_model` fits the weights on training videos, scores the validation videos after every epoch,
chooses the decoding thresholds there, and keeps the epoch with the best validation F1. It can save a
resumable state after every epoch and continue from it.
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from causalex.checkpoint import load_training_state, save_training_state
from causalex.devices import device_problem
from causalex.labels import Interval
from causalex.model.dynamic_graph import discover_adjacency
from causalex.model.inference import autocast_dtype
from causalex.model.network import SpottingNet, build_model
from causalex.model.outputs import SPOT_CHANNELS
from causalex.spot.decoding import DecodeConfig
from causalex.train.config import ExperimentConfig, auto_batch_size
from causalex.train.dataset import PreparedVideo, make_sampler
from causalex.train.losses import emotion_loss, make_loss
from causalex.spot.scoring import decode_prepared
from causalex.train.selection import (SOURCE_CONFIGURED, ThresholdChoice, ValidationEvidence, choose_thresholds,
                                      expected_counts)

log = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """Outcome of `train_model`.

    Attributes:
        state_dict: weights of the selected epoch (CPU tensors).
        best_epoch: selected epoch, 1-based.
        thresholds: per-type score thresholds chosen on validation.
        val_f1: overall validation F1 at the selected epoch (None without validation videos).
        history: one dict per epoch (loss, validation F1, thresholds, their sources, seconds).
        evidence: the validation evidence of the selected epoch (None without validation videos), which
            the deployment model pools over folds.
        threshold_sources: ``{type: rule}`` that set each threshold (`causalex.train.selection`).
    """

    state_dict: dict[str, torch.Tensor]
    best_epoch: int
    thresholds: dict[str, float]
    val_f1: float | None
    history: list[dict[str, Any]] = field(default_factory=list)
    evidence: ValidationEvidence | None = None
    threshold_sources: dict[str, str] = field(default_factory=dict)


def resolve_device(device: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without a GPU raises ValueError."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if problem := device_problem(device):
        raise ValueError(problem)
    return torch.device(device)


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and CUDA) for repeatable runs."""
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def _lr_factor(step: int, total: int, warmup: int) -> float:
    if warmup > 0 and step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def _channel_weights(micro_weight: float, device: torch.device) -> torch.Tensor:
    return torch.tensor([micro_weight if c.startswith("micro") else 1.0 for c in SPOT_CHANNELS], device=device)


def validate(model: SpottingNet, videos: list[PreparedVideo], config: ExperimentConfig, decode: DecodeConfig,
             device: torch.device, node_names: list[str], rates: dict[str, float] | None = None) -> ThresholdChoice:
    """Score validation videos and choose the thresholds there (objective ``protocol.selection_metric``).

    Args:
        rates: training expressions per second and type; with them a type with too little validation
            evidence takes the rate threshold (`causalex.train.selection.choose_thresholds`).
    """
    preds: list[Interval] = []
    truth: list[Interval] = []
    for v in videos:
        preds.extend(decode_prepared(model, v, config, decode, device, node_names,
                                     thresholds={"micro": 0.0, "macro": 0.0}))
        truth.extend(v.labels)
    defaults = {"micro": decode.micro.threshold, "macro": decode.macro.threshold}
    return choose_thresholds(preds, truth, defaults, objective=config.protocol.selection_metric,
                             max_pred_ratio=config.protocol.max_pred_ratio,
                             expected=None if rates is None else expected_counts(rates, videos),
                             min_truth=config.protocol.min_val_expressions)


class WeightAverage:
    """Exponential moving average of a model's weights (buffers copied as they are).

    The decay at update n is ``min(decay, (1 + n) / (10 + n))``, so that short runs average over their
    own few steps rather than over the initial weights.

    Args:
        model: the model being trained.
        decay: weight of the old average at each update (0 = the average is the model itself).
    """

    def __init__(self, model: SpottingNet, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.shadow = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: SpottingNet) -> None:
        """Blend the current weights into the average."""
        self.updates += 1
        decay = min(self.decay, (1.0 + self.updates) / (10.0 + self.updates))
        for k, v in model.state_dict().items():
            if v.dtype.is_floating_point and decay > 0:
                self.shadow[k].mul_(decay).add_(v.detach(), alpha=1.0 - decay)
            else:
                self.shadow[k].copy_(v)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """CPU copy of the averaged weights."""
        return {k: v.detach().cpu().clone() for k, v in self.shadow.items()}

    def load_state_dict(self, state: dict[str, torch.Tensor], updates: int) -> None:
        """Restore an average saved with `state_dict` after ``updates`` updates."""
        self.updates = updates
        for k, v in state.items():
            self.shadow[k].copy_(v)


def train_model(train_videos: list[PreparedVideo], val_videos: list[PreparedVideo], adjacency: np.ndarray,
                node_names: list[str], config: ExperimentConfig, decode: DecodeConfig, device: torch.device,
                seed: int, on_epoch: Callable[[dict[str, Any]], None] | None = None,
                state_path: str | os.PathLike | None = None, node_mask: np.ndarray | None = None,
                rates: dict[str, float] | None = None, stop_epoch: int | None = None) -> TrainResult:
    """Fit one model and select its epoch and thresholds on ``val_videos``.

    Args:
        train_videos: labelled videos the weights are fitted on.
        val_videos: labelled videos for selection (empty: last epoch, config thresholds).
        adjacency: ``[K, K]`` AU graph (ignored per batch with the dynamic option).
        node_names: the K AU names.
        config: the experiment settings.
        decode: decoding settings (duration bounds already fitted).
        device: where to train.
        seed: seeds the weights and the window draws.
        on_epoch: called after every epoch with the epoch's record.
        state_path: where to keep a resumable state; an existing state there is resumed.
        node_mask: ``[K]`` 1 for AUs the model may use.
        rates: training expressions per second and type, for the rate fallback of the threshold choice.
        stop_epoch: without validation videos, stop after this epoch (the learning-rate schedule still spans
            ``optim.epochs``, so the weights are those a fold model had at that epoch); default the last.
    """
    opt_cfg = config.optim
    if opt_cfg.threads > 0:
        torch.set_num_threads(opt_cfg.threads)
    seed_everything(seed)
    model = build_model(config.model, adjacency, node_mask).to(device)
    rng = np.random.default_rng(seed)
    sampler = make_sampler(train_videos, config.data, rng)
    optimizer = torch.optim.AdamW(model.parameters(), lr=opt_cfg.lr, weight_decay=opt_cfg.weight_decay)
    spot_loss = make_loss(opt_cfg.loss, gamma=opt_cfg.focal_gamma, label_smoothing=opt_cfg.label_smoothing,
                          boundary_weight=opt_cfg.boundary_weight)
    weights = _channel_weights(opt_cfg.micro_weight, device)
    use_amp = opt_cfg.amp and device.type == "cuda"
    amp_dtype = autocast_dtype()
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp and amp_dtype == torch.float16)
    n_windows = len(sampler.epoch())
    batch_size = auto_batch_size(n_windows, opt_cfg)
    steps_per_epoch = max(1, math.ceil(n_windows / batch_size))
    total_steps = steps_per_epoch * opt_cfg.epochs
    warmup = int(opt_cfg.warmup_epochs * steps_per_epoch)
    average = WeightAverage(model, opt_cfg.ema_decay)
    evaluated = build_model(config.model, adjacency, node_mask).to(device)  # holds the averaged weights for validation

    start_epoch, step, history = 0, 0, []
    best: dict[str, Any] = {"score": -1.0, "f1": None, "epoch": 0, "state": None, "thresholds": None}
    if state_path is not None and os.path.exists(state_path):
        state = load_training_state(state_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        average.load_state_dict(state["average"], state["step"])
        start_epoch, step, history, best = state["epoch"], state["step"], state["history"], state["best"]
        rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"])
        if device.type == "cuda" and state.get("cuda_rng") is not None:  # dropout on CUDA draws from its own generator
            torch.cuda.set_rng_state(state["cuda_rng"], device)
        log.info("resumed training from %s at epoch %d", state_path, start_epoch + 1)
    log.debug("%d training windows per epoch, batch size %d", n_windows, batch_size)

    last_epoch = opt_cfg.epochs if stop_epoch is None or val_videos else max(1, min(stop_epoch, opt_cfg.epochs))
    for epoch in range(start_epoch, last_epoch):
        t0 = time.perf_counter()
        model.train()
        total, n_batches = 0.0, 0
        for windows in sampler.batches(batch_size):
            batch = sampler.collate(windows).to(device)
            for group in optimizer.param_groups:
                group["lr"] = opt_cfg.lr * _lr_factor(step, total_steps, warmup)
            adj = discover_adjacency(batch.x, node_names, config.model) if config.model.dynamic else None
            with torch.autocast(device_type=device.type, dtype=amp_dtype, enabled=use_amp):
                out = model(batch.x, adj)
            loss = spot_loss(out["spot"], batch.spot, batch.loss_mask, weights)
            if opt_cfg.emotion_weight > 0:
                loss = loss + opt_cfg.emotion_weight * emotion_loss(out["emotion"], batch.emotion, batch.loss_mask,
                                                                    opt_cfg.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if opt_cfg.grad_clip > 0:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), opt_cfg.grad_clip)
            scaler.step(optimizer)
            scaler.update()
            average.update(model)
            total += float(loss.detach())
            n_batches += 1
            step += 1
        record: dict[str, Any] = {"epoch": epoch + 1, "loss": total / max(1, n_batches)}
        if val_videos and (epoch + 1 >= opt_cfg.validate_from * opt_cfg.epochs or epoch + 1 == opt_cfg.epochs):
            evaluated.load_state_dict(average.shadow)
            choice = validate(evaluated, val_videos, config, decode, device, node_names, rates)
            record.update(val_f1=choice.f1, val_score=choice.score, thresholds=choice.thresholds,
                          val_counts={k: list(v) for k, v in choice.counts.items()}, val_guarded=list(choice.guarded),
                          threshold_sources=choice.sources)
            if choice.score >= best["score"]:
                best = {"score": choice.score, "f1": choice.f1, "epoch": epoch + 1, "thresholds": choice.thresholds,
                        "state": average.state_dict(), "sources": choice.sources,
                        "evidence": choice.evidence.to_json() if choice.evidence is not None else None}
        record["seconds"] = time.perf_counter() - t0
        history.append(record)
        log.debug("epoch %d: %s", epoch + 1, record)
        if state_path is not None:
            save_training_state(state_path, {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(), "scaler": scaler.state_dict(),
                "average": average.state_dict(),
                "epoch": epoch + 1, "step": step, "history": history, "best": best,
                "numpy_rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(),
                "cuda_rng": torch.cuda.get_rng_state(device) if device.type == "cuda" else None})
        if on_epoch is not None:
            on_epoch(record)

    if best["state"] is None:  # no validation videos: the last (or stop) epoch, the configured thresholds
        return TrainResult(state_dict=average.state_dict(),
                           best_epoch=last_epoch,
                           thresholds={"micro": decode.micro.threshold, "macro": decode.macro.threshold},
                           val_f1=None, history=history,
                           threshold_sources={"micro": SOURCE_CONFIGURED, "macro": SOURCE_CONFIGURED})
    evidence = best.get("evidence")
    return TrainResult(state_dict=best["state"], best_epoch=best["epoch"], thresholds=dict(best["thresholds"]),
                       val_f1=best["f1"], history=history,
                       evidence=ValidationEvidence.from_json(evidence) if evidence else None,
                       threshold_sources=dict(best.get("sources") or {}))

