"""Losses: focal-style binary losses on soft targets (with label smoothing) and the emotion loss.

The spotting loss is a registry (`register_loss` / `make_loss`) so that alternatives swap by name.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

SpotLoss = Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]
_LOSSES: dict[str, Callable[..., SpotLoss]] = {}


def register_loss(name: str) -> Callable:
    """Decorator adding a spotting-loss factory to the registry under ``name``."""

    def deco(factory: Callable[..., SpotLoss]) -> Callable[..., SpotLoss]:
        _LOSSES[name] = factory
        return factory

    return deco


def make_loss(name: str, **kwargs) -> SpotLoss:
    """Build a registered spotting loss.

    Raises:
        ValueError: unknown name (lists the valid ones).
    """
    if name not in _LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid: {', '.join(sorted(_LOSSES))}")
    return _LOSSES[name](**kwargs)


def smooth_targets(targets: Tensor, eps: float) -> Tensor:
    """Label smoothing for binary targets: ``t (1 - eps) + eps / 2``."""
    return targets * (1.0 - eps) + 0.5 * eps


def _reduce(per_elem: Tensor, mask: Tensor, channel_weights: Tensor) -> Tensor:
    """Weighted mean over valid frames. Shapes: ``per_elem: [B, T, C]``, ``mask: [B, T]``, ``weights: [C]``."""
    weighted = (per_elem * channel_weights).sum(-1)  # [B, T]
    m = mask.to(weighted.dtype)
    return (weighted * m).sum() / m.sum().clamp(min=1.0)


@register_loss("focal")
def focal_loss_factory(gamma: float = 2.0, label_smoothing: float = 0.05) -> SpotLoss:
    """Focal loss for soft targets: ``BCE(p, t) * |t - p| ** gamma`` (quality-focal form), smoothed targets.

    Returns:
        ``loss(logits, targets, mask, channel_weights) -> scalar`` with ``logits, targets: [B, T, C]``,
        ``mask: [B, T]``, ``channel_weights: [C]``.
    """

    def loss(logits: Tensor, targets: Tensor, mask: Tensor, channel_weights: Tensor) -> Tensor:
        logits = logits.float()
        t = smooth_targets(targets.float(), label_smoothing)
        bce = F.binary_cross_entropy_with_logits(logits, t, reduction="none")
        modulator = (t - torch.sigmoid(logits)).abs().pow(gamma)
        return _reduce(bce * modulator, mask, channel_weights)

    return loss


@register_loss("bce")
def bce_loss_factory(gamma: float = 0.0, label_smoothing: float = 0.05) -> SpotLoss:
    """Plain binary cross-entropy on smoothed targets (``gamma`` ignored), for ablations."""

    def loss(logits: Tensor, targets: Tensor, mask: Tensor, channel_weights: Tensor) -> Tensor:
        t = smooth_targets(targets.float(), label_smoothing)
        bce = F.binary_cross_entropy_with_logits(logits.float(), t, reduction="none")
        return _reduce(bce, mask, channel_weights)

    return loss


def emotion_loss(logits: Tensor, classes: Tensor, mask: Tensor, label_smoothing: float = 0.05) -> Tensor:
    """Cross-entropy of the emotion head on frames inside a labelled expression.

    Shapes:
        logits: ``[B, T, C]``; classes: ``[B, T]`` (-1 = no emotion, ignored); mask: ``[B, T]``.
    """
    use = mask & (classes >= 0)
    if not bool(use.any()):
        return logits.sum() * 0.0
    return F.cross_entropy(logits[use].float(), classes[use], label_smoothing=label_smoothing)
