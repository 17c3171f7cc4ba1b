"""Selective scan of a diagonal state-space model, in plain torch (any device) or mamba-ssm's CUDA kernel.

The recurrence, per channel e and state n, is::

    h_t = exp(delta_t * A) * h_{t-1} + delta_t * B_t * u_t,    y_t = <C_t, h_t> + D * u_t

`selective_scan_torch` runs it as a chunked scan: the sequence is cut into chunks that are scanned
side by side, frame by frame (only multiplications by decays in (0, 1] and additions, so nothing
overflows whatever delta the network learns); the chunk end states are combined by a doubling scan
and carried into the chunks. Work is linear in T and the state tensors are ``T / chunk`` frames long.
`selective_scan` uses mamba-ssm's fused
kernel instead when that package imports and the tensors are on CUDA; it is never required.
"""

from __future__ import annotations

import functools
import logging
import math
from typing import Callable, Optional

import torch
from torch import Tensor
from torch.nn import functional as fn

log = logging.getLogger(__name__)

MAX_CHUNK = 64  # longest chunk of the scan (its loop's steps; the chunks run side by side)


@functools.lru_cache(maxsize=1)
def mamba_scan_function() -> Optional[Callable]:
    """mamba-ssm's ``selective_scan_fn`` when the package imports, else None (looked up once)."""
    try:
        from mamba_ssm.ops.selective_scan_interface import selective_scan_fn
    except Exception:  # not installed, or installed without its compiled kernels
        return None
    log.info("mamba-ssm found: its selective-scan kernel runs the state-space backbone on CUDA")
    return selective_scan_fn


def use_fused_scan(u: Tensor, kernel: Optional[Callable] = None) -> bool:
    """Whether `selective_scan` takes mamba-ssm's kernel for ``u``: only on CUDA and when the kernel exists.

    ``kernel`` defaults to `mamba_scan_function` (tests pass their own).
    """
    if not u.is_cuda:
        return False
    return (mamba_scan_function() if kernel is None else kernel) is not None


def _doubling_scan(a: Tensor, b: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """Inclusive scan of ``h_t = a_t h_{t-1} + b_t`` (h_{-1} = 0) along ``dim`` by doubling.

    Returns ``(prod_{s<=t} a_s, h_t)``, both shaped like ``a``. The shift by ``step`` frames is a pad at
    the start and a crop at the end (one op each way under autograd).
    """
    n = a.shape[dim]
    after = a.ndim - 1 - (dim % a.ndim)  # dims after ``dim``: their (0, 0) pad pairs come first
    step = 1
    while step < n:
        shift = [0, 0] * after + [step, -step]
        b = b + a * fn.pad(b, shift)  # h_t += (a_t ... a_{t-step+1}) h_{t-step}
        a = a * fn.pad(a, shift, value=1.0)
        step *= 2
    return a, b


def selective_scan_torch(u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor, D: Tensor,
                         chunk: int | None = None) -> Tensor:
    """Selective scan in plain torch (chunked scan, linear in T).

    The sequence is cut into chunks of ``chunk`` frames that are scanned side by side, one frame at a
    time (``chunk`` steps over ``[Bt, T / chunk, E, N]`` states): a first pass gives each chunk's end
    state from a zero start, a doubling scan over the chunk ends (decays ``exp(A * sum(delta))``) gives
    every chunk's true start state, and a second pass from those starts gives the outputs. Nothing of
    size ``[Bt, T, E, N]`` is ever held. ``chunk`` defaults to about sqrt(T) (4 .. `MAX_CHUNK`), which
    balances the loop's steps against the chunks' count (measured fastest on a CPU for 120 and 2.5k frames).

    Shapes:
        u, delta: ``[Bt, E, T]``; A: ``[E, N]``; B, C: ``[Bt, N, T]``; D: ``[E]``; returns ``[Bt, E, T]``.
    """
    bt, e, t = u.shape
    n = A.shape[1]
    if chunk is None:
        chunk = min(max(math.isqrt(t), 4), MAX_CHUNK)
    length = max(1, min(chunk, t))
    n_chunks = -(-t // length)
    pad = n_chunks * length - t  # frames after the end: delta 0 (decay 1, no input), no effect on the past

    def chunked(x: Tensor) -> Tensor:  # [Bt, X, T] -> [Bt, n_chunks, length, X]
        return fn.pad(x, (0, pad)).reshape(bt, -1, n_chunks, length).permute(0, 2, 3, 1)

    dt, dtu, b, c = chunked(delta), chunked(delta * u), chunked(B), chunked(C)

    def run(h: Tensor, outputs: bool) -> tuple[Tensor, list[Tensor]]:
        ys = []
        for i in range(length):
            h = torch.exp(dt[:, :, i, :, None] * A) * h + dtu[:, :, i, :, None] * b[:, :, i, None, :]
            if outputs:
                ys.append(torch.matmul(h, c[:, :, i, :, None]).squeeze(-1))  # [Bt, n_chunks, E]
        return h, ys

    h0 = u.new_zeros(bt, n_chunks, e, n)
    if n_chunks > 1:  # each chunk's start state: the scan over the chunk ends of a zero-start pass
        ends, _ = run(h0, outputs=False)
        decay = torch.exp(dt.sum(dim=2).unsqueeze(-1) * A)  # [Bt, n_chunks, E, N]
        _, carried = _doubling_scan(decay, ends, dim=1)
        h0 = torch.cat([h0[:, :1], carried[:, :-1]], dim=1)
    _, ys = run(h0, outputs=True)
    y = torch.stack(ys, dim=2).reshape(bt, n_chunks * length, e)[:, :t].transpose(1, 2)  # [Bt, E, T]
    return y + D[None, :, None] * u


def selective_scan(u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor, D: Tensor) -> Tensor:
    """Selective scan: mamba-ssm's fused kernel on CUDA when installed, else `selective_scan_torch`.

    ``delta`` is used as given (already positive); shapes as in `selective_scan_torch`. The recurrence
    runs in float32 whatever the autocast setting (long products lose too much in half precision); the
    result has ``u``'s type.
    """
    args = [v.float().contiguous() for v in (u, delta, A, B, C, D)]
    with torch.autocast(device_type=u.device.type, enabled=False):
        if use_fused_scan(u):
            y = mamba_scan_function()(*args, delta_softplus=False)
        else:
            y = selective_scan_torch(*args)
    return y.to(u.dtype)
