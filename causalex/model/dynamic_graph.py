"""The ``dynamic`` option: re-discover the AU graph from each batch, as Causal-Ex does.

The batch's AU levels (feature 0 of valid frames) give a ``[K, K]`` correlation matrix; the fast engine
of `causalex.discover` runs FCI (or PC) on it, and the debiasing rule turns the PAG into the adjacency
the graph layers use for that batch.
"""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch import Tensor

from causalex.model.config import ModelConfig

log = logging.getLogger(__name__)


def batch_correlation(x: Tensor, max_frames: int) -> tuple[np.ndarray, int]:
    """Correlation of the AU levels over the valid frames of a batch.

    Args:
        x: node features (feature 0 = level, last feature = valid flag).
        max_frames: at most this many frames (evenly spaced) enter the estimate.

    Returns:
        (correlation ``[K, K]`` float64, number of frames used).

    Shapes:
        x: ``[B, T, K, F]``.
    """
    k = x.shape[2]
    flat = x.detach().reshape(-1, k, x.shape[3])
    valid = flat[:, 0, -1] > 0.5
    level = flat[valid][:, :, 0].float().cpu().numpy().astype(np.float64)
    if level.shape[0] > max_frames:
        idx = np.linspace(0, level.shape[0] - 1, max_frames).astype(np.int64)
        level = level[idx]
    n = level.shape[0]
    if n < k + 3:
        return np.eye(k), n
    std = level.std(0)
    level = level + (std < 1e-8) * np.random.default_rng(0).normal(0, 1e-6, level.shape)
    corr = np.corrcoef(level, rowvar=False)
    return np.nan_to_num(corr, nan=0.0), n


def discover_adjacency(x: Tensor, node_names: list[str], config: ModelConfig) -> Tensor:
    """Per-batch AU graph from the fast discovery engine (the ``dynamic`` option).

    Args:
        x: node features of the batch.
        node_names: the K AU names (for the debiasing rule).
        config: model config (``dynamic_alpha``, ``dynamic_method``, ``dynamic_policy``, ``dynamic_background``,
            ``dynamic_max_frames``).

    Returns:
        Adjacency ``[K, K]`` float32 on ``x``'s device (all zeros when the batch has too few valid frames).

    Raises:
        RuntimeError: the fast engine (`causalex.discover.engines`) is not installed.

    Shapes:
        x: ``[B, T, K, F]``; returns ``[K, K]``.
    """
    try:
        from causalex.discover.debias import debias_edges
        from causalex.discover.engines import discover_pag_from_corr
        from causalex.discover.facs_prior import facs_background
    except ImportError as exc:  # pragma: no cover - depends on the discover package
        raise RuntimeError(f"the dynamic graph option needs causalex.discover.engines ({exc})") from exc
    k = x.shape[2]
    corr, n = batch_correlation(x, config.dynamic_max_frames)
    if n < k + 3:
        log.debug("dynamic graph: only %d valid frames, using no edges", n)
        return torch.zeros(k, k, device=x.device)
    background = facs_background(list(node_names)) if config.dynamic_background == "facs" else None
    pag = discover_pag_from_corr(corr, n, method=config.dynamic_method, alpha=config.dynamic_alpha,
                                 background=background, node_names=list(node_names))
    _, adjacency = debias_edges(list(node_names), pag.to_graph_edges(), policy=config.dynamic_policy)
    return torch.as_tensor(adjacency.astype(np.float32), device=x.device)


def check_dynamic_settings(config: ModelConfig) -> None:
    """Refuse unknown per-batch discovery settings up front (not at the first batch).

    Raises:
        ValueError: unknown ``dynamic_method``, ``dynamic_policy`` or ``dynamic_background``, or
            ``dynamic_alpha`` outside (0, 1) or ``dynamic_max_frames`` below 10.
    """
    from causalex.discover.debias import check_policy
    from causalex.discover.engines import METHODS
    from causalex.discover.pipeline import BACKGROUNDS

    if config.dynamic_method not in METHODS:
        raise ValueError(f"unknown dynamic_method {config.dynamic_method!r}; valid: {', '.join(METHODS)}")
    if config.dynamic_background not in BACKGROUNDS:
        raise ValueError(f"unknown dynamic_background {config.dynamic_background!r}; valid: {', '.join(BACKGROUNDS)}")
    check_policy(config.dynamic_policy)
    if not 0.0 < config.dynamic_alpha < 1.0:
        raise ValueError(f"dynamic_alpha must be in (0, 1), got {config.dynamic_alpha}")
    if config.dynamic_max_frames < 10:
        raise ValueError(f"dynamic_max_frames must be at least 10, got {config.dynamic_max_frames}")
