"""Timestamp transformer backbone (PESFormer-like): pre-norm encoder layers with local attention.

PESFormer classifies every timestamp with a transformer over whole zero-padded videos. Global
attention is quadratic in T (a 1-hour video at 30 fps is 108k frames), so here every frame attends
only to the frames at most ``attn_window`` away (banded attention, computed block by block: blocks of
``attn_window`` queries see their own and the two neighbouring blocks, masked to the band). Position
enters as a learned bias per head and relative offset (-window .. +window), which works at any
video length and at any chunk position. Each layer reaches ``attn_window`` frames each way, so the
receptive field is finite and chunked inference with ``layers * window`` frames of context equals one
pass over the whole video. Where we deviate from PESFormer: local instead of global attention,
relative instead of absolute position, and the heads and windows of causalex's training.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as fn

from causalex.model.config import check_whole_numbers


def _shift_blocks(x: Tensor, offset: int) -> Tensor:
    """Blocks moved along the block axis (dim 2) by ``offset`` (+1: previous block), zero-filled.

    Shapes: ``x: [B, H, nb, w, dh]`` -> same.
    """
    zeros = torch.zeros_like(x[:, :, :1])
    if offset > 0:
        return torch.cat([zeros, x[:, :, :-1]], dim=2)
    return torch.cat([x[:, :, 1:], zeros], dim=2)


class LocalSelfAttention(nn.Module):
    """Multi-head self-attention where frame i sees frames j with ``|i - j| <= window``.

    Args:
        channels: D (divisible by ``heads``).
        heads: attention heads.
        window: frames each way a query sees.

    Shapes:
        forward ``x: [B, T, D]`` -> ``[B, T, D]``.
    """

    def __init__(self, channels: int, heads: int, window: int) -> None:
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv = nn.Linear(channels, 3 * channels)
        self.out = nn.Linear(channels, channels)
        self.relative_bias = nn.Parameter(torch.zeros(heads, 2 * window + 1))  # per head and offset -w .. w

    def _mask(self, n_blocks: int, t: int, device: torch.device, dtype: torch.dtype) -> Tensor:
        """Additive mask with the relative bias: ``[H, nb, w, 3w]`` (-inf outside the band or the video)."""
        w = self.window
        i = torch.arange(w, device=device)[:, None]
        j = torch.arange(3 * w, device=device)[None, :]
        offset = j - w - i  # key frame minus query frame, [w, 3w]
        band = offset.abs() <= w
        bias = self.relative_bias[:, (offset + w).clamp(0, 2 * w)].to(dtype)  # [H, w, 3w]
        key = torch.arange(n_blocks, device=device)[:, None] * w - w + torch.arange(3 * w, device=device)[None]
        inside = (key >= 0) & (key < t)  # [nb, 3w]
        valid = band[None] & inside[:, None, :]  # [nb, w, 3w]
        return bias[:, None].masked_fill(~valid[None], float("-inf"))

    def forward(self, x: Tensor) -> Tensor:
        """Shapes: ``x: [B, T, D]`` -> ``[B, T, D]``."""
        b, t, d = x.shape
        w, h = self.window, self.heads
        nb = -(-t // w)
        qkv = fn.pad(self.qkv(x), (0, 0, 0, nb * w - t))  # [B, nb*w, 3D]
        qkv = qkv.reshape(b, nb, w, 3, h, d // h).permute(3, 0, 4, 1, 2, 5)  # [3, B, H, nb, w, dh]
        q, k, v = qkv[0], qkv[1], qkv[2]
        k = torch.cat([_shift_blocks(k, 1), k, _shift_blocks(k, -1)], dim=3)  # [B, H, nb, 3w, dh]
        v = torch.cat([_shift_blocks(v, 1), v, _shift_blocks(v, -1)], dim=3)
        mask = self._mask(nb, t, x.device, q.dtype)
        y = fn.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # [B, H, nb, w, dh]
        y = y.permute(0, 2, 3, 1, 4).reshape(b, nb * w, d)[:, :t]
        return self.out(y)


class TransformerLayer(nn.Module):
    """Pre-norm encoder layer: ``x + Drop(Attn(Norm(x)))``, then ``x + Drop(MLP(Norm(x)))``."""

    def __init__(self, channels: int, heads: int, window: int, dropout: float) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(channels), nn.LayerNorm(channels)
        self.attn = LocalSelfAttention(channels, heads, window)
        self.mlp = nn.Sequential(nn.Linear(channels, 2 * channels), nn.GELU(), nn.Linear(2 * channels, channels))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        """Shapes: ``x: [B, T, D]`` -> ``[B, T, D]``."""
        x = x + self.drop(self.attn(self.norm1(x)))
        return x + self.drop(self.mlp(self.norm2(x)))


class TimestampTransformer(nn.Module):
    """Stack of `TransformerLayer` with a final norm (the "transformer" backbone).

    Attributes:
        context_frames: ``layers * window``, the exact reach of one output frame each way.

    Shapes:
        forward ``x: [B, D, T]`` -> ``[B, D, T]``.
    """

    exact_chunks = True
    chunk_align = 1

    def __init__(self, channels: int, config) -> None:
        super().__init__()
        check_whole_numbers(config, ("attn_heads", "attn_layers", "attn_window"))
        if channels % config.attn_heads:
            raise ValueError(f"ModelConfig.temporal_channels ({channels}) must be divisible by attn_heads "
                             f"({config.attn_heads})")
        self.layers = nn.Sequential(*[TransformerLayer(channels, config.attn_heads, config.attn_window,
                                                       config.dropout) for _ in range(config.attn_layers)])
        self.norm = nn.LayerNorm(channels)
        self.context_frames = config.attn_layers * config.attn_window

    def forward(self, x: Tensor) -> Tensor:
        """Shapes: ``x: [B, D, T]`` -> ``[B, D, T]``."""
        return self.norm(self.layers(x.transpose(1, 2))).transpose(1, 2)
