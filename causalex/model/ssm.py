"""Selective state-space backbones (Mamba-style, plain torch): a residual stack and a slow-fast pair.

One mixer is a Mamba block written out: input projection to ``E = expand * D`` channels and a gate;
a short causal depthwise convolution; input-dependent ``delta``, ``B`` and ``C`` (the "selective"
part); a diagonal ``A`` per channel and state; the scan of `causalex.model.ssm_scan`; the gated output
projected back to ``D``. Spotting is offline, so by default every layer also runs a second mixer
(own weights) over the reversed sequence and adds the two (bidirectional).

Bounded memory (our choice, so that long videos can run in chunks): ``delta`` has a floor of
``ln(1000) / memory`` and ``|A| >= 1``, so a frame's weight in the state falls below 1/1000 after
``memory`` frames whatever the network learns. A backbone therefore states ``context_frames``
(memory plus the convolutions' reach): chunks that add that many frames of context on each side
give the whole-video scores within a small tolerance (tested), with memory bounded by the chunk.

The slow-fast backbone (ME-TST+ / BoostingVRME describe a slow path and a fast path) runs one stack
at full rate and one over the sequence averaged in blocks of ``slow_stride`` frames (``stride``
times the memory in frames), upsamples the slow path and adds it to the fast one through a linear map.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as fn

from causalex.model.config import check_whole_numbers
from causalex.model.ssm_scan import selective_scan

DECAY_AT_MEMORY = 1e-3  # weight a frame keeps in the state after `memory` frames, at most


class SelectiveSSM(nn.Module):
    """One Mamba-style mixer over time (causal: frame t sees frames <= t).

    Args:
        channels: D, model channels.
        state: N, states per inner channel.
        expand: inner channels E = expand * D.
        conv_kernel: frames of the causal depthwise convolution.
        memory: frames after which a frame's weight in the state is below `DECAY_AT_MEMORY`.

    Shapes:
        forward ``x: [B, T, D]`` -> ``[B, T, D]``.
    """

    def __init__(self, channels: int, state: int, expand: int, conv_kernel: int, memory: int) -> None:
        super().__init__()
        inner = expand * channels
        rank = max(1, math.ceil(channels / 16))
        self.rank, self.state = rank, state
        self.in_proj = nn.Linear(channels, 2 * inner)
        self.conv = nn.Conv1d(inner, inner, conv_kernel, groups=inner, padding=conv_kernel - 1)
        self.x_proj = nn.Linear(inner, rank + 2 * state, bias=False)
        self.dt_proj = nn.Linear(rank, inner)
        # delta starts log-uniform in [1e-3, 1e-1] above its floor (Mamba's initialisation)
        nn.init.uniform_(self.dt_proj.weight, -rank ** -0.5, rank ** -0.5)
        dt = torch.exp(torch.rand(inner) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # inverse softplus
        self.A_log = nn.Parameter(torch.log(torch.arange(1, state + 1, dtype=torch.float32)).repeat(inner, 1))
        self.D = nn.Parameter(torch.ones(inner))
        self.out_proj = nn.Linear(inner, channels)
        self.dt_floor = math.log(1.0 / DECAY_AT_MEMORY) / memory

    def forward(self, x: Tensor) -> Tensor:
        """Shapes: ``x: [B, T, D]`` -> ``[B, T, D]``."""
        t = x.shape[1]
        xs, gate = self.in_proj(x).chunk(2, dim=-1)  # [B, T, E] each
        u = fn.silu(self.conv(xs.transpose(1, 2))[..., :t])  # causal conv: [B, E, T]
        dt_raw, b, c = self.x_proj(u.transpose(1, 2)).split([self.rank, self.state, self.state], dim=-1)
        delta = fn.softplus(self.dt_proj(dt_raw)) + self.dt_floor  # [B, T, E]
        a = -torch.exp(self.A_log.clamp(min=0.0))  # [E, N], |A| >= 1
        y = selective_scan(u, delta.transpose(1, 2).contiguous(), a, b.transpose(1, 2).contiguous(),
                           c.transpose(1, 2).contiguous(), self.D)  # [B, E, T]
        y = y.transpose(1, 2).to(gate.dtype) * fn.silu(gate)
        return self.out_proj(y)


class SSMBlock(nn.Module):
    """``x + Dropout(fwd(Norm(x)) [+ flip(bwd(flip(Norm(x))))])``: a residual (bidirectional) mixer."""

    def __init__(self, channels: int, state: int, expand: int, conv_kernel: int, memory: int,
                 bidirectional: bool, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)
        self.forward_mixer = SelectiveSSM(channels, state, expand, conv_kernel, memory)
        self.backward_mixer = SelectiveSSM(channels, state, expand, conv_kernel, memory) if bidirectional else None
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        """Shapes: ``x: [B, T, D]`` -> ``[B, T, D]``."""
        h = self.norm(x)
        out = self.forward_mixer(h)
        if self.backward_mixer is not None:
            out = out + self.backward_mixer(h.flip(1)).flip(1)
        return x + self.drop(out)


class SSMStack(nn.Module):
    """Residual stack of `SSMBlock` with a final norm (the "ssm" backbone).

    Attributes:
        context_frames: frames of context each side of a chunk that give the whole-video result within
            a small tolerance (the memory plus the convolutions' reach).
        chunk_align: chunk starts must be multiples of this (1: any start).
        exact_chunks: False: chunked and whole-video scores agree within a tolerance only.

    Shapes:
        forward ``x: [B, D, T]`` -> ``[B, D, T]``.
    """

    exact_chunks = False
    chunk_align = 1

    def __init__(self, channels: int, config) -> None:
        super().__init__()
        check_whole_numbers(config, ("ssm_layers", "ssm_state", "ssm_expand", "ssm_conv", "ssm_memory",
                                     "slow_stride"))
        self.blocks = nn.Sequential(*[
            SSMBlock(channels, config.ssm_state, config.ssm_expand, config.ssm_conv, config.ssm_memory,
                     config.ssm_bidirectional, config.dropout) for _ in range(config.ssm_layers)])
        self.norm = nn.LayerNorm(channels)
        self.context_frames = config.ssm_memory + config.ssm_layers * (config.ssm_conv - 1)

    def forward(self, x: Tensor) -> Tensor:
        """Shapes: ``x: [B, D, T]`` -> ``[B, D, T]``."""
        return self.norm(self.blocks(x.transpose(1, 2))).transpose(1, 2)


def block_mean(x: Tensor, stride: int) -> Tensor:
    """Means of consecutive blocks of ``stride`` frames (the last block may be shorter).

    Shapes: ``x: [B, D, T]`` -> ``[B, D, ceil(T / stride)]``.
    """
    b, d, t = x.shape
    n = -(-t // stride)
    pad = n * stride - t
    total = fn.pad(x, (0, pad)).reshape(b, d, n, stride).sum(-1)
    counts = torch.full((n,), float(stride), device=x.device, dtype=x.dtype)
    counts[-1] = stride - pad
    return total / counts


class SlowFastSSM(nn.Module):
    """Fast `SSMStack` at full rate plus a slow one over ``slow_stride``-frame block means (the
    "ssm-slowfast" backbone). Chunk starts must be multiples of the stride, so that chunks average the
    same blocks as the whole video.

    Shapes:
        forward ``x: [B, D, T]`` -> ``[B, D, T]``.
    """

    exact_chunks = False

    def __init__(self, channels: int, config) -> None:
        super().__init__()
        self.fast = SSMStack(channels, config)
        self.slow = SSMStack(channels, config)
        self.fuse = nn.Linear(channels, channels)
        self.stride = config.slow_stride
        self.chunk_align = self.stride
        self.context_frames = max(self.fast.context_frames, self.stride * (self.slow.context_frames + 1))

    def forward(self, x: Tensor) -> Tensor:
        """Shapes: ``x: [B, D, T]`` -> ``[B, D, T]``."""
        t = x.shape[-1]
        fast = self.fast(x)  # [B, D, T]
        slow = self.slow(block_mean(x, self.stride))  # [B, D, T / stride]
        slow = slow.repeat_interleave(self.stride, dim=-1)[..., :t]  # [B, D, T]
        return fast + self.fuse(slow.transpose(1, 2)).transpose(1, 2)
