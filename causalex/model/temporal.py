"""TCN backbone: residual dilated 1-D convolutions over the per-frame graph embedding (AUW-GCN style).

Normalisation is per frame (LayerNorm over channels), never over time, so that running a long video in
chunks gives the same scores as running it whole.
"""

from __future__ import annotations

from torch import Tensor, nn


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channel axis of ``[B, C, T]`` tensors."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x: Tensor) -> Tensor:
        """Shapes: ``x: [B, C, T]`` -> ``[B, C, T]``."""
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


class DilatedResidualBlock(nn.Module):
    """``x + Dropout(Conv1x1(GELU(DilatedConv(GELU(Norm(x))))))`` with 'same' padding."""

    def __init__(self, channels: int, kernel: int, dilation: int, dropout: float) -> None:
        super().__init__()
        if kernel % 2 != 1:
            raise ValueError(f"temporal kernel must be odd, got {kernel}")
        self.norm = ChannelLayerNorm(channels)
        self.conv = nn.Conv1d(channels, channels, kernel, dilation=dilation, padding=dilation * (kernel - 1) // 2)
        self.mix = nn.Conv1d(channels, channels, 1)
        self.act = nn.GELU()
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        """Shapes: ``x: [B, D, T]`` -> ``[B, D, T]``."""
        return x + self.drop(self.mix(self.act(self.conv(self.act(self.norm(x))))))


class TemporalHead(nn.Module):
    """Stack of `DilatedResidualBlock`, one per dilation, then a final norm (the "tcn" backbone).

    Attributes:
        context_frames: exact reach of one output frame each way, ``sum((kernel - 1) * d) / 2``.
        chunk_align: chunk starts may be any frame (1).
        exact_chunks: chunked inference equals one pass over the whole video.
    """

    exact_chunks = True
    chunk_align = 1

    def __init__(self, channels: int, kernel: int, dilations: tuple[int, ...], dropout: float) -> None:
        super().__init__()
        self.blocks = nn.Sequential(*[DilatedResidualBlock(channels, kernel, d, dropout) for d in dilations])
        self.norm = ChannelLayerNorm(channels)
        self.context_frames = sum((kernel - 1) * d for d in dilations) // 2

    def forward(self, x: Tensor) -> Tensor:
        """Shapes: ``x: [B, D, T]`` -> ``[B, D, T]``."""
        return self.norm(self.blocks(x))
