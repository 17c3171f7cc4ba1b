"""Selective scan of a diagonal state-space model, in plain torch (any device) or mamba-ssm's CUDA kernel.

The recurrence, per channel e and state n, is::

    h_t = exp(delta_t * A) * h_{t-1} + delta_t * B_t * u_t,    y_t = <C_t, h_t> + D * u_t

`selective_scan_torch` runs it as a two-level parallel scan: the sequence is cut into chunks of
``chunk`` frames, each chunk is scanned by doubling (``log2(chunk)`` steps of whole-tensor products:
only multiplications by decays in (0, 1] and additions, so nothing overflows whatever delta the
network learns), then the chunk end states are scanned the same way and carried into the chunks.
Work and memory are linear in T (times ``log2(chunk)``). `selective_scan` uses mamba-ssm's fused
kernel instead when that package imports and the tensors are on CUDA; it is never required.
"""

from __future__ import annotations

import functools
import logging
from typing import Callable, Optional

import torch
from torch import Tensor
from torch.nn import functional as fn

log = logging.getLogger(__name__)

SCAN_CHUNK = 64  # frames per chunk of the parallel scan (the doubling depth is log2 of it)


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
                         chunk: int = SCAN_CHUNK) -> Tensor:
    """Selective scan in plain torch (chunked parallel scan, linear in T).

    Shapes:
        u, delta: ``[Bt, E, T]``; A: ``[E, N]``; B, C: ``[Bt, N, T]``; D: ``[E]``; returns ``[Bt, E, T]``.
    """
    bt, e, t = u.shape
    n = A.shape[1]
    dt = delta.transpose(1, 2)  # [Bt, T, E]
    a = torch.exp(dt.unsqueeze(-1) * A)  # decays: [Bt, T, E, N]
    b = (dt * u.transpose(1, 2)).unsqueeze(-1) * B.transpose(1, 2).unsqueeze(2)  # [Bt, T, E, N]
    length = min(chunk, t)
    n_chunks = -(-t // length)
    pad = n_chunks * length - t
    if pad:  # frames after the end: decay 1, input 0 (they change no earlier state)
        a = torch.cat([a, a.new_ones(bt, pad, e, n)], dim=1)
        b = torch.cat([b, b.new_zeros(bt, pad, e, n)], dim=1)
    a, b = _doubling_scan(a.reshape(bt, n_chunks, length, e, n), b.reshape(bt, n_chunks, length, e, n), dim=2)
    if n_chunks > 1:  # carry each chunk's end state into the next chunks
        _, ends = _doubling_scan(a[:, :, -1], b[:, :, -1], dim=1)  # [Bt, n_chunks, E, N]
        start = torch.cat([ends.new_zeros(bt, 1, e, n), ends[:, :-1]], dim=1)
        b = b + a * start.unsqueeze(2)
    h = b.reshape(bt, n_chunks * length, e, n)[:, :t]  # [Bt, T, E, N]
    y = torch.einsum("bten,bnt->bet", h, C)
    return y + D[None, :, None] * u


def selective_scan(u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor, D: Tensor) -> Tensor:
    """Selective scan: mamba-ssm's fused kernel on CUDA when installed, else `selective_scan_torch`.

    ``delta`` is used as given (already positive); shapes as in `selective_scan_torch`.
    """
    if use_fused_scan(u):
        fn = mamba_scan_function()
        return fn(u.contiguous(), delta.contiguous(), A.contiguous(), B.contiguous(), C.contiguous(),
                  D.float(), delta_softplus=False)
    return selective_scan_torch(u, delta, A, B, C, D)
