"""Interval decoders behind one registry (ActionFormer style): ``make_decoder(name)``.

A decoder turns the per-frame probabilities of one expression type into candidate intervals::

    decoder(probs, fps, expression_type, config, threshold, valid) -> [(onset, apex, offset, score), ...]

best score first, with ``probs: [T, 8]`` in the order of `causalex.model.outputs.SPOT_CHANNELS`,
``config`` a `causalex.spot.decoding.DecodeConfig`, ``threshold`` overriding the type's score threshold
(``0`` keeps every candidate, as the threshold choice on validation needs) and ``valid: [T]`` the tracked
frames (or None). ``DecodeConfig.decoder`` names the decoder a model uses; a checkpoint records it.

Registered:

- ``search`` (default): causalex's apex candidates + onset/offset search + NMS (`causalex.spot.decoding`);
- ``me-tst``: ME-TST's peak +- k_p on the smoothed score (`causalex.spot.peaks`);
- ``boostingvrme``: BoostingVRME's scalable interval selection (`causalex.spot.peaks`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

Decoder = Callable[..., list[tuple[int, int, int, float]]]
_DECODERS: dict[str, Decoder] = {}


def register_decoder(name: str) -> Callable[[Decoder], Decoder]:
    """Decorator adding a decoder function to the registry under ``name``."""

    def deco(fn: Decoder) -> Decoder:
        _DECODERS[name] = fn
        return fn

    return deco


def _load_builtins() -> None:
    """Import the modules that register the built-in decoders (they import this one)."""
    import importlib

    for module in ("causalex.spot.decoding", "causalex.spot.peaks"):  # "search"; "me-tst", "boostingvrme"
        importlib.import_module(module)


def decoder_names() -> list[str]:
    """Names of the registered decoders."""
    _load_builtins()
    return sorted(_DECODERS)


def check_decoder_name(name: str) -> None:
    """Raise ValueError (listing the valid names) unless ``name`` is a registered decoder."""
    if name not in decoder_names():
        raise ValueError(f"unknown decoder {name!r}; valid: {', '.join(decoder_names())}")


def make_decoder(name: str) -> Decoder:
    """The registered decoder ``name``.

    Raises:
        ValueError: unknown name (the message lists the valid ones).
    """
    check_decoder_name(name)
    return _DECODERS[name]


def finish_candidates(starts: np.ndarray, apexes: np.ndarray, ends: np.ndarray, scores: np.ndarray,
                      keep: np.ndarray, threshold: float, top_k: int) -> list[tuple[int, int, int, float]]:
    """The kept candidates (indices ``keep``, best first) scoring at least ``threshold``, at most ``top_k``
    (0 = all), as ``(onset, apex, offset, score)`` tuples.

    Shapes:
        starts, apexes, ends, scores: ``[N]``; keep: ``[N_kept]``.
    """
    out = [(int(starts[i]), int(apexes[i]), int(ends[i]), float(scores[i])) for i in np.asarray(keep).tolist()
           if scores[i] >= threshold]
    return out[:top_k] if top_k > 0 else out


def tracked_enough(starts: np.ndarray, ends: np.ndarray, valid: np.ndarray | None, min_valid: float) -> np.ndarray:
    """``[N]`` bool: intervals with at least ``min_valid`` of their frames tracked (all True without ``valid``).

    Shapes:
        starts, ends: ``[N]``; valid: ``[T]`` bool.
    """
    if valid is None:
        return np.ones(np.asarray(starts).size, bool)
    tracked = np.concatenate([[0], np.cumsum(np.asarray(valid, bool))])  # [T+1]
    return ~(tracked[ends + 1] - tracked[starts] < min_valid * (ends - starts + 1))
