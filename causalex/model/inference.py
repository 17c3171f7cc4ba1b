"""Run a `SpottingNet` over whole videos of any length, in equal chunks with context.

The chunk + overlap rule: every chunk adds ``model.context_frames`` frames of context on each side of
the frames it scores, and starts at a multiple of ``model.chunk_align``. The backbone states both
(`causalex.model.backbones`). For backbones with a finite receptive field (tcn, transformer) the
context is that reach, so chunked scores equal one pass over the whole video (the model normalises
per frame, never over time). A state-space backbone remembers without end, but its memory is bounded
by construction (a frame weighs < 1/1000 in the state after ``ssm_memory`` frames), so chunks with
that context agree with one pass within a small tolerance (tested). Memory stays bounded by the chunk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from causalex.model.network import SpottingNet


@dataclass
class FrameScores:
    """Per-frame model outputs of one video (probabilities).

    Attributes:
        spot: ``[T, 8]`` sigmoid outputs in the order of `causalex.model.outputs.SPOT_CHANNELS`.
        emotion: ``[T, C]`` softmax over the emotion classes.
    """

    spot: np.ndarray
    emotion: np.ndarray


def autocast_dtype() -> torch.dtype:
    """Half-precision type of mixed precision on CUDA: bfloat16 where the card supports it, else float16.

    Training and inference both use it, so that thresholds chosen on validation scores see the precision
    the network is later run in.
    """
    return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float16


def chunk_starts(n_frames: int, window: int, core: int, align: int = 1) -> list[int]:
    """Start frames of windows of length ``window`` whose cores (``core`` frames) tile the video.

    Starts are multiples of ``align`` (``core`` must be one). The last window ends at the video end: with
    ``align > 1`` it starts at the last multiple of ``align`` before ``n_frames - window`` and is longer
    than ``window`` by less than ``align`` frames. A video shorter than ``window`` gets one start, 0.
    """
    if core % align:
        raise ValueError(f"chunk core ({core}) must be a multiple of the alignment ({align})")
    if n_frames <= window:
        return [0]
    starts = list(range(0, n_frames - window, core))
    last = (n_frames - window) // align * align
    if starts[-1] != last:
        starts.append(last)
    return starts


@torch.no_grad()
def predict_frame_scores(model: SpottingNet, features: np.ndarray, device: str | torch.device = "cpu",
                         chunk_frames: int = 2048, batch_chunks: int = 8,
                         adjacency: torch.Tensor | None = None, amp: bool = False) -> FrameScores:
    """Score every frame of one video.

    Args:
        model: a trained network (put in eval mode here).
        features: node features of the video.
        device: where to run.
        chunk_frames: frames per chunk core (the window adds ``model.context_frames`` each side; rounded
            up to a multiple of ``model.chunk_align``).
        batch_chunks: chunks per forward pass.
        adjacency: graph to use instead of the model's (the dynamic option passes the video's own).
        amp: autocast to half precision on CUDA.

    Returns:
        Per-frame probabilities.

    Shapes:
        features: ``[T, K, F]``; returns ``spot: [T, 8]``, ``emotion: [T, C]``.
    """
    model.eval()
    n = features.shape[0]
    ctx, align = model.context_frames, model.chunk_align
    core = -(-chunk_frames // align) * align
    window = core + 2 * ctx
    starts = chunk_starts(n, window, core, align)
    spans = [(s, n if s == starts[-1] else s + window) for s in starts]  # the last chunk ends at the video end
    x_all = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
    spot = np.zeros((n, len(model.spot_head.bias)), np.float32)
    emotion = np.zeros((n, model.emotion_head.out_channels), np.float32)
    device = torch.device(device)
    use_amp = amp and device.type == "cuda"
    batches = [spans[b:b + batch_chunks] for b in range(0, len(spans), batch_chunks)]
    if len(batches[-1]) > 1 and batches[-1][-1][1] - batches[-1][-1][0] != window:
        batches[-1:] = [batches[-1][:-1], batches[-1][-1:]]  # a longer last chunk (aligned starts) goes alone
    for group in batches:
        x = torch.stack([x_all[s:e] for s, e in group]).to(device, non_blocking=True)
        with torch.autocast(device_type=device.type, dtype=autocast_dtype() if use_amp else None, enabled=use_amp):
            out = model(x, adjacency)
        probs = torch.sigmoid(out["spot"].float()).cpu().numpy()
        emo = torch.softmax(out["emotion"].float(), dim=-1).cpu().numpy()
        for i, (s, e) in enumerate(group):
            lo = 0 if s == 0 else ctx  # the first chunk owns the video start
            hi = e - s if e >= n else e - s - ctx  # the last chunk owns the video end
            spot[s + lo:s + hi] = probs[i, lo:hi]
            emotion[s + lo:s + hi] = emo[i, lo:hi]
    return FrameScores(spot=spot, emotion=emotion)
