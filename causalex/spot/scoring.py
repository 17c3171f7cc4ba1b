"""Score a prepared video with a model and decode it into intervals in the video's own frames."""

from __future__ import annotations

from dataclasses import replace

import torch

from causalex.labels import Interval
from causalex.model.dynamic_graph import discover_adjacency
from causalex.model.inference import FrameScores, predict_frame_scores
from causalex.model.network import SpottingNet
from causalex.spot.decoding import DecodeConfig, decode_video
from causalex.train.config import ExperimentConfig
from causalex.train.dataset import PreparedVideo, frames_to_rate


def score_prepared(model: SpottingNet, video: PreparedVideo, config: ExperimentConfig, device: torch.device,
                   node_names: list[str], chunk_frames: int = 2048) -> FrameScores:
    """Per-frame probabilities of one prepared video (working frame rate).

    With the dynamic option the graph is re-discovered from this video's own features first.

    Shapes:
        returns ``spot: [T, 8]``, ``emotion: [T, C]`` with T frames at the working rate.
    """
    adjacency = None
    if config.model.dynamic:
        adjacency = discover_adjacency(torch.from_numpy(video.features[None]), node_names, config.model)
    return predict_frame_scores(model, video.features, device, chunk_frames=chunk_frames, adjacency=adjacency,
                                amp=config.optim.amp)


def to_source_frames(intervals: list[Interval], video: PreparedVideo) -> list[Interval]:
    """Intervals at the working rate mapped to the frames of the original series (clipped to the video)."""
    mapped = frames_to_rate(intervals, video.fps, video.source_fps)
    last = video.n_source_frames - 1
    out = []
    for iv in mapped:
        s = min(max(iv.onset, 0), last)
        e = min(max(iv.offset, s), last)
        a = min(max(iv.apex, s), e)
        out.append(replace(iv, onset=s, apex=a, offset=e))
    return out


def decode_scores(scores: FrameScores, video: PreparedVideo, decode: DecodeConfig,
                  emotion_classes: tuple[str, ...] | list[str],
                  thresholds: dict[str, float] | None = None) -> list[Interval]:
    """Intervals of one video from its frame scores, in source frames."""
    found = decode_video(scores.spot, scores.emotion, video.fps, video.video, decode, emotion_classes, thresholds,
                         valid=video.valid)
    return to_source_frames(found, video)


def decode_prepared(model: SpottingNet, video: PreparedVideo, config: ExperimentConfig, decode: DecodeConfig,
                    device: torch.device, node_names: list[str],
                    thresholds: dict[str, float] | None = None) -> list[Interval]:
    """Score and decode one prepared video; intervals in source frames (see `decode_video`)."""
    scores = score_prepared(model, video, config, device, node_names)
    return decode_scores(scores, video, decode, config.model.emotion_classes, thresholds)
