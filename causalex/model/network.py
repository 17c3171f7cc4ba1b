"""`SpottingNet`: AU graph layers per frame, a temporal backbone (registry), spotting and emotion heads."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor, nn

from causalex.model.backbones import make_backbone
from causalex.model.config import ModelConfig
from causalex.model.graph_layers import make_graph_layer
from causalex.model.outputs import SPOT_CHANNELS

READOUTS = ("flatten", "mean")
MESSAGE_INITS = ("default", "zero")


class SpottingNet(nn.Module):
    """Per-frame expression spotting network over an AU graph.

    Each frame's K AU nodes (F features each) go through residual graph layers that pass messages along
    the AU graph; the node states are pooled into one vector per frame; a temporal backbone
    (`ModelConfig.backbone`: dilated convolutions, state-space, transformer) adds temporal context;
    two 1x1 heads give, per frame, the spotting logits (`SPOT_CHANNELS`: onset,
    offset, apex and inside for micro and macro) and the emotion logits.

    Args:
        config: architecture.
        adjacency: ``[K, K]`` graph the layers use (``A[i, j] = 1``: message i -> j); zeros = no graph.

    Shapes:
        forward ``x: [B, T, K, F]`` -> ``{"spot": [B, T, 8], "emotion": [B, T, C]}``.
    """

    def __init__(self, config: ModelConfig, adjacency: np.ndarray | Tensor,
                 node_mask: np.ndarray | Tensor | None = None) -> None:
        super().__init__()
        adjacency = torch.as_tensor(np.asarray(adjacency, np.float32))
        if adjacency.ndim != 2 or adjacency.shape[0] != adjacency.shape[1]:
            raise ValueError(f"adjacency must be [K, K], got {tuple(adjacency.shape)}")
        if not config.dilations or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in config.dilations):
            raise ValueError(f"dilations must be one or more whole numbers >= 1, got {list(config.dilations)}")
        classes = list(config.emotion_classes)
        if not classes or len(set(classes)) != len(classes) or not all(isinstance(c, str) and c for c in classes):
            raise ValueError(f"emotion_classes must be one or more distinct names, got {classes}")
        self.config = config
        k, h, d = adjacency.shape[0], config.node_hidden, config.temporal_channels
        self.n_nodes = k
        self.register_buffer("adjacency", adjacency)
        mask = torch.ones(adjacency.shape[0]) if node_mask is None else torch.as_tensor(np.asarray(node_mask, np.float32))
        if mask.shape != (adjacency.shape[0],):
            raise ValueError(f"node_mask must be [{adjacency.shape[0]}], got {tuple(mask.shape)}")
        # AUs the graph's selection leaves out carry no input (their features are zeroed); not saved in the
        # weights: it comes from the graph, so checkpoints written before it load unchanged
        self.register_buffer("node_mask", mask.float(), persistent=False)
        self.node_in = nn.Linear(config.in_features, h)
        self.node_embedding = nn.Parameter(torch.randn(k, h) * 0.1) if config.node_embedding else None
        self.graph_layers = nn.ModuleList(
            make_graph_layer(config.graph_layer, h, h, bidirectional=config.bidirectional,
                             message_kernel=config.message_kernel)
            for _ in range(config.graph_layers))
        self.graph_norms = nn.ModuleList(nn.LayerNorm(h) for _ in range(config.graph_layers))
        if config.message_init not in MESSAGE_INITS:
            raise ValueError(f"unknown message_init {config.message_init!r}; valid: {', '.join(MESSAGE_INITS)}")
        if config.message_init == "zero":
            for layer in self.graph_layers:
                layer.zero_messages()
        if config.readout not in READOUTS:
            raise ValueError(f"unknown readout {config.readout!r}; valid: {', '.join(READOUTS)}")
        if config.dynamic:
            from causalex.model.dynamic_graph import check_dynamic_settings  # imports causalex.discover

            check_dynamic_settings(config)
        self.readout = nn.Linear(k * h if config.readout == "flatten" else h, d)
        self.temporal = make_backbone(config.backbone, d, config)  # [B, D, T] -> [B, D, T]
        self.spot_head = nn.Conv1d(d, len(SPOT_CHANNELS), 1)
        self.emotion_head = nn.Conv1d(d, len(config.emotion_classes), 1)
        self.act = nn.GELU()
        prior = min(max(config.prior_probability, 1e-4), 0.5)
        nn.init.constant_(self.spot_head.bias, -math.log((1 - prior) / prior))

    @property
    def context_frames(self) -> int:
        """Frames of context each side of a chunk that chunked inference adds (backbone plus the graph
        layers' message filters)."""
        return self.temporal.context_frames + self.config.graph_layers * (self.config.message_kernel // 2)

    @property
    def receptive_field(self) -> int:
        """Frames that influence one output frame (odd); for state-space backbones, the frames beyond
        which an input's influence has decayed below 1/1000 (see `causalex.model.ssm`)."""
        return 2 * self.context_frames + 1

    @property
    def chunk_align(self) -> int:
        """Chunk starts of chunked inference must be multiples of this."""
        return self.temporal.chunk_align

    @property
    def exact_chunks(self) -> bool:
        """Whether chunked inference equals one pass over the whole video (else: within a tolerance)."""
        return self.temporal.exact_chunks

    def embed_nodes(self, x: Tensor, adjacency: Tensor, frames: int | None = None) -> Tensor:
        """Graph layers on every frame (``frames`` consecutive rows per sequence; default one sequence).

        Shapes: ``x: [N, K, F]`` -> ``[N, K, H]`` (N = batch x frames, frame-major).
        """
        h = self.node_in(x)
        if self.node_embedding is not None:
            h = h + self.node_embedding
        for layer, norm in zip(self.graph_layers, self.graph_norms):
            h = h + self.act(layer(norm(h), adjacency, frames))
        return h

    def forward(self, x: Tensor, adjacency: Tensor | None = None) -> dict[str, Tensor]:
        """Score every frame.

        Args:
            x: node features.
            adjacency: graph for this call (the dynamic option passes a per-batch graph); default: the
                model's own graph.

        Shapes:
            x: ``[B, T, K, F]``; adjacency: ``[K, K]``; returns ``spot: [B, T, 8]``, ``emotion: [B, T, C]``.
        """
        b, t, k, f = x.shape
        if k != self.n_nodes or f != self.config.in_features:
            raise ValueError(f"input has K={k}, F={f}; the model expects K={self.n_nodes}, "
                             f"F={self.config.in_features}")
        x = x * self.node_mask.to(x.dtype)[None, None, :, None]  # AUs left out by the graph's selection
        adj = self.adjacency if adjacency is None else adjacency.to(x.device)
        h = self.embed_nodes(x.reshape(b * t, k, f), adj, t)  # [B*T, K, H]
        if self.config.readout == "flatten":
            z = self.readout(h.reshape(b, t, k * h.shape[-1]))  # [B, T, D]
        else:
            z = self.readout(h.reshape(b, t, k, h.shape[-1]).mean(dim=2))  # [B, T, D]
        z = self.temporal(z.transpose(1, 2))  # [B, D, T]
        spot = self.spot_head(z).transpose(1, 2)  # [B, T, 8]
        emotion = self.emotion_head(z).transpose(1, 2)  # [B, T, C]
        return {"spot": spot, "emotion": emotion}


def build_model(config: ModelConfig, adjacency: np.ndarray | Tensor,
                node_mask: np.ndarray | Tensor | None = None) -> SpottingNet:
    """Build a `SpottingNet` (parts swap via the config: graph layer, backbone).

    ``node_mask: [K]`` (1 = use the AU) comes from the graph's AU selection (`AUGraph.node_mask`).
    """
    return SpottingNet(config, adjacency, node_mask)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
