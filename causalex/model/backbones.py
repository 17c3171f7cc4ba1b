"""Temporal backbones behind one registry (ActionFormer style): ``make_backbone(name, channels, config)``.

A backbone maps the pooled per-frame vectors ``[B, D, T]`` to ``[B, D, T]``; the AU graph layers sit in
front of every one of them, so "causal graph + SSM" is the setting ``ModelConfig.backbone = "ssm"``.
Besides ``forward`` a backbone states what chunked inference needs (`causalex.model.inference`):

- ``context_frames``: frames of context to add on each side of a chunk;
- ``chunk_align``: chunk starts must be multiples of it (the slow-fast model averages fixed blocks);
- ``exact_chunks``: True when chunked scores equal one pass over the video (finite receptive field),
  False when they agree within a tolerance only (state-space models, whose memory decays but never
  ends).

Registered: ``tcn`` (dilated convolutions, today's model), ``ssm`` (selective state-space stack),
``ssm-slowfast`` (slow and fast state-space paths), ``transformer`` (local-attention timestamp encoder).
"""

from __future__ import annotations

from typing import Callable

from torch import nn

from causalex.model.ssm import SlowFastSSM, SSMStack
from causalex.model.temporal import TemporalHead
from causalex.model.transformer import TimestampTransformer

BackboneFactory = Callable[[int, object], nn.Module]
_BACKBONES: dict[str, BackboneFactory] = {}


def register_backbone(name: str) -> Callable[[BackboneFactory], BackboneFactory]:
    """Decorator adding ``factory(channels, config) -> nn.Module`` to the registry under ``name``."""

    def deco(factory: BackboneFactory) -> BackboneFactory:
        _BACKBONES[name] = factory
        return factory

    return deco


def backbone_names() -> list[str]:
    """Names of the registered backbones."""
    return sorted(_BACKBONES)


def check_backbone_name(name: str) -> None:
    """Raise ValueError (listing the valid names) unless ``name`` is a registered backbone."""
    if name not in _BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; valid: {', '.join(backbone_names())}")


def make_backbone(name: str, channels: int, config) -> nn.Module:
    """Build a registered backbone over ``channels`` (D) from the `ModelConfig` fields it reads.

    Raises:
        ValueError: unknown ``name`` (the message lists the valid ones) or settings out of range.
    """
    check_backbone_name(name)
    return _BACKBONES[name](channels, config)


@register_backbone("tcn")
def _tcn(channels: int, config) -> nn.Module:
    """Residual dilated convolutions (`temporal_kernel`, `dilations`)."""
    return TemporalHead(channels, config.temporal_kernel, tuple(config.dilations), config.dropout)


@register_backbone("ssm")
def _ssm(channels: int, config) -> nn.Module:
    """Selective state-space stack (`ssm_*` fields)."""
    return SSMStack(channels, config)


@register_backbone("ssm-slowfast")
def _ssm_slowfast(channels: int, config) -> nn.Module:
    """Slow (`slow_stride`) and fast state-space stacks, fused."""
    return SlowFastSSM(channels, config)


@register_backbone("transformer")
def _transformer(channels: int, config) -> nn.Module:
    """Local-attention timestamp transformer (`attn_*` fields)."""
    return TimestampTransformer(channels, config)
