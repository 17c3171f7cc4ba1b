"""Graph convolution over the K AU nodes of every frame, in two interchangeable formulations.

One layer computes, for node j of each frame::

    h'_j = W_self h_j + W_in * mean_{i -> j} h_i  [+ W_out * mean_{j -> i} h_i]

where ``i -> j`` are the edges of the AU graph (``A[i, j] = 1``: a message from cause i to effect j).
With ``message_kernel > 1`` each neighbour mean first goes through a per-channel temporal filter over
``message_kernel`` frames (`MessageDelay`, initialised to the identity), so that a cause's recent past
can reach its effect: the lagged mechanism ``effect(t) <- cause(t - lag)`` becomes expressible inside
the graph layer (a spatio-temporal graph layer). The filter has no bias, so with no graph (all
messages zero) the layer is exactly the per-node layer whatever the kernel.
The ``pyg`` layer runs this with torch-geometric message passing on a *static* graph (the frames are the
leading batch dimension, ``node_dim=-2``; no torch-scatter needed); the ``dense`` layer uses a ``[K, K]``
matrix product. Both share the same parameters and give the same numbers (see the tests); the faster one
(measured in benchmarks/RESULTS.md) is the default. Swap with ``ModelConfig.graph_layer``.
"""

from __future__ import annotations

import functools
from typing import Callable

import torch
from torch import Tensor, nn

_GRAPH_LAYERS: dict[str, type["AUGraphConvBase"]] = {}


def register_graph_layer(name: str) -> Callable[[type], type]:
    """Class decorator adding a graph layer to the registry under ``name``."""

    def deco(cls: type) -> type:
        _GRAPH_LAYERS[name] = cls
        return cls

    return deco


def make_graph_layer(name: str, in_channels: int, out_channels: int, bidirectional: bool = True,
                     message_kernel: int = 1) -> "AUGraphConvBase":
    """Build a registered graph layer.

    Raises:
        ValueError: unknown ``name`` (the message lists the valid ones) or an even ``message_kernel``.
    """
    if name not in _GRAPH_LAYERS:
        raise ValueError(f"unknown graph layer {name!r}; valid: {', '.join(sorted(_GRAPH_LAYERS))}")
    return _GRAPH_LAYERS[name](in_channels, out_channels, bidirectional=bidirectional, message_kernel=message_kernel)


def graph_layer_names() -> list[str]:
    """Names of the registered graph layers."""
    return sorted(_GRAPH_LAYERS)


def mean_weights(adjacency: Tensor) -> tuple[Tensor, Tensor]:
    """Column-normalised weights for mean aggregation over in- and out-neighbours.

    Shapes:
        adjacency: ``[K, K]`` (``A[i, j] > 0``: message i -> j); returns two ``[K, K]`` tensors
        ``W_in[i, j] = A[i, j] / indeg(j)`` and ``W_out[i, j] = A[j, i] / outdeg(j)``.
    """
    a = (adjacency > 0).to(torch.float32)
    a = a * (1.0 - torch.eye(a.shape[0], device=a.device))
    w_in = a / a.sum(0, keepdim=True).clamp(min=1.0)
    at = a.t()
    w_out = at / at.sum(0, keepdim=True).clamp(min=1.0)
    return w_in, w_out


