"""Spotting: decode per-frame scores into intervals, and the spotting API (trained model or threshold).

Modules: `decoding` (scores -> intervals), `search` (its linear-time onset/offset search, interval means and
NMS), `scoring` (model + decoding on one video), `spotter`
(`make_spotter`, `ModelSpotter`), `threshold` (untrained baseline), `plot` (score plot).
"""

from causalex.spot.decoding import DecodeConfig, TypeDecodeConfig, decode_video

__all__ = ["DecodeConfig", "TypeDecodeConfig", "decode_video"]
