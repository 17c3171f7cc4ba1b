"""Losses: focal-style binary losses on soft targets (with label smoothing) and the emotion loss.

The spotting loss is a registry (`register_loss` / `make_loss`) so that alternatives swap by name:
``focal`` (default), ``bce`` (ablation) and ``boundary`` (focal with MELDAE-style boundary awareness).
"""

from __future__ import annotations

import inspect
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


def loss_names() -> list[str]:
    """Names of the registered spotting losses."""
    return sorted(_LOSSES)


def make_loss(name: str, **kwargs) -> SpotLoss:
    """Build a registered spotting loss; settings its factory does not take are ignored, so the caller can
    pass every loss setting of `causalex.train.config.OptimConfig`.

    Raises:
        ValueError: unknown name (lists the valid ones).
    """
    if name not in _LOSSES:
        raise ValueError(f"unknown loss {name!r}; valid: {', '.join(loss_names())}")
    factory = _LOSSES[name]
    taken = inspect.signature(factory).parameters
    return factory(**{k: v for k, v in kwargs.items() if k in taken})


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
        return _reduce(focal_terms(logits, targets, gamma, label_smoothing), mask, channel_weights)

    return loss


def focal_terms(logits: Tensor, targets: Tensor, gamma: float, label_smoothing: float) -> Tensor:
    """Per-element focal loss ``BCE(p, t) * |t - p| ** gamma`` on smoothed targets.

    Shapes:
        logits, targets: ``[B, T, C]``; returns ``[B, T, C]`` float32.
    """
    logits = logits.float()
    t = smooth_targets(targets.float(), label_smoothing)
    bce = F.binary_cross_entropy_with_logits(logits, t, reduction="none")
    return bce * (t - torch.sigmoid(logits)).abs().pow(gamma)


@register_loss("bce")
def bce_loss_factory(gamma: float = 0.0, label_smoothing: float = 0.05) -> SpotLoss:
    """Plain binary cross-entropy on smoothed targets (``gamma`` ignored), for ablations."""

    def loss(logits: Tensor, targets: Tensor, mask: Tensor, channel_weights: Tensor) -> Tensor:
        t = smooth_targets(targets.float(), label_smoothing)
        bce = F.binary_cross_entropy_with_logits(logits.float(), t, reduction="none")
        return _reduce(bce, mask, channel_weights)

    return loss


BOUNDARY_KINDS = ("onset", "offset")


@register_loss("boundary")
def boundary_loss_factory(gamma: float = 2.0, label_smoothing: float = 0.05,
                          boundary_weight: float = 2.0) -> SpotLoss:
    """Focal loss with extra, distance-aware weight on the onset/offset channels near true boundaries.

    MELDAE (Feng et al. 2025) adds "a boundary-aware loss that penalises onset and offset errors"; its
    formula is not public to us, so this is our formulation. With ``f`` the focal term of every frame and
    channel (`focal_loss_factory`) and ``g in [0, 1]`` the unsmoothed onset/offset target, a Gaussian bump
    ``exp(-d^2 / 2 sigma^2)`` of the distance ``d`` to the nearest true boundary::

        loss = sum_{t, c} w_c * (1 + lambda * g[t, c] * [c is an onset/offset channel]) * f[t, c] / #valid frames

    so an error (a missed boundary, or a bump in the wrong place) costs up to ``1 + lambda`` times more the
    closer it lies to a true onset or offset; far from boundaries, and on the apex/inside channels, it is
    the focal loss. ``lambda = boundary_weight``; 0 gives the focal loss exactly.

    Returns:
        ``loss(logits, targets, mask, channel_weights) -> scalar`` with ``logits, targets: [B, T, C]``,
        ``mask: [B, T]``, ``channel_weights: [C]`` (C in the order of `SPOT_CHANNELS`).
    """
    from causalex.model.outputs import SPOT_CHANNELS

    focal = focal_loss_factory(gamma, label_smoothing)
    is_boundary = torch.tensor([c.rsplit("_", 1)[1] in BOUNDARY_KINDS for c in SPOT_CHANNELS])

    def loss(logits: Tensor, targets: Tensor, mask: Tensor, channel_weights: Tensor) -> Tensor:
        if boundary_weight == 0:
            return focal(logits, targets, mask, channel_weights)
        near = targets.float() * is_boundary.to(targets.device, torch.float32)  # [B, T, C] g on boundary channels
        terms = focal_terms(logits, targets, gamma, label_smoothing)
        return _reduce(terms * (1.0 + boundary_weight * near), mask, channel_weights)

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
