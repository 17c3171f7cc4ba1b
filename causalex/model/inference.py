"""Run a `SpottingNet` over whole videos of any length, in equal chunks with exact context.

Chunks overlap by the receptive field, so chunked scores equal the scores of one pass over the whole
video (the model normalises per frame, never over time), while memory stays bounded.
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


def chunk_starts(n_frames: int, window: int, core: int) -> list[int]:
    """Start frames of equal windows of length ``window`` whose cores (``core`` frames) tile the video.

    The last window ends at the video end; a video shorter than ``window`` gets one start, 0.
    """
    if n_frames <= window:
        return [0]
    starts = list(range(0, n_frames - window, core))
    if starts[-1] != n_frames - window:
        starts.append(n_frames - window)
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
        chunk_frames: frames per chunk core (the window adds the receptive field).
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
    ctx = model.receptive_field // 2
    window = chunk_frames + 2 * ctx
    starts = chunk_starts(n, window, chunk_frames)
    length = min(window, n)
    x_all = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
    spot = np.zeros((n, len(model.spot_head.bias)), np.float32)
    emotion = np.zeros((n, model.emotion_head.out_channels), np.float32)
    device = torch.device(device)
    use_amp = amp and device.type == "cuda"
    for b in range(0, len(starts), batch_chunks):
        group = starts[b:b + batch_chunks]
        x = torch.stack([x_all[s:s + length] for s in group]).to(device, non_blocking=True)
        with torch.autocast(device_type=device.type, dtype=autocast_dtype() if use_amp else None, enabled=use_amp):
            out = model(x, adjacency)
        probs = torch.sigmoid(out["spot"].float()).cpu().numpy()
        emo = torch.softmax(out["emotion"].float(), dim=-1).cpu().numpy()
        for i, s in enumerate(group):
            lo = 0 if s == 0 else ctx  # the first chunk owns the video start
            hi = length if s + length >= n else length - ctx  # the last chunk owns the video end
            spot[s + lo:s + hi] = probs[i, lo:hi]
            emotion[s + lo:s + hi] = emo[i, lo:hi]
    return FrameScores(spot=spot, emotion=emotion)