class MessageDelay(nn.Module):
    """Per-channel temporal filter of the neighbour messages (a learned delay profile per channel).

    Initialised to the identity (a unit tap at the centre, no random draw, so building it leaves the
    random stream of the other parameters unchanged); no bias, so zero messages stay zero.

    Args:
        channels: H, channels of the messages.
        kernel: frames of the filter (odd); the message at frame t mixes frames ``t - kernel // 2`` to
            ``t + kernel // 2``.
    """

    def __init__(self, channels: int, kernel: int) -> None:
        super().__init__()
        if kernel < 1 or kernel % 2 != 1:
            raise ValueError(f"message kernel must be an odd number of frames >= 1, got {kernel}")
        weight = torch.zeros(channels, 1, kernel)
        weight[:, 0, kernel // 2] = 1.0
        self.weight = nn.Parameter(weight)
        self.kernel = kernel

    def forward(self, m: Tensor, frames: int) -> Tensor:
        """Filter along time.

        Shapes:
            m: ``[B*T, K, H]`` (frame-major: ``T = frames`` consecutive rows per sequence); returns the same.
        """
        n, k, h = m.shape
        x = m.reshape(n // frames, frames, k, h).permute(0, 2, 3, 1).reshape(-1, h, frames)  # [B*K, H, T]
        x = nn.functional.conv1d(x, self.weight.to(x.dtype), padding=self.kernel // 2, groups=h)
        return x.reshape(n // frames, k, h, frames).permute(0, 3, 1, 2).reshape(n, k, h)


class AUGraphConvBase(nn.Module):
    """Shared parameters of the AU graph layers (self, in-neighbour and optional out-neighbour weights).

    Args:
        in_channels: H, features per node in.
        out_channels: H', features per node out.
        bidirectional: also pass messages against the edge direction (effects -> causes), with their
            own weight.
        message_kernel: frames of the temporal filter on the messages (odd; 1 = same-frame messages).
    """

    def __init__(self, in_channels: int, out_channels: int, bidirectional: bool = True,
                 message_kernel: int = 1) -> None:
        super().__init__()
        self.bidirectional = bidirectional
        self.lin_self = nn.Linear(in_channels, out_channels)
        self.lin_in = nn.Linear(in_channels, out_channels, bias=False)
        self.lin_out = nn.Linear(in_channels, out_channels, bias=False) if bidirectional else None
        delayed = message_kernel != 1  # MessageDelay refuses an even or non-positive kernel
        self.delay_in = MessageDelay(in_channels, message_kernel) if delayed else None
        self.delay_out = MessageDelay(in_channels, message_kernel) if delayed and bidirectional else None

    def zero_messages(self) -> None:
        """Set the neighbour-message weights to zero: the layer starts as a per-node (no-graph) layer."""
        with torch.no_grad():
            self.lin_in.weight.zero_()
            if self.lin_out is not None:
                self.lin_out.weight.zero_()

    def aggregate(self, h: Tensor, adjacency: Tensor) -> tuple[Tensor, Tensor | None]:
        """Mean of in-neighbour (and out-neighbour) features. Shapes: ``[N, K, H]`` -> ``[N, K, H]`` x2."""
        raise NotImplementedError

    def forward(self, h: Tensor, adjacency: Tensor, frames: int | None = None) -> Tensor:
        """Apply the layer.

        Args:
            h: node states, frame-major (``frames`` consecutive rows per sequence).
            adjacency: the AU graph.
            frames: T, frames per sequence; needed when ``message_kernel > 1`` (default: one sequence).

        Shapes:
            h: ``[N, K, H]`` (N = batch x frames); adjacency: ``[K, K]``; returns ``[N, K, H']``.
        """
        m_in, m_out = self.aggregate(h, adjacency)
        if self.delay_in is not None:
            frames = h.shape[0] if frames is None else frames
            if frames < 1 or h.shape[0] % frames:
                raise ValueError(f"{h.shape[0]} rows are not a whole number of {frames}-frame sequences")
            m_in = self.delay_in(m_in, frames)
            if self.delay_out is not None:  # exists only for bidirectional layers, whose m_out is set
                m_out = self.delay_out(m_out, frames)
        out = self.lin_self(h) + self.lin_in(m_in)
        if self.lin_out is not None and m_out is not None:
            out = out + self.lin_out(m_out)
        return out


@register_graph_layer("dense")
class DenseAUGraphConv(AUGraphConvBase):
    """AU graph layer as a dense ``[K, K]`` matrix product (fast for K = 17)."""

    def aggregate(self, h: Tensor, adjacency: Tensor) -> tuple[Tensor, Tensor | None]:
        """Mean of neighbour features. Shapes: ``[N, K, H]`` -> ``[N, K, H]`` x2."""
        w_in, w_out = mean_weights(adjacency)
        w_in, w_out = w_in.to(h.dtype), w_out.to(h.dtype)
        m_in = torch.matmul(w_in.t(), h)  # [K, K] @ [N, K, H] -> [N, K, H]
        m_out = torch.matmul(w_out.t(), h) if self.bidirectional else None
        return m_in, m_out


@register_graph_layer("pyg")
class PygAUGraphConv(AUGraphConvBase):
    """AU graph layer with torch-geometric message passing over a static graph (frames batched)."""

    def __init__(self, in_channels: int, out_channels: int, bidirectional: bool = True,
                 message_kernel: int = 1) -> None:
        super().__init__(in_channels, out_channels, bidirectional=bidirectional, message_kernel=message_kernel)
        self.propagator = _WeightedSum()

    def aggregate(self, h: Tensor, adjacency: Tensor) -> tuple[Tensor, Tensor | None]:
        """Mean of neighbour features by message passing. Shapes: ``[N, K, H]`` -> ``[N, K, H]`` x2."""
        w_in, w_out = mean_weights(adjacency)
        m_in = self._propagate(h, w_in)
        m_out = self._propagate(h, w_out) if self.bidirectional else None
        return m_in, m_out

    def _propagate(self, h: Tensor, weights: Tensor) -> Tensor:
        src, dst = torch.nonzero(weights > 0, as_tuple=True)
        edge_index = torch.stack([src, dst])
        edge_weight = weights[src, dst].to(h.dtype)
        return self.propagator(h, edge_index, edge_weight)


@functools.lru_cache(maxsize=None)
def _make_propagator_class():
    from torch_geometric.nn import MessagePassing

    class WeightedSum(MessagePassing):
        """Sum of ``edge_weight * x_source`` into each target node (static graph, ``node_dim=-2``)."""

        def __init__(self) -> None:
            super().__init__(aggr="sum", node_dim=-2)

        def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor) -> Tensor:  # noqa: D102
            return self.propagate(edge_index, x=x, edge_weight=edge_weight, size=(x.shape[-2], x.shape[-2]))

        def message(self, x_j: Tensor, edge_weight: Tensor) -> Tensor:  # noqa: D102
            return x_j * edge_weight.view(-1, 1)

    return WeightedSum


def _WeightedSum() -> nn.Module:  # noqa: N802 - factory so that torch_geometric is imported lazily
    return _make_propagator_class()()
